"""Merge, undo and erase on PostgreSQL: the moved rows, the re-inserted contacts
with their old ids, the JSONB snapshot and the suppression list."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.services import contacts
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts import erase
from prospecting.services.contacts import merge
from prospecting.services.contacts import merge_undo
from tests import factories

pytestmark = pytest.mark.integration


@pytest.fixture
def workspace(pg_app):
    user = factories.make_user(email="owner@acme.test", workspace="Acme")
    return user.memberships[0].workspace


def test_merge_then_undo_restores_the_loser_on_postgresql(workspace):
    acme = factories.make_company(workspace.id, "Acme")
    a = factories.make_contact(workspace.id, name="Jane", email="jane.doe@gmail.com")
    b = factories.make_contact(
        workspace.id,
        name="J",
        email="janedoe+x@gmail.com",
        phone="+14155550101",
        linkedin_url="https://linkedin.com/in/jane",
        company_id=acme.id,
        role="CTO",
    )
    a_id, b_id = a.id, b.id
    _, record = merge.merge(workspace.id, a_id, [b_id])
    db.session.expire_all()
    winner = db.session.get(Contact, a_id)
    assert (winner.phone, winner.linkedin_key) == (
        "+14155550101",
        "linkedin.com/in/jane",
    )
    assert len(winner.emails) == 2 and [link.role for link in winner.links] == ["CTO"]
    merge_undo.undo(workspace.id, record.id)
    db.session.expire_all()
    winner, loser = db.session.get(Contact, a_id), db.session.get(Contact, b_id)
    assert (winner.phone, winner.linkedin_key, len(winner.emails)) == (None, None, 1)
    assert (loser.email, loser.linkedin_key) == (
        "janedoe+x@gmail.com",
        "linkedin.com/in/jane",
    )
    assert [link.role for link in loser.links] == ["CTO"]
    # The sequence is untouched: a new contact still gets a fresh id.
    c = factories.make_contact(workspace.id, email="new@x.io")
    assert c.id > b_id


def test_erased_person_stays_out_on_postgresql(workspace):
    a = factories.make_contact(workspace.id, email="gone@x.io", phone="+14155550102")
    erase.erase_contact(workspace.id, a.id, confirm="gone@x.io")
    report = contacts.upsert_contacts(
        workspace.id, [ContactInput(email="GONE@x.io"), ContactInput(email="ok@x.io")]
    )
    assert [i.rule for i in report.items] == ["suppressed", None]
    assert db.session.scalar(select(Contact.email)) == "ok@x.io"


def test_erase_scrubs_json_columns_on_postgresql(workspace):
    from prospecting.models import AuditEvent
    from prospecting.models import ContactMerge
    from prospecting.models import EnrichmentPage
    from prospecting.models import JobBatch
    from prospecting.services import audit

    a = factories.make_contact(workspace.id, name="Jane", email="jane.doe@gmail.com")
    b = factories.make_contact(workspace.id, name="J", email="jd@x.io")
    merge.merge(workspace.id, a.id, [b.id])
    job = factories.make_job(
        workspace.id,
        kind="contact_import",
        params={"kept_out_rows": [[2, "Jane", "jd@x.io", "", "", "r", "y"]]},
    )
    db.session.add(
        JobBatch(
            job_id=job.id,
            seq=0,
            kind="contact_import.chunk",
            params={"rows": [{"email": "JD@x.io"}, {"email": "o@x.io"}]},
        )
    )
    db.session.add(
        EnrichmentPage(
            job_id=job.id, last_row=1, first_row=1, data=[["Jane", "jd@x.io"]]
        )
    )
    audit.record(workspace.id, "note", "x", details={"to": "jd@x.io"})
    db.session.commit()
    erase.erase_contact(workspace.id, a.id, confirm="jane.doe@gmail.com")
    db.session.expire_all()
    assert db.session.scalars(select(ContactMerge)).all() == []
    assert db.session.get(type(job), job.id).params["kept_out_rows"] == []
    (batch,) = db.session.scalars(select(JobBatch)).all()
    assert batch.params["rows"] == [{"email": "o@x.io"}]
    (page,) = db.session.scalars(select(EnrichmentPage)).all()
    assert page.data == [["", ""]]
    assert all(
        "jd@x.io" not in str(e.details) for e in db.session.scalars(select(AuditEvent))
    )
