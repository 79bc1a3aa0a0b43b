"""A tiny HTTP server for tests that counts what it receives and then answers
badly: it drops the connection after reading the request (`drop`), answers too
late (`slow`), or answers a 503 (`error`); or well (`echo`): a JSON 200 with a
cookie, and a 302 to /x for /moved, keeping each request's headers and body."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer


class DropServer:
    """Records (method, path) of every request it read, then misbehaves."""

    def __init__(self, mode: str = "drop", delay: float = 2.0):
        self.mode = mode
        self.delay = delay
        self.received: list[tuple[str, str]] = []
        self.seen: list[dict] = []  # method, path, headers (lower-cased), body
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                if server.mode == "echo" and self.path == "/moved":
                    return self._answer(302, b"", {"Location": "/x"})
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with server._lock:
                    server.received.append((self.command, self.path))
                    server.seen.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                        }
                    )
                if server.mode == "echo":
                    answer = json.dumps({"ok": True, "name": "Zoë"}, ensure_ascii=False)
                    return self._answer(
                        200,
                        answer.encode(),
                        {"Content-Type": "application/json; charset=utf-8",
                         "Set-Cookie": "session=abc; Path=/"},
                    )  # fmt: skip
                if server.mode == "slow":
                    time.sleep(server.delay)
                if server.mode in ("drop", "slow"):
                    self.close_connection = True
                    return  # nothing written: the client sees the connection end
                self._answer(
                    503,
                    b'{"error": "unavailable"}',
                    {"Content-Type": "application/json"},
                )

            def _answer(self, status: int, body: bytes, headers: dict) -> None:
                self.send_response(status)
                for name, value in {
                    **headers,
                    "Content-Length": str(len(body)),
                }.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str = "POST") -> int:
        with self._lock:
            return sum(1 for m, _ in self.received if m == method)


def closed_port() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"
