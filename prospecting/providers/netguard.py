"""Calls to base URLs that users supply (the Unipile DSN): the host is resolved once,
every address it resolves to must be allowed, the connection goes to the address
that was checked, and redirects are never followed.

Checking a name and letting the HTTP library resolve it again on connect leaves a
window (DNS rebinding: public on the check, 127.0.0.1 on the connect), and a
redirect would send the request, API key included, wherever the server points.
Here the socket is opened to the checked address, while the Host header, TLS SNI
and certificate verification keep using the host name.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter

from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderUnavailable

DEFAULT_PORTS = {"http": 80, "https": 443}


class AddressRefused(ProviderError):
    """The URL is not allowed: a bad scheme or an address that is not public."""


class Unresolvable(ProviderUnavailable):
    """The host does not resolve now (perhaps a passing DNS failure: retried)."""


@dataclass(frozen=True)
class Target:
    """A checked base URL: where to connect (ip) and what to call it (host)."""

    scheme: str
    host: str
    port: int
    ip: str


def allow_private() -> bool:
    """Whether loopback and private addresses are allowed (development sandbox)."""
    return bool(current_app.config.get("ALLOW_PRIVATE_PROVIDER_URLS"))


def check_url(url: str, *, label: str = "The URL") -> Target:
    """Resolve the URL's host and check each of its addresses; the one to connect to.
    (Not named check(): ops runs each provider module's check() as a health check.)

    Raises AddressRefused naming the problem, or Unresolvable. Outside the
    development sandbox (ALLOW_PRIVATE_PROVIDER_URLS false, always so in
    production) only https to public addresses passes.
    """
    private_ok = allow_private()
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError as exc:
        raise AddressRefused(f"{label} is not a valid URL ({exc}).") from exc
    host = parts.hostname
    if parts.scheme not in DEFAULT_PORTS or not host:
        raise AddressRefused(f"{label} must be a host (with port) or an http(s) URL.")
    if parts.scheme != "https" and not private_ok:
        raise AddressRefused(f"{label} must use https.")
    addresses = resolve(host, port, label=label)
    for address in addresses:
        if not allowed(address, private_ok=private_ok):
            raise AddressRefused(
                f"{label} must point at a public address; {host} resolves to {address}."
            )
    return Target(scheme=parts.scheme, host=host, port=port, ip=addresses[0])


def resolve(host: str, port: int, *, label: str = "The URL") -> list[str]:
    """Every address the host resolves to (IPv6 scope ids dropped), in DNS order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolvable(f"{label}: the host {host} cannot be resolved.") from exc
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise Unresolvable(f"{label}: the host {host} cannot be resolved.")
    return addresses


def allowed(address: str, *, private_ok: bool) -> bool:
    """Public addresses always; loopback and private ones only when `private_ok`.

    Link-local (169.254.0.0/16: cloud metadata), multicast and unspecified
    addresses are never allowed, nor an IPv6 address that embeds a refused IPv4
    one (mapped, 6to4, Teredo).
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6:
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo and ip.teredo[1]]
        for v4 in filter(None, embedded):
            if not allowed(str(v4), private_ok=private_ok):
                return False
        if ip.ipv4_mapped is not None:
            return True
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return False
    if ip.is_global:
        return True
    return private_ok and (ip.is_loopback or ip.is_private)


class PinnedAdapter(HTTPAdapter):
    """Sends every request to the checked address of one target, and nowhere else."""

    def __init__(self, target: Target, **kwargs):
        self.target = target
        super().__init__(**kwargs)

    def _same_target(self, url: str) -> bool:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
        wanted = self.target
        return (parts.scheme, parts.hostname, port) == (
            wanted.scheme,
            wanted.host,
            wanted.port,
        )

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        if not self._same_target(request.url):
            raise AddressRefused(
                f"Refused to send a request to {urlsplit(request.url).hostname}: "
                f"only {self.target.host} was checked."
            )
        _, pool_kwargs = self.build_connection_pool_key_attributes(
            request, verify, cert
        )
        if self.target.scheme == "https":
            # Connect to the IP, but present and verify the certificate of the name.
            pool_kwargs["server_hostname"] = self.target.host
            pool_kwargs["assert_hostname"] = self.target.host
        return self.poolmanager.connection_from_host(
            self.target.ip,
            port=self.target.port,
            scheme=self.target.scheme,
            pool_kwargs=pool_kwargs,
        )

    def add_headers(self, request, **kwargs) -> None:
        # urllib3 would name the pool's host (the IP); the server expects the name.
        request.headers["Host"] = urlsplit(request.url).netloc.rpartition("@")[2]


class PinnedSession(requests.Session):
    """A session bound to one checked target: no redirects, no proxies from the
    environment, every request through the pinned adapter."""

    def __init__(self, target: Target, *, max_retries=0):
        super().__init__()
        self.trust_env = False  # HTTP(S)_PROXY would resolve the name again
        adapter = PinnedAdapter(target, max_retries=max_retries)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, **kwargs):
        kwargs["allow_redirects"] = False
        kwargs.pop("proxies", None)
        return super().request(method, url, **kwargs)


def session_for(target: Target, *, max_retries=0) -> PinnedSession:
    """A session that connects only to `target`'s checked address."""
    return PinnedSession(target, max_retries=max_retries)


def refuse_redirect(response: requests.Response, label: str) -> None:
    """A 3xx from a user-supplied URL is an error: it is never followed."""
    if 300 <= response.status_code < 400:
        raise AddressRefused(
            f"{label} answered with a redirect (HTTP {response.status_code}); "
            "redirects are not followed. Check the base URL.",
            status=response.status_code,
        )
