"""Our clients against the providers' published contracts: the requests they send
validate against the schemas in sandbox/contracts, and each provider's own errors
(Reacher's secret header, ReachStream's text 400, Apollo's windows, Attestr's
daily quota, the sender's empty 2xx) mean what the provider says they mean."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import JobBatch
from prospecting.models import ProviderCall
from prospecting.providers import attestr
from prospecting.providers import companies
from prospecting.providers import emails
from prospecting.providers import http
from prospecting.providers import reachstream
from prospecting.providers import sender
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderQuotaExhausted
from prospecting.providers.errors import ProviderRateLimited
from prospecting.sandbox import contracts
from prospecting.sandbox import faults
from prospecting.services import ops
from tests import factories
from tests.factories import start_enrichment


@pytest.fixture(autouse=True)
def _fresh_sessions():
    http._local.__dict__.clear()
    yield
    http._local.__dict__.clear()


def _sent(monkeypatch):
    """Record the (url, kwargs) of every request the clients send."""
    sent = []
    real = http._send

    def spy(provider, method, url, kwargs, via=None, billable=False):
        sent.append((provider, method, url, kwargs))
        return real(provider, method, url, kwargs, via, billable)

    monkeypatch.setattr(http, "_send", spy)
    return sent


# Reacher


def test_reacher_request_matches_the_published_check_email_schema(app, monkeypatch):
    sent = _sent(monkeypatch)
    emails.verify("someone@acme.com")
    ((_, method, url, kwargs),) = sent
    assert (method, url.rsplit("/", 2)[-2:]) == ("POST", ["v1", "check_email"])
    assert contracts.problems("reacher", "check_email.request", kwargs["json"]) == []


def test_reacher_sandbox_answers_match_the_published_output_schema(client):
    for address in ("ceo@acme.com", "info@acme.com", "x@mailinator.com"):
        response = client.post(
            "/sandbox/reacher/v1/check_email",
            json={"to_email": address},
            headers={"Authorization": "k"},
        )
        assert (
            contracts.problems("reacher", "check_email.response", response.get_json())
            == []
        )


def test_reacher_sandbox_refuses_a_body_outside_the_contract_as_reacher_does(client):
    response = client.post(
        "/sandbox/reacher/v1/check_email",
        json={"email": "a@b.com"},
        headers={"Authorization": "k"},
    )
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "to_email" in response.get_data(as_text=True)


def test_self_hosted_reacher_without_the_secret_header_is_refused_credentials(app):
    faults.set_overrides({"reacher_mode": "self-hosted"})
    with pytest.raises(ProviderAuthError, match="x-reacher-secret") as info:
        emails.verify("someone@acme.com")
    assert 'Missing request header "x-reacher-secret"' in info.value.message
    assert "EMAIL_VERIFIER_AUTH_HEADER" in info.value.message


def test_self_hosted_reacher_answers_with_the_secret_in_its_header(app):
    faults.set_overrides({"reacher_mode": "self-hosted"})
    app.config["EMAIL_VERIFIER_AUTH_HEADER"] = "x-reacher-secret"
    assert emails.verify("someone@acme.com").verdict in emails.VERDICTS
    app.config["EMAIL_VERIFIER_KEY"] = "invalid-secret"
    with pytest.raises(ProviderAuthError, match="Invalid request header"):
        emails.verify("someone@acme.com")


def test_a_wrong_reacher_secret_fails_the_enrichment_job_with_that_message(
    auth_client,
):
    faults.set_overrides({"reacher_mode": "self-hosted"})
    job = start_enrichment(auth_client, factories.contacts_csv(3))
    assert job.status == "failed"
    assert 'Missing request header "x-reacher-secret"' in job.error_message
    # the job stopped at the first refusal: one call, not one per row
    assert len(db.session.scalars(select(ProviderCall)).all()) == 1


def test_another_reacher_400_quotes_its_body(app, monkeypatch):
    monkeypatch.setattr(emails, "request_for", lambda email: {"email": email})
    with pytest.raises(ProviderBadResponse, match="deserialize error"):
        emails.verify("someone@acme.com")


# ReachStream


def test_reachstream_start_request_matches_the_contract(app, monkeypatch):
    sent = _sent(monkeypatch)
    reachstream.start(
        {"job_title": ["CTO", "CFO"], "company_address_country": ["India"]}, 5
    )
    ((_, method, _, kwargs),) = sent
    assert method == "POST"
    assert (
        contracts.problems("reachstream", "filter_data.request", kwargs["json"]) == []
    )


def test_reachstream_sandbox_refuses_a_filter_of_arrays_in_its_envelope(client):
    response = client.post(
        "/sandbox/reachstream/api/v2/async/records/filter/data",
        json={"fetchCount": 5, "filter": {"job_title": ["CTO"]}},
        headers={"X-API-Key": "k"},
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400 and "job_title" in body["message"]


def test_reachstream_plain_text_still_processing_is_a_wait(app):
    faults.set_overrides({"reachstream_ready_after": 60, "reachstream_text_wait": True})
    batch_id = reachstream.start({"job_title": ["CTO"]}, 3)
    result = reachstream.poll(batch_id)
    assert result.ready is False
    call = db.session.scalars(
        select(ProviderCall).where(ProviderCall.endpoint == "records/batch-process")
    ).one()
    assert (call.status_code, call.error) == (400, "waiting")


def test_a_search_whose_polls_answer_text_400_completes(app, workspace):
    from prospecting import tasks
    from prospecting.services import jobs
    from prospecting.services import searches

    app.config["REACHSTREAM_MAX_ERRORS"] = 2
    faults.set_overrides({"reachstream_ready_after": 60, "reachstream_text_wait": True})
    search = searches.start(workspace.id, None, {"job_title": ["CTO"]}, 3)
    tasks.enqueue_batches(jobs.open_batches(search.id))
    step = db.session.scalar(select(JobBatch).where(JobBatch.job_id == search.id))
    for _ in range(4):  # more polls than REACHSTREAM_MAX_ERRORS
        step.not_before = None
        db.session.commit()
        factories.run_batch(step.id)
        db.session.refresh(step)
    db.session.refresh(search.job)
    assert search.job.status in ("queued", "running"), search.job.error_message
    faults.set_overrides({"reachstream_ready_after": 0})
    from prospecting.sandbox import reachstream as sandbox_reachstream

    for batch in sandbox_reachstream._batches.values():
        batch["ready_at"] = 0
    step.not_before = None
    db.session.commit()
    factories.run_batch(step.id)
    db.session.refresh(search.job)
    assert search.job.status == "completed"
    health = {h.provider: h for h in ops.provider_health()}["reachstream"]
    assert (health.errors, health.waits) == (0, 4)


@pytest.mark.parametrize(
    "answer,quoted",
    [
        ("text", "Batch id is malformed"),
        ("json", "Batch id is malformed"),
    ],
)
def test_any_other_reachstream_400_is_an_error_quoting_the_body(answer, quoted):
    class Answer:
        status_code = 400
        text = (
            "Batch id is malformed"
            if answer == "text"
            else '{"status": 400, "message": "Batch id is malformed", "data": "null"}'
        )

        def json(self):
            import json

            return json.loads(self.text)

    with pytest.raises(ProviderBadResponse, match=quoted):
        reachstream.read_poll(reachstream._poll_body(Answer()), 400)
    assert reachstream.poll_call_kind(Answer()) is None


def test_the_seeds_environment_names_work_as_aliases(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "REACHSTREAM_API_KEY": "rs-key",
        "REACHSTREAM_BASE_URL": "https://rs.example",
        "ATTESTR_API_KEY": "at-key",
        "ATTESTR_API_URL": "https://at.example",
        "CONTACTS_TABLE_ID": "tblContacts",
    }
    for name in ("REACHSTREAM_KEY", "REACHSTREAM_URL", "ATTESTR_KEY", "ATTESTR_URL"):
        env.pop(name, None)
    code = (
        "from config import Config as C; print(C.REACHSTREAM_KEY, C.REACHSTREAM_URL,"
        " C.ATTESTR_KEY, C.ATTESTR_URL, C.AIRTABLE_CONTACTS_TABLE)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["rs-key", "https://rs.example", "at-key", "https://at.example",
                   "tblContacts"]  # fmt: skip


# Apollo


@pytest.fixture
def _apollo_unheld():
    companies._held_until = 0.0
    yield
    companies._held_until = 0.0


def test_apollo_request_matches_the_published_enrichment_contract(app, monkeypatch):
    sent = _sent(monkeypatch)
    companies.enrich("stripe.com")
    ((_, method, url, kwargs),) = sent
    assert method == "GET" and url.endswith("/api/v1/organizations/enrich")
    assert (
        contracts.problems("apollo", "organizations_enrich.request", kwargs["params"])
        == []
    )
    assert "api_key" not in kwargs["params"] and kwargs["headers"]["x-api-key"]


def test_apollo_sandbox_refuses_a_key_in_the_query_with_422(client):
    response = client.get(
        "/sandbox/apollo/api/v1/organizations/enrich?domain=a.com&api_key=k",
        headers={"x-api-key": "k"},
    )
    assert response.status_code == 422


def test_apollo_default_rate_is_per_minute_from_settings():
    from config import Config

    assert Config.PROVIDER_RATE_LIMITS["companies"] == (
        f"{Config.COMPANY_ENRICHER_PER_MINUTE}/minute"
    )


def test_apollo_minute_used_up_holds_the_next_call_without_sending(app, _apollo_unheld):
    faults.set_overrides({"apollo_minute_left": 0})
    companies.enrich("stripe.com")  # answered; it was the minute's last request
    with pytest.raises(ProviderRateLimited, match="x-minute-requests-left") as info:
        companies.enrich("acme.com")
    assert 0 < info.value.retry_after <= 60
    assert len(db.session.scalars(select(ProviderCall)).all()) == 1


@pytest.mark.parametrize("window", ["hourly", "daily"])
def test_apollo_hourly_or_daily_429_pauses_the_job_with_when_it_can_resume(
    auth_client, _apollo_unheld, window
):
    faults.set_overrides({"apollo_quota": window})
    job = start_enrichment(auth_client, factories.contacts_csv(3))
    assert job.status == "paused"
    assert f"used up its {window} quota of" in job.error_message
    assert "it can resume after" in job.error_message
    apollo = select(ProviderCall).where(ProviderCall.provider == "companies")
    assert len(db.session.scalars(apollo).all()) == 1  # no retry


def test_apollo_minute_429_waits_instead_of_pausing(app, _apollo_unheld):
    faults.set_overrides({"apollo_quota": "minute"})
    with pytest.raises(ProviderRateLimited) as info:
        companies.enrich("stripe.com")
    assert not isinstance(info.value, ProviderQuotaExhausted)


def test_apollo_403_says_the_plan_lacks_the_endpoint(app, _apollo_unheld):
    faults.set_overrides({"apollo_plan_lacks_endpoint": True})
    with pytest.raises(ProviderAuthError, match="plan does not include") as info:
        companies.enrich("stripe.com")
    assert "check the API key" not in info.value.message


# The sender


def _outgoing(message_id=7):
    return sender.Outgoing(
        message_id=message_id,
        platform="tiktok",
        platform_creator_id="creator-1",
        type="text",
        content="Hello",
    )


def test_sender_request_matches_its_contract(app, monkeypatch):
    sent = _sent(monkeypatch)
    sender.send(_outgoing())
    ((_, _, _, kwargs),) = sent
    assert contracts.problems("sender", "messages.request", kwargs["json"]) == []
    assert kwargs["headers"]["Idempotency-Key"] == kwargs["json"]["id"]


def test_a_2xx_without_a_body_is_sent_with_the_idempotency_key_as_reference(app):
    faults.set_overrides({"chat_empty_reply": True})
    delivery = sender.send(_outgoing(8))
    assert delivery.ref == "outreach-message-8"


def test_a_sender_4xx_quotes_the_receivers_answer(app, monkeypatch):
    monkeypatch.setattr(sender, "request_for", lambda message: {"id": "x"})
    with pytest.raises(ProviderBadResponse, match="HTTP 400.*platform"):
        sender.send(_outgoing())


def test_the_sandbox_delivers_one_idempotency_key_once(client):
    client.delete("/sandbox/chat/messages")
    body = sender.request_for(_outgoing(9))
    for _ in range(2):
        response = client.post(
            "/sandbox/chat/messages",
            json=body,
            headers={"Authorization": "Bearer k", "Idempotency-Key": body["id"]},
        )
        assert response.get_json()["id"] == "outreach-message-9"
    assert len(client.get("/sandbox/chat/messages").get_json()["messages"]) == 1


# Attestr


def test_attestr_request_matches_the_published_contract(app, monkeypatch):
    sent = _sent(monkeypatch)
    attestr.fetch_contacts("U74999TG2017PTC118280", max_contacts=5)
    ((_, method, url, kwargs),) = sent
    assert method == "POST" and url.endswith("/api/v2/public/leadx/mca-cin-contact")
    assert (
        contracts.problems("attestr", "mca_cin_contact.request", kwargs["json"]) == []
    )
    assert kwargs["headers"]["Authorization"].startswith("Basic ")


def test_attestr_sandbox_answers_match_the_published_contract(client):
    ok = client.post(
        "/sandbox/attestr/api/v2/public/leadx/mca-cin-contact",
        json={"reg": "U74999TG2017PTC118280"},
        headers={"Authorization": "Basic k"},
    )
    assert (
        contracts.problems("attestr", "mca_cin_contact.response", ok.get_json()) == []
    )
    refused = client.post(
        "/sandbox/attestr/api/v2/public/leadx/mca-cin-contact",
        json={"reg": "U74999TG2017PTC118280", "maxContacts": 5},
        headers={"Authorization": "Basic k"},
    )
    assert refused.status_code == 400 and refused.get_json()["code"] == 4001
    assert contracts.problems("attestr", "error.response", refused.get_json()) == []


def test_every_contract_names_a_public_source_for_each_provider_of_this_slice():
    for provider in ("reacher", "reachstream", "apollo", "attestr", "sender"):
        files = list((contracts.FOLDER / provider).glob("*.request.json"))
        assert files, provider
        for path in files:
            assert contracts.source(provider, path.stem).startswith("https://")


def test_apollo_and_reachstream_sandbox_answers_match_their_contracts(client):
    apollo = client.get(
        "/sandbox/apollo/api/v1/organizations/enrich?domain=stripe.com",
        headers={"x-api-key": "k"},
    )
    assert (
        contracts.problems("apollo", "organizations_enrich.response", apollo.get_json())
        == []
    )
    key = {"X-API-Key": "k"}
    credits = client.post(
        "/sandbox/reachstream/api/Search/v1/users/active/credits", headers=key
    )
    assert (
        contracts.problems("reachstream", "credits.response", credits.get_json()) == []
    )
    for variant in ("A", "B"):
        started = client.post(
            "/sandbox/reachstream/api/v2/async/records/filter/data",
            json={"fetchCount": 2, "filter": {"job_title": {"0": "CTO"}}},
            headers={**key, "X-Sandbox": f'{{"reachstream_variant": "{variant}"}}'},
        )
        batch_id = reachstream.batch_id_of(started.get_json())
        polled = client.get(
            f"/sandbox/reachstream/api/v2/records/batch-process?batch_process_id={batch_id}",
            headers=key,
        )
        assert (
            contracts.problems(
                "reachstream", "batch_process.response", polled.get_json()
            )
            == []
        )
