"""Audit of every job's inputs and "re-run exactly"."""

import os

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import Upload
from prospecting.services import audit
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services import searches
from tests import factories
from tests.factories import start_enrichment

CIN = "U74999TG2017PTC118280"
PEOPLE = factories.people_csv(4, firms=3, delimiter=";")


def rerun(client, job_id: str):
    return client.post(f"/jobs/{job_id}/rerun-exactly")


def test_every_job_records_an_audit_of_its_inputs(app, workspace):
    job = searches.start(workspace.id, None, {"job_title": ["CTO"]}, 10).job
    record = job.params["audit"]
    assert record["app_version"] == "0.1.0"
    assert record["inputs_sha256"] == audit.inputs_digest(job.params)
    assert record["providers"]["reachstream"]["base_url"].endswith("/reachstream")
    assert record["recorded_at"]


def test_enrichment_audit_has_the_file_hash_and_shows_on_the_page(auth_client):
    job = start_enrichment(auth_client, PEOPLE)
    upload = db.session.get(Upload, job.params["upload_id"])
    assert job.params["audit"]["file_sha256"] == upload.sha256
    assert set(job.params["audit"]["providers"]) == {"emails", "companies"}
    page = auth_client.get(f"/enrichment/jobs/{job.id}").get_data(as_text=True)
    assert f'id="job-audit-{job.id}"' in page and upload.sha256 in page
    assert 'id="rerun-exactly-button"' in page


def test_rerun_exactly_starts_an_enrichment_with_the_same_inputs(auth_client):
    old = start_enrichment(auth_client, PEOPLE, cost_cap="3")
    response = rerun(auth_client, old.id)
    assert response.status_code == 302
    new_id = response.headers["Location"].rsplit("/", 1)[1]
    assert response.headers["Location"].endswith(f"/enrichment/jobs/{new_id}")
    db.session.expire_all()
    new = db.session.get(Job, new_id)
    assert new.id != old.id and new.status == "completed"
    assert new.success_count + new.failed_count == 4
    assert new.params["audit"]["rerun_of"] == old.id
    assert new.params["audit"]["inputs_sha256"] == old.params["audit"]["inputs_sha256"]
    for key in ("upload_id", "sha256", "encoding", "delimiter", "mapping", "headers"):
        assert new.params[key] == old.params[key]
    assert new.params["delimiter"] == ";" and new.params["cost_cap"] == "3"


def test_rerun_exactly_refuses_a_changed_file(auth_client):
    job = start_enrichment(auth_client, PEOPLE)
    upload = db.session.get(Upload, job.params["upload_id"])
    with open(upload.stored_path, "ab") as f:
        f.write(b"P 9;p9@firm9.com;\r\n")
    response = rerun(auth_client, job.id)
    assert response.status_code == 409
    assert "changed since this job ran" in response.get_data(as_text=True)


def test_rerun_exactly_refuses_a_deleted_file(auth_client):
    job = start_enrichment(auth_client, PEOPLE)
    os.remove(db.session.get(Upload, job.params["upload_id"]).stored_path)
    response = rerun(auth_client, job.id)
    assert response.status_code == 409
    assert "upload it again" in response.get_data(as_text=True)


def test_rerun_exactly_repeats_a_contact_fetch(auth_client, workspace):
    company = contacts.save_company(workspace.id, name="Acme", registration_number=CIN)
    old = contacts.start_fetch(workspace.id, None, company.id, max_contacts=2)
    response = rerun(auth_client, old.id)
    assert response.status_code == 302
    new_id = response.headers["Location"].rsplit("/", 2)[1]
    assert response.headers["Location"].endswith(f"/jobs/{new_id}/fetch")
    db.session.expire_all()
    new = db.session.get(Job, new_id)
    assert new.kind == "contact_fetch" and new.status == "completed"
    assert new.params["company_id"] == company.id and new.params["max_contacts"] == 2
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="job-audit-{new.id}"' in page and old.id in page


def test_rerun_exactly_repeats_a_people_search_with_its_params(app, workspace):
    search = searches.start(workspace.id, None, {"job_title": ["CTO"]}, 25)
    new = jobs.rerun_exactly(workspace.id, search.id)
    assert new.kind == "people_search" and new.id != search.id
    assert new.params["filter"] == search.job.params["filter"]
    assert new.params["fetch_count"] == 25


def test_rerun_exactly_is_refused_for_kinds_without_fixed_inputs(
    auth_client, workspace
):
    job = factories.make_job(workspace.id, kind="airtable_sync", status="completed")
    response = rerun(auth_client, job.id)
    assert response.status_code == 409
    assert "cannot be re-run exactly" in response.get_data(as_text=True)


def test_rerun_exactly_of_another_workspaces_job_is_404(auth_client, other_workspace):
    job = factories.make_job(other_workspace.id, status="completed")
    assert rerun(auth_client, job.id).status_code == 404
