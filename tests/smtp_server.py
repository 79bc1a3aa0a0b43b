"""A tiny threaded SMTP server for tests that keeps every message it receives."""

import email
import email.policy
import re
import socketserver
import threading


def _address(text: str) -> str:
    """The address of a MAIL FROM / RCPT TO argument ("<a@b> SIZE=1" -> "a@b")."""
    found = re.search(r"<([^>]*)>", text)
    return found.group(1) if found else text.split()[0]


class SmtpServer:
    """An SMTP server on 127.0.0.1 (no TLS; AUTH advertised when `auth` is set)."""

    def __init__(self, *, auth: bool = False):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self):
                self.reply("220 test SMTP ready")
                sender, recipients = "", []
                while line := self.rfile.readline():
                    verb = line.decode().strip()
                    upper = verb.upper()
                    if upper.startswith(("EHLO", "HELO")):
                        self.reply("250-test greets you")
                        if auth:
                            self.reply("250-AUTH PLAIN LOGIN")
                        self.reply("250 SIZE 1000000")
                    elif upper.startswith("AUTH"):
                        server.logins.append(verb)
                        self.reply("235 authenticated")
                    elif upper.startswith("MAIL FROM:"):
                        sender, recipients = _address(verb[10:]), []
                        self.reply("250 ok")
                    elif upper.startswith("RCPT TO:"):
                        recipients.append(_address(verb[8:]))
                        self.reply("250 ok")
                    elif upper == "DATA":
                        self.reply("354 end with a dot")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        server.envelopes.append((sender, recipients))
                        server.messages.append(
                            email.message_from_bytes(data, policy=email.policy.default)
                        )
                        self.reply("250 queued")
                    elif upper == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 ok")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
