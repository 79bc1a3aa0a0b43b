"""Provider clients over the sandbox: verdicts, errors, retries, call log, limiter."""

import threading

import pytest
from sqlalchemy import select

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import ProviderCall
from prospecting.providers import companies
from prospecting.providers import emails
from prospecting.providers import http
from prospecting.providers import limiter
from prospecting.providers import reachstream
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable
from prospecting.sandbox import faults


@pytest.mark.parametrize(
    "body,verdict,flags",
    [
        ({"is_reachable": "safe"}, "valid", []),
        ({"is_reachable": "invalid"}, "invalid", []),
        ({"is_reachable": "unknown"}, "unknown", []),
        (
            {"is_reachable": "risky", "misc": {"is_role_account": True}},
            "risky",
            ["role"],
        ),
        (
            {"is_reachable": "risky", "smtp": {"is_catch_all": True}},
            "risky",
            ["catch_all"],
        ),
        (
            {"is_reachable": "risky", "misc": {"is_disposable": True, "is_b2c": True}},
            "risky",
            ["disposable", "free_provider"],
        ),
    ],
)
def test_reacher_answers_map_to_the_neutral_verdict(body, verdict, flags):
    result = emails.parse("a@b.com", body)
    assert (result.verdict, result.flags) == (verdict, flags)


def test_reacher_answer_without_verdict_is_a_bad_response():
    with pytest.raises(ProviderBadResponse):
        emails.parse("a@b.com", {"is_reachable": "maybe"})


def test_verify_is_deterministic_over_real_http(app):
    first = emails.verify("info@acme.com")
    assert first == emails.verify("info@acme.com")
    assert first.verdict == "risky" and "role" in first.flags


def test_company_enrichment_returns_the_normalised_shape(app):
    company = companies.enrich("stripe.com")
    assert company.domain == "stripe.com"
    assert company.name and company.size_range and company.country


def test_unknown_domain_is_not_found(app):
    with pytest.raises(ProviderNotFound):
        companies.enrich("unknown-company.com")


def test_refused_key_raises_auth_error(app):
    app.config["COMPANY_ENRICHER_KEY"] = "invalid"
    with pytest.raises(ProviderAuthError):
        companies.enrich("stripe.com")


def test_429_raises_rate_limited_with_retry_after_and_does_not_sleep(app):
    faults.set_overrides({"rate_limit_rate": 1.0, "retry_after": 42})
    with pytest.raises(ProviderRateLimited) as info:
        emails.verify("a@b.com")
    assert info.value.retry_after == 42
    call = db.session.scalars(select(ProviderCall)).one()
    assert (call.status_code, call.attempts) == (429, 1)


def test_5xx_of_a_free_read_is_retried_with_backoff_then_unavailable(app):
    faults.set_overrides({"error_rate": 1.0})
    with pytest.raises(ProviderUnavailable):
        reachstream.credits()
    call = db.session.scalars(select(ProviderCall)).one()
    assert (call.status_code, call.attempts) == (503, 4)


def test_timeouts_of_a_free_read_are_retried_then_unavailable(app):
    app.config["PROVIDER_READ_TIMEOUT"] = 0.2
    app.config["PROVIDER_RETRIES"] = 1
    http._local.__dict__.clear()
    faults.set_overrides({"timeout_rate": 1.0, "timeout_seconds": 0.5})
    try:
        with pytest.raises(ProviderUnavailable, match="timed out"):
            reachstream.credits()
    finally:
        http._local.__dict__.clear()
    call = db.session.scalars(select(ProviderCall)).one()
    assert call.error == "timeout"


def test_call_log_records_provider_endpoint_status_latency_and_job(app):
    with metering.job_context("job-1"):
        emails.verify("someone@acme.com")
    call = db.session.scalars(select(ProviderCall)).one()
    assert (call.provider, call.endpoint, call.status_code, call.job_id) == (
        "emails",
        "check_email",
        200,
        "job-1",
    )
    assert call.latency_ms >= 0


def test_local_limiter_waits_briefly_then_raises_rate_limited(app):
    app.config["PROVIDER_RATE_LIMITS"] = {"emails": "2/minute"}
    app.config["PROVIDER_MAX_LIMITER_WAIT"] = 0.1
    http.acquire("emails")
    http.acquire("emails")
    with pytest.raises(ProviderRateLimited) as info:
        http.acquire("emails")
    assert info.value.retry_after > 1


def test_limiter_is_asked_once_a_call_and_waits_for_its_slot(app, monkeypatch):
    app.config["PROVIDER_RATE_LIMITS"] = {"emails": "4/second"}
    app.config["PROVIDER_MAX_LIMITER_WAIT"] = 0.3
    window = http._limiter_for("emails")
    real_reserve, lock = window.reserve, threading.Lock()
    asked, slept, granted, refused = [0], [], [0], [0]

    def reserve(most):
        with lock:
            asked[0] += 1
        return real_reserve(most)

    monkeypatch.setattr(window, "reserve", reserve)
    monkeypatch.setattr(http.time, "sleep", slept.append)

    def call():
        with app.app_context():
            try:
                http.acquire("emails")
                granted[0] += 1
            except ProviderRateLimited as exc:
                assert 0.3 < exc.retry_after <= 1
                refused[0] += 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert asked[0] == 8, "one question a call: nothing polls the window"
    assert granted[0] == 4 and refused[0] == 4


def test_limiter_windows_reserve_the_moment_the_window_frees(monkeypatch):
    now = [100.0]  # a clock that moves only when the test says
    monkeypatch.setattr(limiter.time, "monotonic", lambda: now[0])
    window = limiter.LocalWindow(2, 1.0)
    first, second = window.reserve(5), window.reserve(5)
    now[0] += 0.05
    third = window.reserve(5)
    assert first.granted and second.granted and first.wait == second.wait == 0
    assert third.granted and third.wait == pytest.approx(0.95), "the first call's slot"
    refused = window.reserve(0.5)
    assert not refused.granted and refused.wait > 0.9


def test_a_full_window_spaces_its_grants_evenly(monkeypatch):
    """The burst that filled an idle window does not come back whole every
    period: once full, grants are period / limit apart. (The clock stands still:
    each wait is counted from its own call, so a loaded machine's time between
    calls would shorten the gaps.)"""
    monkeypatch.setattr(limiter.time, "monotonic", lambda: 100.0)
    window = limiter.LocalWindow(4, 1.0)
    grants = [window.reserve(60).wait for _ in range(12)]
    assert grants[:4] == [0, 0, 0, 0], "an idle window lets a burst go"
    gaps = [b - a for a, b in zip(grants[4:], grants[5:], strict=False)]
    assert all(0.249 < gap < 0.251 for gap in gaps), gaps
    # Never more than four grants in any second.
    for i in range(len(grants) - 4):
        assert grants[i + 4] - grants[i] >= 0.999


def test_a_window_with_room_grants_at_once(monkeypatch):
    """Spacing applies only while the limit holds calls back: calls under the
    limit go at once, however close together."""
    now = [0.0]
    monkeypatch.setattr(limiter.time, "monotonic", lambda: now[0])
    window = limiter.LocalWindow(4, 1.0)
    assert [window.reserve(5).wait for _ in range(4)] == [0, 0, 0, 0]
    now[0] = 1.5  # the burst left the window
    assert [window.reserve(5).wait for _ in range(3)] == [0, 0, 0]


def test_sandbox_rate_limit_answers_429_past_the_limit(client):
    faults.set_overrides({"rate_limit": 2})
    codes = [
        client.post(
            "/sandbox/reacher/v1/check_email",
            json={"to_email": "a@b.com"},
            headers={"Authorization": "k"},
        ).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 429, 429]


def test_sandbox_faults_can_be_set_per_request(client):
    response = client.get(
        "/sandbox/apollo/api/v1/organizations/enrich?domain=a.com",
        headers={"x-api-key": "k", "X-Sandbox": '{"error_rate": 1}'},
    )
    assert response.status_code == 503


def test_sandbox_config_endpoint_sets_runtime_overrides(client):
    assert (
        client.put(
            "/sandbox/_config", json={"latency_ms": 0, "error_rate": 1}
        ).status_code
        == 200
    )
    assert client.get("/sandbox/_config").json["error_rate"] == 1
    assert client.put("/sandbox/_config", data="nope").status_code == 400


def test_a_provider_session_reads_the_environment_proxies_once_a_host(app, monkeypatch):
    looked = []
    real = http.get_environ_proxies

    def lookup(url, no_proxy=None):
        looked.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(http, "get_environ_proxies", lookup)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    session = http._build_session(app.config)
    settings = [
        session.merge_environment_settings(
            f"https://api.example.com/v1/{n}", {}, None, None, None
        )
        for n in range(3)
    ]
    assert len(looked) == 1, "once for the host, not once a request"
    assert {s["proxies"]["https"] for s in settings} == {"http://proxy.test:3128"}
    session.merge_environment_settings(
        "https://other.example.com/", {}, None, None, None
    )
    assert len(looked) == 2
