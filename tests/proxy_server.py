"""A tiny threaded forward HTTP proxy for tests that relays and counts requests."""

import http.client
import socket
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}


class ForwardProxy:
    """A forward proxy on 127.0.0.1 that records every request it relays."""

    def __init__(self):
        self.relayed: list[tuple[str, str]] = []  # (method, absolute URL)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                proxy._relay(self)

            def do_POST(self):
                proxy._relay(self)

            def do_PUT(self):
                proxy._relay(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.relayed)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _relay(self, handler: BaseHTTPRequestHandler) -> None:
        target = urlsplit(handler.path)
        if not target.scheme or not target.hostname:
            handler.send_error(400, "A forward proxy needs an absolute URI")
            return
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {
            k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP
        }
        path = target.path or "/"
        if target.query:
            path = f"{path}?{target.query}"
        with self._lock:
            self.relayed.append((handler.command, handler.path))
        upstream = http.client.HTTPConnection(
            target.hostname, target.port or 80, timeout=10
        )
        try:
            upstream.request(handler.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
        except OSError:
            handler.send_error(502, "Bad gateway")
            return
        finally:
            upstream.close()
        handler.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(payload)
        handler.close_connection = True


def dead_proxy_url() -> str:
    """The URL of a loopback port nobody listens on (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"
