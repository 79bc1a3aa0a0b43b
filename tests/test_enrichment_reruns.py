"""Conditional re-runs of a finished CSV enrichment: only unknown verdicts, only
verifications older than N days, only rows whose field is empty; the estimate
counts only the rows that will run, and unknown verdicts are asked again."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models.base import utcnow
from prospecting.services import enrichment
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.finder import waterfall
from tests import factories

PEOPLE = [
    ["Name", "Email", "Company", "Phone", "Website"],
    ["Ann", "ann@acme.com", "Acme", "", ""],
    ["Bo", "unknown.bo@acme.com", "Acme", "", ""],
    ["Cy", "cy@globex.com", "", "", ""],
]


@pytest.fixture
def finished(auth_client, workspace):
    job = factories.start_enrichment(auth_client, factories.csv_bytes(PEOPLE))
    assert job.status == "completed"
    return job


def rows(job) -> dict[str, EnrichmentRow]:
    db.session.expire_all()
    found = db.session.scalars(
        select(EnrichmentRow).where(EnrichmentRow.job_id == job.id)
    )
    return {r.email: r for r in found}


def test_the_estimate_counts_only_the_unknown_verdicts(auth_client, finished):
    assert rows(finished)["unknown.bo@acme.com"].email_verdict == "unknown"
    page = auth_client.get(f"/enrichment/jobs/{finished.id}/rerun?only_unknown=y")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<strong id="rerun-rows">1</strong> row will run again' in html
    estimate = enrichment.rerun_estimate(
        finished, enrichment.rerun_conditions(only_unknown=True)
    )
    checks = estimate.estimate.lines[0]
    # Asked again, not read from the cache that holds the unknown answer.
    assert (checks["calls"], checks["cached"]) == (1, 0)


def test_a_rerun_of_unknown_verdicts_asks_the_verifier_again_for_those_only(
    auth_client, finished, monkeypatch
):
    asked = []
    real = waterfall.verify

    def spy(email, order=None, *, fresh=False):
        asked.append((email, fresh))
        return real(email, order, fresh=fresh)

    monkeypatch.setattr(waterfall, "verify", spy)
    response = auth_client.post(
        f"/enrichment/jobs/{finished.id}/rerun", data={"only_unknown": "y"}
    )
    assert response.status_code == 302
    assert asked == [("unknown.bo@acme.com", True)]
    job = db.session.get(Job, finished.id)
    assert job.status == "completed"
    assert job.success_count + job.failed_count == 3
    assert job.params["rerun"] == {"only_unknown": True, "fresh": True}


def test_only_verifications_older_than_n_days_run_again(finished):
    db.session.execute(
        update(EnrichmentRow)
        .where(EnrichmentRow.job_id == finished.id, EnrichmentRow.row_number == 1)
        .values(processed_at=utcnow() - timedelta(days=100))
    )
    db.session.commit()
    conditions = enrichment.rerun_conditions(older_than_days="30")
    assert enrichment.rerun_estimate(finished, conditions).rows == 1
    job = enrichment.rerun_failed(finished.workspace_id, finished.id, conditions)
    assert rows(job)["ann@acme.com"].status == "pending"
    assert rows(job)["cy@globex.com"].status != "pending"
    assert job.progress_current == 2  # the rows not sent again stay counted


def test_only_rows_whose_field_is_empty_run_again(finished):
    empty = [r for r in rows(finished).values() if r.company_name is None]
    conditions = enrichment.rerun_conditions(empty_field="company")
    assert enrichment.rerun_estimate(finished, conditions).rows == len(empty)


def test_no_matching_row_is_a_conflict_naming_the_condition(finished):
    conditions = enrichment.rerun_conditions(older_than_days="365")
    with pytest.raises(Conflict, match="verified more than 365 days ago"):
        enrichment.rerun_failed(finished.workspace_id, finished.id, conditions)


@pytest.mark.parametrize(
    "args,field",
    [({"older_than_days": "soon"}, "older_than_days"),
     ({"empty_field": "shoe_size"}, "empty_field")],
)  # fmt: skip
def test_bad_conditions_are_422_naming_the_field(auth_client, finished, args, field):
    response = auth_client.post(f"/enrichment/jobs/{finished.id}/rerun", data=args)
    assert response.status_code == 422
    assert field.replace("_", " ") in response.get_data(as_text=True).lower() or (
        field in response.get_data(as_text=True)
    )
    with pytest.raises(InvalidInput):
        enrichment.rerun_conditions(**args)
