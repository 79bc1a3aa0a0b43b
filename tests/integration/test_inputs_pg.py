"""NUL characters on PostgreSQL (whose text and jsonb cannot hold one): refused with
a 422 naming where they are, or dropped from an upload's file name; no 'number out
of range', no orphaned file."""

import io
import os

import pytest
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Creator
from prospecting.models import Sample
from prospecting.models import Upload
from tests import factories

pytestmark = pytest.mark.integration


def api_headers() -> dict:
    user = factories.make_user(email="nul@x.test", workspace="NUL")
    return {"X-API-Key": factories.make_token(user.memberships[0].workspace.id)}


def test_ingested_strings_with_a_nul_are_refused_on_postgresql(pg_app):
    client, headers = pg_app.test_client(), api_headers()
    row = {
        "platformProductId": "p-1",
        "productName": "Lamp",
        "status": "shipped",
        "platformCreatorId": "c-1",
        "platformCreatorDisplayName": "Ann\x00",
    }
    refused = client.post("/samples/ingest", json={"rows": [row]}, headers=headers)
    assert refused.status_code == 422
    message = refused.json["error"]["message"]
    assert message.startswith("$.rows[0].platformCreatorDisplayName contains a NUL")
    assert "out of range" not in message
    assert db.session.scalar(select(func.count()).select_from(Sample)) == 0

    row["platformCreatorDisplayName"] = "Ann"
    stored = client.post("/samples/ingest", json={"rows": [row]}, headers=headers)
    assert stored.status_code == 200, stored.json
    assert db.session.scalar(select(Creator.display_name)) == "Ann"


def test_an_upload_named_with_a_nul_is_stored_on_postgresql(pg_app):
    client, headers = pg_app.test_client(), api_headers()
    response = client.post(
        "/jobs/upload",
        headers=headers,
        data={"file": (io.BytesIO(factories.contacts_csv(2)), "list\x00.csv")},
    )
    assert response.status_code == 202, response.json
    assert response.json["filename"] == "list.csv"
    (path,) = db.session.scalars(select(Upload.stored_path)).all()
    assert os.listdir(pg_app.config["UPLOAD_DIR"]) == [os.path.basename(path)]


def test_a_nul_deep_in_an_uploaded_csv_does_not_break_its_batch(pg_app):
    from prospecting.models import EnrichmentRow
    from prospecting.services import jobs

    user = factories.make_user(email="csvnul@x.test", workspace="CSV NUL")
    ws = user.memberships[0].workspace.id
    filler = factories.contacts_csv(2000)  # the NUL comes after the sniffed part
    assert len(filler) > 70_000
    content = filler + b"Nul Person,nul\x00p@example.com,Acme\x00 Ltd,,\r\n"
    job = factories.enrichment_job(ws, content, user_id=user.id, name="nul.csv")
    ((plan_id, _),) = jobs.open_batches(job.id)
    sent = []
    factories.run_batch(plan_id, dispatch=sent.extend)
    last = sent[-1][0]
    factories.run_batch(last)
    row = db.session.scalar(
        select(EnrichmentRow).where(
            EnrichmentRow.job_id == job.id, EnrichmentRow.row_number == 2001
        )
    )
    assert row.status in ("success", "failed")
    assert row.company == "Acme Ltd" and row.email == "nulp@example.com"
