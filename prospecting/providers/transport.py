"""The direct send of a provider request: urllib3's pool, answered as requests does.

requests spends more CPU on a call than the connection pool it sends through:
preparing the request (cookie jars merged per call, the netrc file looked up,
the URL parsed and requoted), then building the response (cookies extracted
into two jars). Measured on the bench machine against the sandbox, a kept-alive
call cost 1.6-2.2 ms of client CPU through a requests session and 0.6-0.9 ms
through urllib3's PoolManager: at 200 calls a second, most of a core.

Most provider calls need none of that: a JSON body or query parameters and a
few headers to a base URL from the settings. Those go through a urllib3
PoolManager of the thread's own, with the same Retry as the requests sessions
(http._retry), the same timeouts, the same default headers and CA bundle, and
come back as a `requests.Response` with requests' exceptions, so that the call
log, the billing rules and every client read them as before. What this path
does not take goes through the requests sessions as it did (`sendable`): a
caller's own session (netguard's pinned one), the proxy pool or proxies from
the environment, other arguments, a host name that is not ASCII.

Two differences from requests: no cookie is kept between calls (an API answer's
cookie was kept in the thread's session and sent with the next workspace's
calls), and ~/.netrc credentials are not added (each provider sends its key).
Redirects are followed by urllib3 (303 becomes a GET, other codes keep the
method; credentials are dropped on a change of host, as requests does).
"""

import datetime
import json as jsonlib
import os
import time
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests
import urllib3
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from requests.utils import check_header_validity
from requests.utils import default_headers
from requests.utils import get_encoding_from_headers
from requests.utils import get_environ_proxies
from requests.utils import requote_uri
from urllib3.exceptions import ClosedPoolError
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import DecodeError
from urllib3.exceptions import HTTPError
from urllib3.exceptions import LocationValueError
from urllib3.exceptions import MaxRetryError
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import ProtocolError
from urllib3.exceptions import ProxyError
from urllib3.exceptions import ReadTimeoutError
from urllib3.exceptions import ResponseError
from urllib3.exceptions import SSLError
from urllib3.util.retry import Retry

# The arguments this path sends as requests would; any other goes to requests.
SENDABLE = frozenset(("json", "params", "headers", "timeout"))


def pool(retry: Retry, user_agent: str) -> urllib3.PoolManager:
    """A PoolManager sending like a requests session with this Retry: its default
    headers and CA bundle (REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's)."""
    bundle = (
        os.environ.get("REQUESTS_CA_BUNDLE")
        or os.environ.get("CURL_CA_BUNDLE")
        or DEFAULT_CA_BUNDLE_PATH
    )
    where = {"ca_cert_dir" if os.path.isdir(bundle) else "ca_certs": bundle}
    headers = dict(default_headers())
    headers["User-Agent"] = user_agent
    return urllib3.PoolManager(
        num_pools=10,
        maxsize=16,
        headers=headers,
        retries=retry,
        cert_reqs="CERT_REQUIRED",
        **where,
    )


def sendable(url: str, kwargs: dict, proxied_hosts: dict) -> bool:
    """Whether this path sends the request as requests would: only the arguments
    it knows, an ASCII URL, and no proxy from the environment for the host
    (looked up once a host, in `proxied_hosts`)."""
    if not SENDABLE.issuperset(kwargs) or not url.isascii():
        return False
    parts = urlsplit(url)
    key = (parts.scheme, parts.netloc)
    found = proxied_hosts.get(key)
    if found is None:
        found = proxied_hosts[key] = bool(get_environ_proxies(url))
    return not found


def send(
    manager: urllib3.PoolManager, method: str, url: str, kwargs: dict
) -> requests.Response:
    """Send and read the answer; requests' exceptions for what went wrong."""
    url, body, headers = _prepared(url, kwargs, manager.headers)
    timeout = kwargs.get("timeout")
    if isinstance(timeout, tuple):
        timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1])
    else:
        timeout = urllib3.Timeout(connect=timeout, read=timeout)
    started = time.perf_counter()
    try:
        answer = manager.urlopen(
            method.upper(),
            url,
            body=body,
            headers=headers,
            timeout=timeout,
            preload_content=True,
        )
    except Exception as exc:
        mapped = _as_requests_error(exc)
        if mapped is exc:
            raise
        raise mapped from exc
    response = requests.Response()
    response.status_code = answer.status
    response.headers = CaseInsensitiveDict(answer.headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = answer
    response.reason = answer.reason
    response.url = _final_url(url, answer)
    response._content = answer.data
    response._content_consumed = True
    response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
    return response


def _final_url(url: str, answer) -> str:
    """The absolute URL that answered: the request's, or the last redirect's."""
    for step in getattr(answer.retries, "history", None) or ():
        if step.redirect_location:
            url = urljoin(url, step.redirect_location)
    return url


def _prepared(url: str, kwargs: dict, defaults) -> tuple[str, bytes | None, dict]:
    """The URL with its query, the body and the headers, as requests prepares
    them: parameters whose value is None left out, lists repeated, a JSON body
    without NaN, headers merged without regard to case and None dropping one."""
    params = kwargs.get("params")
    if params:
        pairs = []
        for key, values in params.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                values = [values]
            pairs += [(key, v) for v in values if v is not None]
        if pairs:
            url += ("&" if urlsplit(url).query else "?") + urlencode(pairs)
    url = requote_uri(url)
    headers = dict(defaults)
    body = None
    if kwargs.get("json") is not None:
        try:
            body = jsonlib.dumps(kwargs["json"], allow_nan=False).encode("utf-8")
        except ValueError as exc:  # NaN or infinity: requests refuses it so
            raise requests.exceptions.InvalidJSONError(exc) from exc
        headers["Content-Type"] = "application/json"
    for key, value in (kwargs.get("headers") or {}).items():
        for default in [k for k in headers if k.lower() == key.lower()]:
            del headers[default]
        if value is not None:
            headers[key] = value
    for header in headers.items():
        # A key pasted with its line break is refused before anything is sent
        # (requests' InvalidHeader), not sent as two headers.
        check_header_validity(header)
    return url, body, headers


# What requests raises for urllib3's errors, asked in requests' order
# (HTTPAdapter.send, and reading the body in Response.iter_content): for the
# reason of a MaxRetryError (else ConnectionError), and for an error raised as it is.
_AFTER_RETRIES = (
    (ResponseError, requests.exceptions.RetryError),
    (ProxyError, requests.exceptions.ProxyError),
    (SSLError, requests.exceptions.SSLError),
)
_RAISED = (
    (LocationValueError, requests.exceptions.InvalidURL),
    ((ClosedPoolError, ProtocolError, OSError), requests.exceptions.ConnectionError),
    (SSLError, requests.exceptions.SSLError),
    (ReadTimeoutError, requests.exceptions.ReadTimeout),
    (DecodeError, requests.exceptions.ContentDecodingError),
    (HTTPError, requests.exceptions.ConnectionError),
)


def _as_requests_error(exc: Exception) -> Exception:
    """The exception requests raises for urllib3's; `exc` itself for another."""
    if isinstance(exc, MaxRetryError):
        reason = exc.reason
        if isinstance(reason, ConnectTimeoutError) and not isinstance(
            reason, NewConnectionError
        ):
            return requests.exceptions.ConnectTimeout(exc)
        kinds, default = _AFTER_RETRIES, requests.exceptions.ConnectionError
    else:
        reason, kinds, default = exc, _RAISED, None
    for urllib3_kind, requests_kind in kinds:
        if isinstance(reason, urllib3_kind):
            return requests_kind(exc)
    return default(exc) if default else exc
