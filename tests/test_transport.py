"""The direct send (providers/transport.py): what reaches the provider is what a
requests session sends, the answer reads as requests' does, and what it cannot
send as requests would goes through requests."""

import pytest
import requests

from prospecting.providers import http
from prospecting.providers import transport
from tests.drop_server import DropServer
from tests.drop_server import closed_port


@pytest.fixture
def echo():
    with DropServer("echo") as server:
        yield server


@pytest.fixture
def direct(app):
    http._local.__dict__.clear()
    yield http._direct(billable=False)
    http._local.__dict__.clear()


CALLS = [
    ("POST", "/v1/check", {"json": {"to_email": "zoë@acme.com", "n": [1, 2.5]}}),
    (
        "GET",
        "/v2/enrich?fixed=1",
        {"params": {"domain": "acme.com", "skip": None, "tag": ["a", "b c"]}},
    ),
    (
        "POST",
        "/v1/search",
        {
            "json": {},
            "headers": {
                "x-api-key": "k",
                "accept": "application/json",
                "Accept-Encoding": None,
            },
        },
    ),  # fmt: skip
]


@pytest.mark.parametrize(("method", "path", "kwargs"), CALLS)
def test_the_direct_send_puts_on_the_wire_what_a_requests_session_does(
    app, echo, direct, method, path, kwargs
):
    session = http._build_session(app.config)
    session.request(method, echo.url + path, timeout=5, **kwargs)
    transport.send(direct, method, echo.url + path, {"timeout": 5, **kwargs})
    by_requests, by_us = echo.seen
    assert by_us["method"] == by_requests["method"] == method
    assert by_us["path"] == by_requests["path"]
    assert by_us["body"] == by_requests["body"]
    assert by_us["headers"] == by_requests["headers"]


def test_the_answer_reads_as_a_requests_response(echo, direct):
    response = transport.send(direct, "GET", echo.url + "/x", {"timeout": 5})
    assert isinstance(response, requests.Response)
    assert response.status_code == 200 and response.ok
    assert response.json() == {"ok": True, "name": "Zoë"}
    assert "Zoë" in response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.url == echo.url + "/x"
    assert response.raw.retries is not None


def test_a_cookie_one_answer_sets_is_not_sent_with_the_next_call(echo, direct):
    transport.send(direct, "GET", echo.url + "/first", {"timeout": 5})
    transport.send(direct, "GET", echo.url + "/second", {"timeout": 5})
    assert "cookie" not in echo.seen[1]["headers"]


def test_what_the_direct_send_cannot_send_as_requests_would_goes_to_requests(
    monkeypatch,
):
    url = "http://api.example.com/v1/x"
    assert transport.sendable(url, {"json": {}, "timeout": 3}, {})
    assert not transport.sendable(url, {"data": "a=1"}, {})
    assert not transport.sendable(url, {"proxies": {"http": "p"}}, {})
    assert not transport.sendable("http://bücher.example/x", {}, {})
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    hosts: dict = {}
    assert not transport.sendable(url, {}, hosts)
    assert hosts == {("http", "api.example.com"): True}, "looked up once a host"
    monkeypatch.setenv("NO_PROXY", "api.example.com")
    assert transport.sendable(url, {}, {})


def test_a_refused_connection_is_the_error_requests_raises(direct):
    with pytest.raises(requests.ConnectionError) as raised:
        transport.send(direct, "GET", closed_port() + "/x", {"timeout": (1, 1)})
    word, error = http._failure(raised.value, "Reacher", billable=True)
    assert word == "connection error"
    assert "could not connect" in error.message


def test_provider_calls_take_the_direct_send(app, monkeypatch):
    """The built-in clients' calls to a configured base URL go out directly."""
    from prospecting.providers import emails

    sent = []
    real = transport.send
    monkeypatch.setattr(
        transport,
        "send",
        lambda manager, method, url, kwargs: (
            sent.append(url) or real(manager, method, url, kwargs)
        ),
    )
    http._local.__dict__.clear()
    emails.verify("someone@acme.com")
    assert len(sent) == 1 and sent[0].endswith("/v1/check_email")


def test_a_redirect_is_followed_and_the_answer_names_where_it_came_from(echo, direct):
    response = transport.send(direct, "GET", echo.url + "/moved", {"timeout": 5})
    assert response.json()["ok"] is True
    assert response.url == echo.url + "/x"
    assert [seen["path"] for seen in echo.seen] == ["/x"]


def test_a_header_value_with_a_line_break_is_refused_before_sending(echo, direct):
    with pytest.raises(requests.exceptions.InvalidHeader):
        transport.send(
            direct, "GET", echo.url + "/x",
            {"timeout": 5, "headers": {"x-api-key": "key\r\nX-Evil: 1"}},
        )  # fmt: skip
    assert echo.seen == []


def test_a_body_json_cannot_carry_is_refused_as_requests_refuses_it(echo, direct):
    with pytest.raises(requests.exceptions.InvalidJSONError):
        transport.send(
            direct, "POST", echo.url + "/x",
            {"timeout": 5, "json": {"score": float("nan")}},
        )  # fmt: skip
    assert echo.seen == []
