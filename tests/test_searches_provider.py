"""The ReachStream client against the sandbox over real HTTP, both response variants."""

import time

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import ProviderCall
from prospecting.providers import reachstream
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderOutcomeUnknown
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable
from prospecting.sandbox import faults
from prospecting.sandbox.reachstream import records_for

FILTER = {"job_title": ["CTO", "VP Engineering"], "company_address_country": ["India"]}


def _sandbox(**values):
    faults.set_overrides({f"reachstream_{k}": v for k, v in values.items()})


@pytest.mark.parametrize("variant", ["A", "B"])
def test_client_start_then_poll_returns_the_records(app, variant):
    _sandbox(variant=variant, ready_after=0)
    batch_id = reachstream.start(FILTER, 7)
    result = reachstream.poll(batch_id)
    assert result.ready
    assert len(result.records) == 7
    assert result.records == records_for(FILTER, 7)
    assert {r["contact_job_title_1"] for r in result.records} <= {
        "CTO",
        "VP Engineering",
    }


@pytest.mark.parametrize("variant", ["A", "B"])
def test_client_poll_reports_still_processing_until_ready(app, variant):
    _sandbox(variant=variant, ready_after=0.4)
    batch_id = reachstream.start(FILTER, 3)
    waiting = reachstream.poll(batch_id)
    assert not waiting.ready and waiting.records == []
    time.sleep(0.45)
    assert reachstream.poll(batch_id).ready


def test_client_variant_a_waiting_is_http_400_still_being_processed(app, client):
    _sandbox(variant="A", ready_after=30)
    batch_id = reachstream.start(FILTER, 3)
    raw = client.get(
        f"/sandbox/reachstream/api/v2/records/batch-process?batch_process_id={batch_id}",
        headers={"X-API-Key": "k"},
    )
    assert raw.status_code == 400
    assert "still being processed" in raw.get_json()["message"]


def test_client_invalid_key_raises_auth_error_with_clear_message(app):
    app.config["REACHSTREAM_KEY"] = "invalid-key"
    with pytest.raises(ProviderAuthError, match="Invalid ReachStream API key"):
        reachstream.start(FILTER, 3)


def test_client_variant_b_insufficient_balance_on_poll(app):
    _sandbox(variant="B", ready_after=0)
    app.config["REACHSTREAM_KEY"] = "broke-key"
    batch_id = reachstream.start(FILTER, 3)
    with pytest.raises(reachstream.ProviderOutOfCredits, match="Out of ReachStream"):
        reachstream.poll(batch_id)


def test_client_variant_a_refusal_in_body_despite_http_200(app):
    _sandbox(variant="A", credits=2)
    with pytest.raises(reachstream.ProviderOutOfCredits):
        reachstream.start(FILTER, 3)


def test_client_5xx_of_a_poll_outlasting_retries_is_unavailable(app):
    faults.set_overrides({"error_rate": 1.0})
    with pytest.raises(ProviderUnavailable, match="HTTP 503"):
        reachstream.poll("batch-1")


def test_client_5xx_of_a_start_is_sent_once_and_its_outcome_unknown(app):
    faults.set_overrides({"error_rate": 1.0})
    with pytest.raises(ProviderOutcomeUnknown, match="HTTP 503"):
        reachstream.start(FILTER, 3)
    call = db.session.scalars(select(ProviderCall)).one()
    assert call.attempts == 1


def test_client_429_is_rate_limited_with_retry_after(app):
    faults.set_overrides({"rate_limit_rate": 1.0, "retry_after": 0})
    with pytest.raises(ProviderRateLimited) as caught:
        reachstream.start(FILTER, 3)
    assert caught.value.retry_after >= 0


def test_client_credits_decodes_json_string_data(app):
    _sandbox(credits=23)
    assert reachstream.credits() == 23


def test_provider_filter_uses_index_keyed_objects():
    assert reachstream.provider_filter({"job_title": ["CTO", "CFO"], "x": []}) == {
        "job_title": {"0": "CTO", "1": "CFO"}
    }


def test_read_poll_tolerates_record_status_and_records_key():
    ready = reachstream.read_poll(
        {"record_status": "READY", "data": {"records": [{"id": 1}]}}, 200
    )
    assert ready.ready and ready.records == [{"id": 1}]
    assert not reachstream.read_poll({"status": "PROCESSING"}, 200).ready


def test_read_poll_trusts_an_error_status_in_the_body_over_http_200():
    with pytest.raises(ProviderUnavailable):
        reachstream.read_poll({"status": 500, "message": "Server Error"}, 200)
    with pytest.raises(ProviderAuthError):
        reachstream.read_poll({"status": "401", "message": "Unauthorized"}, 200)
    with pytest.raises(ProviderBadResponse):
        reachstream.read_poll({"status": "WEIRD"}, 200)


def test_batch_id_of_reads_both_variants_at_top_level_or_under_data():
    assert reachstream.batch_id_of({"data": {"unique_processing_id": "a"}}) == "a"
    assert reachstream.batch_id_of({"batch_process_id": "b"}) == "b"
    assert reachstream.batch_id_of({"data": {"batch_process_id": 7}}) == "7"
    assert reachstream.batch_id_of({"data": None}) is None


def test_profile_fields_map_the_record_and_fall_back_to_a_digest_id():
    fields = reachstream.profile_fields(
        {
            "contact_first_name": "Ada",
            "contact_last_name": "Lovelace",
            "contact_job_title_1": "CTO",
            "company_company_name": "Engines",
            "contact_email_1": "ada@engines.example",
            "contact_social_linkedin": "https://www.linkedin.com/in/ada",
            "contact_address_city": "London",
            "company_address_country": "United Kingdom",
        }
    )
    assert fields["full_name"] == "Ada Lovelace"
    assert fields["location"] == "London, United Kingdom"
    assert fields["provider_record_id"].startswith("sha256:")


def test_sandbox_records_are_deterministic_per_filter():
    assert records_for(FILTER, 5) == records_for(FILTER, 5)
    assert records_for(FILTER, 5) != records_for({"job_title": ["CFO"]}, 5)
    assert records_for(FILTER, 10)[:5] == records_for(FILTER, 5)
