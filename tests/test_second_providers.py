"""Hunter and People Data Labs behind the adapter contract: clients over the
sandbox, their published contracts, errors, prices and rate limits."""

import pytest
import requests
from sqlalchemy import select

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import ProviderCall
from prospecting.providers import adapters
from prospecting.providers import hunter
from prospecting.providers import pdl
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited
from prospecting.sandbox import contracts
from prospecting.sandbox import faults
from tests import factories


def test_every_field_has_two_providers_behind_one_contract(app):
    assert adapters.names("email_verification") == ["reacher", "hunter"]
    assert adapters.names("company") == ["apollo", "pdl"]
    assert "hunter" in adapters.names("email_finding")
    order = adapters.ordered("company", ["pdl", "nobody"])
    assert [a.name for a in order] == ["pdl"]
    assert [a.name for a in adapters.ordered("company", [])] == ["apollo", "pdl"]
    app.config["PDL_KEY"] = ""  # a provider without a key is never asked
    assert [a.name for a in adapters.ordered("company", ["pdl", "apollo"])] == [
        "apollo"
    ]


def test_hunter_verifier_maps_its_statuses_to_the_neutral_verdict(app):
    assert hunter.verify("jane.doe@globex.com").verdict == "valid"
    risky = hunter.verify("anyone@acme-catchall.com")
    assert (risky.verdict, risky.flags) == ("risky", ["catch_all"])
    assert hunter.verify("greylist@somewhere.com").verdict == "unknown"
    assert hunter.verify("bounce@somewhere.com").verdict == "invalid"
    free = hunter.verify("someone@gmail.com")
    assert (free.verdict, free.flags, free.provider) == (
        "valid",
        ["free_provider"],
        "hunter",
    )


def test_hunter_finder_answers_the_domain_pattern_or_not_found(app):
    found = hunter.find("John", "Smith", "northwind.io")
    assert found.email == "jsmith@northwind.io" and found.verdict == "valid"
    assert found.score and found.raw["domain"] == "northwind.io"
    with pytest.raises(ProviderNotFound):
        hunter.find("Ghost", "Writer", "northwind.io")


def test_hunter_sandbox_answers_match_the_published_contract(app, sandbox_url):
    answer = requests.get(
        f"{sandbox_url}/hunter/v2/email-verifier",
        params={"email": "a@globex.com", "api_key": "k"},
        timeout=5,
    )
    assert contracts.problems("hunter", "email-verifier.response", answer.json()) == []
    answer = requests.get(
        f"{sandbox_url}/hunter/v2/email-finder",
        params={"domain": "globex.com", "first_name": "A", "last_name": "B",
                "api_key": "k"},
        timeout=5,
    )  # fmt: skip
    assert contracts.problems("hunter", "email-finder.response", answer.json()) == []


def test_hunter_sandbox_refuses_what_hunter_refuses(app, sandbox_url):
    no_key = requests.get(
        f"{sandbox_url}/hunter/v2/email-verifier", params={"email": "a@b.com"},
        timeout=5,
    )  # fmt: skip
    assert no_key.status_code == 401
    assert no_key.json()["errors"][0]["id"] == "authentication_failed"
    assert contracts.problems("hunter", "errors.response", no_key.json()) == []
    no_name = requests.get(
        f"{sandbox_url}/hunter/v2/email-finder",
        params={"domain": "b.com", "api_key": "k"},
        timeout=5,
    )
    assert no_name.status_code == 400
    assert no_name.json()["errors"][0]["id"] == "wrong_params"


def test_hunter_refused_key_and_its_403_rate_limit_map_to_provider_errors(app):
    app.config["HUNTER_KEY"] = "invalid-key"
    with pytest.raises(ProviderAuthError):
        hunter.verify("a@globex.com")
    app.config["HUNTER_KEY"] = "sandbox-key"
    faults.set_overrides({"rate_limit_rate": 1.0, "latency_ms": 0})
    with pytest.raises(ProviderRateLimited) as caught:
        hunter.verify("a@globex.com")
    assert caught.value.status == 403


def test_pdl_enriches_by_website_and_by_name_and_404_is_not_found(app):
    company = pdl.enrich("unknown-corp.com")
    assert company.provider == "pdl" and company.name == "Unknown Corp"
    assert company.size_range and company.country
    assert pdl.enrich_by_name("Northwind").domain == "northwind.com"
    with pytest.raises(ProviderNotFound):
        pdl.enrich("nowhere.com")


def test_pdl_sandbox_answers_and_refusals_match_the_published_contract(
    app, sandbox_url
):
    answer = requests.get(
        f"{sandbox_url}/pdl/v5/company/enrich",
        params={"website": "unknown-corp.com"},
        headers={"X-Api-Key": "k"},
        timeout=5,
    )
    assert contracts.problems("pdl", "company-enrich.response", answer.json()) == []
    no_key = requests.get(
        f"{sandbox_url}/pdl/v5/company/enrich",
        params={"website": "a.com"},
        timeout=5,
    )
    assert no_key.status_code == 401
    assert contracts.problems("pdl", "errors.response", no_key.json()) == []
    no_match_key = requests.get(
        f"{sandbox_url}/pdl/v5/company/enrich",
        params={"locality": "paris"},
        headers={"X-Api-Key": "k"},
        timeout=5,
    )
    assert no_match_key.status_code == 400


def test_second_providers_are_priced_and_rate_limited(app):
    assert metering.price("hunter", hunter.VERIFIER) > 0
    assert metering.price("hunter", hunter.FINDER) > 0
    assert metering.price("pdl", pdl.ENDPOINT) > 0
    assert app.config["PROVIDER_RATE_LIMITS"]["hunter"] == "10/second"
    assert "pdl" in app.config["PROVIDER_RATE_LIMITS"]


def test_a_pdl_miss_is_logged_and_not_charged(app, workspace):
    job = factories.make_job(workspace.id)
    with metering.job_context(job.id):
        with pytest.raises(ProviderNotFound):
            pdl.enrich("nowhere.com")
        pdl.enrich("unknown-corp.com")
    db.session.commit()
    calls = db.session.scalars(
        select(ProviderCall).where(ProviderCall.job_id == job.id)
    ).all()
    assert sorted((c.status_code, float(c.cost)) for c in calls) == [
        (200, 0.02),
        (404, 0),
    ]


def test_the_free_checks_of_hunter_and_pdl_match_their_published_contracts(
    app, sandbox_url
):
    account = requests.get(
        f"{sandbox_url}/hunter/v2/account", params={"api_key": "k"}, timeout=5
    )
    assert contracts.problems("hunter", "account.response", account.json()) == []
    extra = requests.get(
        f"{sandbox_url}/hunter/v2/account",
        params={"api_key": "k", "domain": "a.com"},
        timeout=5,
    )
    assert extra.status_code == 400  # Hunter's account call takes only the key
    suggest = requests.get(
        f"{sandbox_url}/pdl/v5/autocomplete",
        params={"field": "company", "text": "acme", "size": "1"},
        headers={"X-Api-Key": "k"},
        timeout=5,
    )
    assert contracts.problems("pdl", "autocomplete.response", suggest.json()) == []
    no_field = requests.get(
        f"{sandbox_url}/pdl/v5/autocomplete",
        params={"text": "acme"},
        headers={"X-Api-Key": "k"},
        timeout=5,
    )
    assert no_field.status_code == 400


def test_the_hunter_and_pdl_checks_are_free_and_say_what_is_left(app):
    assert "500 searches and 1000 verifications left" in hunter.check()
    assert "1 suggestion" in pdl.check()
    calls = db.session.scalars(select(ProviderCall)).all()
    assert {c.provider for c in calls} == {"hunter", "pdl"}
    assert all(not c.cost for c in calls)


def test_a_provider_without_a_key_is_reported_as_not_used(app):
    app.config["HUNTER_KEY"] = ""
    app.config["PDL_KEY"] = ""
    assert hunter.check().startswith("not used: HUNTER_KEY is not set")
    assert pdl.check().startswith("not used: PDL_KEY is not set")
    assert db.session.scalars(select(ProviderCall)).all() == []
