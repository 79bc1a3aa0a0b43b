"""User-supplied base URLs (the Unipile DSN): every call resolves the host, checks
each address, connects to the checked one, and never follows a redirect."""

import datetime
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import urllib3.util.connection
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from prospecting import crypto
from prospecting.extensions import db
from prospecting.models import LinkedInAccount
from prospecting.providers import netguard
from prospecting.providers import unipile
from prospecting.services import jobs
from prospecting.services import prospects
from prospecting.services.errors import InvalidInput
from tests import factories
from tests.test_prospects_service import request_body

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_IP = "93.184.216.34"
ANSWER = {"items": [{"id": "105015875", "title": "INTERNAL-SECRET-LOCATION"}]}


class Recorder(BaseHTTPRequestHandler):
    """Answers with the server's canned reply; remembers each request's headers."""

    def do_GET(self):  # noqa: N802
        self.server.seen.append(dict(self.headers))
        status, headers, body = self.server.reply(self)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """Start local HTTP servers; `reply(handler)` gives (status, headers, body)."""
    servers = []

    def start(reply, *, tls: ssl.SSLContext | None = None):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        server.seen, server.reply = [], reply
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def internal_service(serve):
    return serve(lambda h: (200, {"Content-Type": "application/json"}, _json(ANSWER)))


def _json(value) -> bytes:
    return json.dumps(value).encode()


def store_account(workspace_id: int, dsn: str, api_key: str = "the-api-key"):
    """An account saved as it is in the database, without the save-time check (as
    one saved before a DNS change, or before this check existed)."""
    account = LinkedInAccount(
        workspace_id=workspace_id,
        dsn=dsn,
        account_id="acc-1",
        api_key_encrypted=crypto.encrypt(api_key),
        status="active",
    )
    db.session.add(account)
    db.session.commit()
    return account


class FakeDns:
    """Chosen answers per name (a list, the last one repeated) and who asked."""

    def __init__(self):
        self.answers: dict[str, list[str]] = {}
        self.asked: list[str] = []

    def __setitem__(self, host: str, addresses: list[str]) -> None:
        self.answers[host] = list(addresses)


@pytest.fixture
def fake_dns(monkeypatch):
    """Resolve chosen names to chosen addresses; other names resolve as usual."""
    dns = FakeDns()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in dns.answers:
            return real(host, port, *args, **kwargs)
        dns.asked.append(host)
        queue = dns.answers[host]
        ip = queue.pop(0) if len(queue) > 1 else queue[0]
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return dns


# Redirects


def test_a_dsn_redirecting_to_an_internal_service_is_not_followed(
    app, auth_client, workspace, serve
):
    internal = internal_service(serve)
    where = f"http://127.0.0.1:{internal.server_port}/api/v1/linkedin/search/parameters"
    dsn_server = serve(lambda h: (302, {"Location": where}, b""))
    store_account(workspace.id, f"http://127.0.0.1:{dsn_server.server_port}")

    response = auth_client.get("/prospects/locations?location_query=paris")

    assert response.status_code == 200
    assert b"INTERNAL-SECRET-LOCATION" not in response.data
    assert b"redirect" in response.data
    assert len(dsn_server.seen) == 1
    assert internal.seen == []  # neither followed nor sent the key


def test_the_api_key_never_reaches_a_redirect_target(app, workspace, serve):
    internal = internal_service(serve)
    where = f"http://127.0.0.1:{internal.server_port}/steal"
    dsn_server = serve(lambda h: (307, {"Location": where}, b""))
    store_account(workspace.id, f"http://127.0.0.1:{dsn_server.server_port}")
    account = prospects.check_account(workspace.id)
    assert "redirect" in account.last_error
    assert dsn_server.seen[0]["X-API-KEY"] == "the-api-key"
    assert internal.seen == []


# Private addresses at call time, whatever the sandbox flag says


def test_production_settings_refuse_private_urls_even_with_the_sandbox_enabled():
    env = {
        **os.environ,
        "PROSPECTING_ENV": "production",
        "SANDBOX_ENABLED": "true",
        "ALLOW_PRIVATE_PROVIDER_URLS": "true",
    }
    out = subprocess.run(
        [sys.executable, "-c", "import config; "
         "c = config.config_from_env(); "
         "print(c.SANDBOX_ENABLED, c.ALLOW_PRIVATE_PROVIDER_URLS)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.split() == ["True", "False"]


def production_guard(app):
    """The production policy in the test app, with the sandbox still enabled."""
    app.config.update(SANDBOX_ENABLED=True, ALLOW_PRIVATE_PROVIDER_URLS=False)


def test_a_loopback_dsn_is_refused_at_call_time_in_production(app, workspace):
    production_guard(app)
    # The sandbox itself answers on 127.0.0.1: under the production policy it is
    # an internal service like any other.
    store_account(workspace.id, app.config["UNIPILE_DEFAULT_DSN"])
    job = prospects.create_job(workspace.id, None, request_body(10))
    (batch_id, _), *_ = jobs.open_batches(job.id)
    factories.run_batch(batch_id)
    db.session.refresh(job)
    assert job.status == "failed"
    assert job.error_message == "The Unipile DSN must use https."
    assert prospects.count(job.id) == 0


def test_a_dsn_resolving_to_a_private_address_is_refused_before_connecting(
    app, workspace, fake_dns, monkeypatch
):
    production_guard(app)
    fake_dns["unipile.internal.test"] = ["10.1.2.3"]
    connects = []
    monkeypatch.setattr(
        urllib3.util.connection,
        "create_connection",
        lambda address, *a, **k: connects.append(address) or _refused(),
    )
    creds = unipile.Credentials("unipile.internal.test:13811", "key", "acc-1")
    with pytest.raises(netguard.AddressRefused, match="10.1.2.3"):
        unipile.parameters(creds, keywords="paris")
    assert connects == []


def _refused():
    raise ConnectionRefusedError("refused by the test")


def test_saving_a_private_or_plain_http_dsn_is_refused_in_production(
    app, workspace, fake_dns
):
    production_guard(app)
    fake_dns["unipile.internal.test"] = ["192.168.1.9"]
    fake_dns["api8.unipile.test"] = [PUBLIC_IP]
    cases = {
        "unipile.internal.test:13811": "public address",
        app.config["UNIPILE_DEFAULT_DSN"]: "https",
        "https://127.0.0.1:8443": "public address",
        "https://[::ffff:127.0.0.1]:8443": "public address",
        "https://169.254.169.254": "public address",
        "ftp://api8.unipile.test": r"http\(s\) URL",
    }
    for dsn, problem in cases.items():
        with pytest.raises(InvalidInput, match=problem):
            prospects.save_account(workspace.id, dsn=dsn, api_key="k", account_id="a")
    saved = prospects.save_account(
        workspace.id, dsn="api8.unipile.test:13811", api_key="k", account_id="a"
    )
    assert saved.dsn == "api8.unipile.test:13811"


def test_development_sandbox_allows_loopback_but_never_link_local(app, workspace):
    assert app.config["ALLOW_PRIVATE_PROVIDER_URLS"] is True  # TestConfig: sandbox on
    prospects.save_account(
        workspace.id,
        dsn=app.config["UNIPILE_DEFAULT_DSN"],
        api_key="k",
        account_id="a",
    )
    with pytest.raises(InvalidInput, match="public address"):
        prospects.save_account(
            workspace.id, dsn="http://169.254.169.254", api_key="k", account_id="a"
        )


@pytest.mark.parametrize(
    "address,private_ok,allowed",
    [
        (PUBLIC_IP, False, True),
        ("2606:4700::1111", False, True),
        ("127.0.0.1", False, False),
        ("10.0.0.1", False, False),
        ("172.16.0.1", False, False),
        ("192.168.0.1", False, False),
        ("100.64.0.1", False, False),
        ("::1", False, False),
        ("fd00::1", False, False),
        ("::ffff:10.0.0.1", False, False),
        ("::ffff:93.184.216.34", False, True),
        ("2002:7f00:1::", False, False),  # 6to4 around 127.0.0.1
        ("0.0.0.0", True, False),
        ("169.254.169.254", True, False),
        ("fe80::1", True, False),
        ("224.0.0.1", True, False),
        ("127.0.0.1", True, True),
        ("::1", True, True),
        ("10.0.0.1", True, True),
    ],
)
def test_which_addresses_are_allowed(address, private_ok, allowed):
    assert netguard.allowed(address, private_ok=private_ok) is allowed


# DNS rebinding


def test_dns_rebinding_cannot_move_the_connection_to_an_internal_address(
    app, workspace, fake_dns, monkeypatch, serve
):
    production_guard(app)
    internal = internal_service(serve)
    # Public when checked, then the internal service for anyone who asks again.
    fake_dns["rebind.test"] = [PUBLIC_IP, "127.0.0.1"]
    connects = []

    def create_connection(address, *args, **kwargs):
        connects.append(address[0])
        if address[0] == PUBLIC_IP:
            raise ConnectionRefusedError("the public host is not reachable here")
        return _real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    creds = unipile.Credentials(f"rebind.test:{internal.server_port}", "key", "acc")
    with pytest.raises(unipile.ProviderUnavailable):
        unipile.parameters(creds, keywords="paris")
    assert connects and set(connects) == {PUBLIC_IP}  # retries too: the checked IP
    assert internal.seen == []
    assert fake_dns.asked == ["rebind.test"]  # resolved once, by the check


_real_create_connection = urllib3.util.connection.create_connection


# The pinned connection keeps the name for Host, SNI and the certificate


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _tls_server(serve, tmp_path, name: str):
    cert, key = _certificate(tmp_path, name)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = serve(lambda h: (200, {}, b"ok"), tls=context)
    return server, cert


def test_a_pinned_https_call_verifies_the_certificate_of_the_name(app, serve, tmp_path):
    server, cert = _tls_server(serve, tmp_path, "unipile.test")
    target = netguard.Target("https", "unipile.test", server.server_port, "127.0.0.1")
    url = f"https://unipile.test:{server.server_port}/api/v1/x"
    with netguard.session_for(target) as pinned:
        response = pinned.get(url, verify=str(cert), timeout=5)
    assert response.status_code == 200
    assert server.seen[0]["Host"] == f"unipile.test:{server.server_port}"


def test_a_pinned_https_call_refuses_a_certificate_for_another_name(
    app, serve, tmp_path
):
    server, cert = _tls_server(serve, tmp_path, "other.test")
    target = netguard.Target("https", "unipile.test", server.server_port, "127.0.0.1")
    url = f"https://unipile.test:{server.server_port}/api/v1/x"
    with netguard.session_for(target) as pinned, pytest.raises(Exception) as err:
        pinned.get(url, verify=str(cert), timeout=5)
    assert "unipile.test" in str(err.value) or "hostname" in str(err.value).lower()


def test_a_pinned_session_sends_nothing_to_another_host(app, serve):
    server = serve(lambda h: (200, {}, b"ok"))
    target = netguard.Target("http", "unipile.test", server.server_port, "127.0.0.1")
    with netguard.session_for(target) as pinned:
        with pytest.raises(netguard.AddressRefused):
            pinned.get(f"http://127.0.0.1:{server.server_port}/", timeout=5)
    assert server.seen == []
