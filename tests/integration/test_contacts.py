"""Contacts on PostgreSQL: the partial unique indexes under concurrent upserts, and the
Airtable sync run by real workers sharing the Redis throttle."""

import threading

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.sandbox import airtable as sandbox
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services.contacts import ContactInput
from tests import factories
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def workspace(pg_app):
    user = factories.make_user(email="owner@acme.test", workspace="Acme")
    return user.memberships[0].workspace


def test_partial_unique_indexes_exist_on_postgresql(pg_app):
    rows = db.session.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts'")
    ).all()
    defs = dict(rows)
    assert "WHERE (email IS NOT NULL)" in defs["uq_contacts_workspace_email"]
    assert "WHERE (phone IS NOT NULL)" in defs["uq_contacts_workspace_phone"]
    assert defs["uq_contacts_workspace_email"].startswith("CREATE UNIQUE INDEX")


def test_postgresql_refuses_duplicates_but_allows_many_nulls(workspace):
    db.session.add_all(
        [Contact(workspace_id=workspace.id, phone=f"+1415555{n:04d}") for n in range(3)]
    )
    db.session.commit()
    db.session.add(Contact(workspace_id=workspace.id, phone="+14155550001"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_concurrent_upserts_keep_one_contact_per_person(pg_app, workspace):
    """Eight threads add the same 30 people, by email+phone or by phone alone."""
    people = [(f"person{i}@x.io", f"+91 98{i:03d} 4{i:04d}") for i in range(30)]
    errors = []
    barrier = threading.Barrier(8)

    def worker(n):
        inputs = [
            ContactInput(
                name=f"P{i}",
                email=email if n % 2 else None,
                phone=phone,
                phone_region="IN",
            )
            for i, (email, phone) in enumerate(people)
        ]
        if n % 3:
            inputs.reverse()
        with pg_app.app_context():
            barrier.wait()
            try:
                contacts.upsert_contacts(workspace.id, inputs)
            except Exception as exc:  # any error fails the test below
                errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Contact.id))) == 30
    rows = db.session.scalars(select(Contact)).all()
    assert all(c.email and c.phone.startswith("+91") for c in rows)


def test_sync_by_real_workers_shares_the_throttle(pg_app, workspace, start_worker):
    """Two worker processes sync 6 chunks (overwrite: one request each; a "fill"
    chunk would take all 45 contacts); the Redis limiter keeps them under 5/s."""
    base = factories.airtable_base()
    contacts.save_settings(
        workspace.id,
        token="patWorkers",
        base_id=base,
        contacts_table="Contacts",
        companies_table="Companies",
        contact_fields=dict(contacts.CONTACT_FIELDS),
        company_fields=dict(contacts.COMPANY_FIELDS),
    )
    company = contacts.save_company(workspace.id, name="Acme")
    contacts.upsert_contacts(
        workspace.id,
        [ContactInput(email=f"w{i}@x.io", company_id=company.id) for i in range(45)],
    )
    for _ in range(2):
        start_worker(threads=4, AIRTABLE_LOCKOUT_SECONDS="1")
    job = contacts.start_sync(workspace.id, update_strategy="overwrite")
    tasks.enqueue_batches(jobs.open_batches(job.id))

    def finished():
        db.session.expire_all()
        return jobs.get(workspace.id, job.id).is_terminal

    # Generous: if the queue loses a message, the minute reaper re-sends the batch.
    wait_for(finished, timeout=150, message="the sync job to finish")
    job = jobs.get(workspace.id, job.id)
    assert (job.status, job.success_count, job.failed_count) == ("completed", 46, 0)
    calls = sandbox.calls(base)
    assert [c["status"] for c in calls] == [200] * 6
    assert calls[0]["table"] == "Companies"
    assert len(sandbox.records(base, "Contacts")) == 45


def test_a_contacts_other_columns_are_kept_merged_and_exported_on_postgresql(
    workspace,
):
    from prospecting.services import exports

    people = [ContactInput(name="A", phone="+14155550100", extra={"Notes": "one"}),
              ContactInput(name="B", phone="+14155550101")]  # fmt: skip
    contacts.upsert_contacts(workspace.id, people)
    contacts.upsert_contacts(
        workspace.id,
        [ContactInput(name="A", phone="+14155550100", extra={"Tier": "gold"})],
    )
    header, rows = exports.tables.contacts(workspace.id, columns="name,extra")
    assert header == ["name", "extra"]
    extras = {name: extra for name, extra in rows}
    assert extras["B"] is None
    assert extras["A"] in ('{"Tier": "gold", "Notes": "one"}',
                           '{"Notes": "one", "Tier": "gold"}')  # fmt: skip
