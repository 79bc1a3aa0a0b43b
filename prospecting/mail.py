"""Outgoing email over SMTP (settings SMTP_HOST, SMTP_PORT, SMTP_USER,
SMTP_PASSWORD, SMTP_FROM), with Python's smtplib."""

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app

TIMEOUT_SECONDS = 10


class MailError(Exception):
    """A message that could not be handed to the SMTP server; says why."""


def configured() -> bool:
    """Whether SMTP_HOST is set: without it nothing is emailed."""
    return bool(current_app.config.get("SMTP_HOST"))


def send(to: str, subject: str, body: str) -> None:
    """Send a plain-text message. Port 465 speaks TLS from the start; any other
    port upgrades with STARTTLS when the server offers it, and a login (SMTP_USER)
    is never sent over a connection without TLS."""
    cfg = current_app.config
    host, port = cfg["SMTP_HOST"], int(cfg.get("SMTP_PORT") or 587)
    message = EmailMessage()
    message["From"] = cfg.get("SMTP_FROM") or f"prospecting@{host}"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    context = ssl.create_default_context()
    try:
        if port == 465:
            server = smtplib.SMTP_SSL(
                host, port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            server = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        with server:
            secure = port == 465
            if not secure:
                server.ehlo()
                if server.has_extn("starttls"):
                    server.starttls(context=context)
                    server.ehlo()
                    secure = True
            if cfg.get("SMTP_USER"):
                if not secure:
                    raise MailError(
                        f"{host}:{port} offers no TLS, so SMTP_USER's password is "
                        "not sent to it."
                    )
                server.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
            server.send_message(message)
    except MailError:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
