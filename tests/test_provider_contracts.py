"""Our clients against the providers' published contracts: the requests they send
validate against the schemas in sandbox/contracts, and each provider's own errors
(Reacher's secret header, ReachStream's text 400, Apollo's windows, Attestr's
daily quota, the sender's empty 2xx) mean what the provider says they mean."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import ProviderCall
from prospecting.providers import emails
from prospecting.providers import http
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.sandbox import contracts
from prospecting.sandbox import faults
from tests import factories
from tests.test_enrichment import run_job


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
    job = run_job(auth_client, factories.contacts_csv(3))
    assert job.status == "failed"
    assert 'Missing request header "x-reacher-secret"' in job.error_message
    # the job stopped at the first refusal: one call, not one per row
    assert len(db.session.scalars(select(ProviderCall)).all()) == 1


def test_another_reacher_400_quotes_its_body(app, monkeypatch):
    monkeypatch.setattr(emails, "request_for", lambda email: {"email": email})
    with pytest.raises(ProviderBadResponse, match="deserialize error"):
        emails.verify("someone@acme.com")
