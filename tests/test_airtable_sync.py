"""The Airtable sync job: chunks, companies first, lockout, per-record errors, retry."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update

from prospecting import crypto
from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import AirtableSettings
from prospecting.models import Contact
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.providers import airtable
from prospecting.sandbox import airtable as sandbox
from prospecting.sandbox import faults
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts import airtable_sync
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from tests import factories

TOKEN = "patSyncToken"


@pytest.fixture
def base(workspace):
    """A fresh sandbox base configured as the workspace's Airtable."""
    base_id = factories.airtable_base()
    configure(workspace.id, base_id)
    return base_id


def configure(workspace_id, base_id, token=TOKEN, **kw):
    return contacts.save_settings(
        workspace_id,
        token=token,
        base_id=base_id,
        contacts_table="Contacts",
        companies_table="Companies",
        contact_fields=dict(contacts.CONTACT_FIELDS),
        company_fields=dict(contacts.COMPANY_FIELDS),
        **kw,
    )


def add_people(workspace_id, n, *, company_id=None, prefix="p"):
    return contacts.upsert_contacts(
        workspace_id,
        [
            ContactInput(
                name=f"Person {i}", email=f"{prefix}{i}@x.io", company_id=company_id
            )
            for i in range(n)
        ],
    )


def run_sync(workspace_id, **kw):
    job = contacts.start_sync(workspace_id, **kw)
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    return jobs.get(workspace_id, job.id)


def test_settings_store_the_token_encrypted(workspace, base):
    settings = db.session.scalar(select(AirtableSettings))
    assert TOKEN not in settings.token_encrypted
    assert crypto.decrypt(settings.token_encrypted) == TOKEN
    # A blank token keeps the stored one.
    configure(workspace.id, base, token="")
    assert contacts.connection(workspace.id).token == TOKEN


@pytest.mark.parametrize(
    "change",
    [
        {"base_id": "nope"},
        {"merge_field": "name"},
        {"contact_fields": {**contacts.CONTACT_FIELDS, "email": ""}},
    ],
)
def test_settings_refuse_bad_values(workspace, change):
    values = {
        "token": TOKEN,
        "base_id": "app" + "a" * 14,
        "contacts_table": "Contacts",
        "companies_table": "Companies",
        "contact_fields": dict(contacts.CONTACT_FIELDS),
        "company_fields": dict(contacts.COMPANY_FIELDS),
        **change,
    }
    with pytest.raises(InvalidInput):
        contacts.save_settings(workspace.id, **values)


def test_sync_sends_companies_first_then_linked_contacts_ten_a_request(workspace, base):
    acme = contacts.save_company(
        workspace.id, name="Acme", registration_number="U74999TG2017PTC118280"
    )
    globex = contacts.save_company(workspace.id, name="Globex", domain="globex.io")
    add_people(workspace.id, 13, company_id=acme.id, prefix="a")
    add_people(workspace.id, 10, company_id=globex.id, prefix="g")
    job = run_sync(workspace.id)
    assert job.status == "completed"
    assert (job.success_count, job.failed_count) == (25, 0)
    calls = sandbox.calls(base)
    assert [c["table"] for c in calls] == ["Companies"] + ["Contacts"] * 3
    assert [c["records"] for c in calls] == [2, 10, 10, 3]
    assert all(c["typecast"] is True and c["status"] == 200 for c in calls)
    companies = {r["fields"]["Name"]: r for r in sandbox.records(base, "Companies")}
    assert companies["Acme"]["fields"]["CIN"] == "U74999TG2017PTC118280"
    rows = sandbox.records(base, "Contacts")
    assert len(rows) == 23
    linked = {r["fields"]["Email"]: r["fields"]["Company"] for r in rows}
    assert linked["a0@x.io"] == [companies["Acme"]["id"]]
    assert linked["g9@x.io"] == [companies["Globex"]["id"]]
    for contact in db.session.scalars(select(Contact)):
        assert contact.sync_state == "synced"
        assert contact.crm_record_id.startswith("rec")
    # Batches: the plan, one company chunk, one contact chunk (up to 100 each).
    kinds = db.session.scalars(
        select(JobBatch.kind).where(JobBatch.job_id == job.id).order_by(JobBatch.seq)
    ).all()
    assert kinds == [
        airtable_sync.PLAN,
        airtable_sync.COMPANIES,
        airtable_sync.CONTACTS,
    ]


def test_sync_only_sends_what_changed_since_the_last_sync(workspace, base):
    report = add_people(workspace.id, 3)
    run_sync(workspace.id)
    contacts.upsert_contacts(
        workspace.id, [ContactInput(email="p1@x.io", title="Head of Sales")]
    )
    _, pending = contacts.search_contacts(workspace.id, sync="pending")
    assert pending == 1
    job = run_sync(workspace.id)
    assert (job.progress_total, job.success_count) == (1, 1)
    row = next(
        r
        for r in sandbox.records(base, "Contacts")
        if r["fields"]["Email"] == "p1@x.io"
    )
    assert row["fields"]["Title"] == "Head of Sales"
    assert (
        row["id"] == db.session.get(Contact, report.items[1].contact_id).crm_record_id
    )
    assert len(sandbox.records(base, "Contacts")) == 3


def test_multiple_match_fails_only_that_contact(workspace, base, sandbox_url):
    for _ in range(2):
        sandbox.add(base, "Contacts", {"Email": "p1@x.io"})
    add_people(workspace.id, 3)
    job = run_sync(workspace.id)
    assert job.status == "completed"
    assert (job.success_count, job.failed_count) == (2, 1)
    failed, total = contacts.contacts_in_state(workspace.id, "failed")
    assert total == 1 and failed[0].email == "p1@x.io"
    assert "more than one" in failed[0].sync_error
    synced, _ = contacts.contacts_in_state(workspace.id, "synced")
    assert sorted(c.email for c in synced) == ["p0@x.io", "p2@x.io"]


def test_retry_failed_resends_fixed_records(workspace, base, sandbox_url):
    test_multiple_match_fails_only_that_contact(workspace, base, sandbox_url)
    dup = [
        r
        for r in sandbox.records(base, "Contacts")
        if r["fields"]["Email"] == "p1@x.io"
    ]
    sandbox.remove(base, "Contacts", dup[0]["id"])
    # A plain sync leaves failed records alone; --retry-failed sends them again.
    assert run_sync(workspace.id).progress_total == 0
    job = run_sync(workspace.id, retry_failed=True)
    assert (job.success_count, job.failed_count) == (1, 0)
    assert contacts.contacts_in_state(workspace.id, "failed")[1] == 0
    contact = db.session.scalar(select(Contact).where(Contact.email == "p1@x.io"))
    assert contact.crm_record_id == dup[1]["id"]


def test_contact_without_an_email_merges_on_its_phone(workspace, base):
    contacts.upsert_contacts(
        workspace.id, [ContactInput(name="Phone only", phone="+14155550100")]
    )
    job = run_sync(workspace.id)
    assert (job.success_count, job.failed_count) == (1, 0)
    (row,) = sandbox.records(base, "Contacts")
    assert row["fields"]["Phone"] == "+14155550100" and "Email" not in row["fields"]
    # Someone added the same person in Airtable by hand with a title: the next
    # change merges into that record on the phone, it does not add a second one.
    contact = db.session.scalar(select(Contact))
    contact.crm_record_id = None
    contact.title = "CTO"
    contact.updated_at = contact.synced_at + timedelta(seconds=1)
    db.session.commit()
    run_sync(workspace.id)
    (row,) = sandbox.records(base, "Contacts")
    assert row["fields"]["Title"] == "CTO"
    assert db.session.scalar(select(Contact)).crm_record_id == row["id"]
    upserts = [c for c in sandbox.calls(base) if c["table"] == "Contacts"]
    assert [c["status"] for c in upserts] == [200, 200]


def test_contact_with_neither_email_nor_phone_updates_its_stored_record(
    workspace, base
):
    (item,) = contacts.upsert_contacts(
        workspace.id, [ContactInput(name="Email first", email="e@x.io")]
    ).items
    run_sync(workspace.id)
    contact = db.session.get(Contact, item.contact_id)
    (row,) = sandbox.records(base, "Contacts")
    assert contact.crm_record_id == row["id"]
    contact.email, contact.title = None, "Founder"
    contact.updated_at = contact.synced_at + timedelta(seconds=1)
    db.session.commit()
    job = run_sync(workspace.id)
    assert (job.success_count, job.failed_count) == (1, 0)
    (row,) = sandbox.records(base, "Contacts")
    assert row["fields"]["Title"] == "Founder"


def test_contact_with_nothing_to_merge_on_fails_with_a_reason(workspace, base):
    # The book keeps no such contact; one it kept lost its address since.
    (item,) = contacts.upsert_contacts(
        workspace.id, [ContactInput(name="No keys", email="gone@x.io")]
    ).items
    db.session.get(Contact, item.contact_id).email = None
    db.session.commit()
    job = run_sync(workspace.id)
    assert job.failed_count == 1
    contact = db.session.scalar(select(Contact))
    assert contact.sync_failed
    assert "No value to merge on ('Email' or 'Phone')" in contact.sync_error


def test_a_429_releases_the_chunk_for_the_lockout_without_waiting(
    workspace, base, monkeypatch
):
    """The chunk goes back to the queue with not_before = now + lockout; no sleep."""
    # The schema read, the company chunk and one contact chunk pass; the next 429s.
    faults.set_overrides({"airtable_rate": 3})
    company = contacts.save_company(workspace.id, name="Acme")
    add_people(workspace.id, 20, company_id=company.id)
    slept, real_sleep = [], time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: (slept.append(s), real_sleep(s)))
    # Overwrite: no read before each upsert, so the third request is a chunk's.
    job = run_sync(workspace.id, update_strategy="overwrite")
    monkeypatch.setattr(time, "sleep", real_sleep)
    # No worker waited for the lockout (the pacing's own waits are milliseconds).
    assert all(s < 0.5 for s in slept), slept
    assert job.status == "running"
    released = db.session.scalars(
        select(JobBatch).where(JobBatch.job_id == job.id, JobBatch.status == "pending")
    ).all()
    assert [b.kind for b in released] == [airtable_sync.CONTACTS]
    assert released[0].not_before is not None
    assert "429" in released[0].error
    assert [c["status"] for c in sandbox.calls(base)] == [200, 200, 429]
    # The chunk is not claimable before its time; after the lockout it completes.
    assert jobs.claim(released[0].id, kinds=(released[0].kind,)) is None
    time.sleep(1.1)
    outcome = factories.run_batch(released[0].id)
    assert outcome.later == ()
    db.session.expire_all()
    job = jobs.get(workspace.id, job.id)
    assert (job.status, job.success_count) == ("completed", 21)
    assert len(sandbox.records(base, "Contacts")) == 20


def test_contact_chunks_wait_for_the_company_chunks(workspace, base):
    company = contacts.save_company(workspace.id, name="Acme")
    add_people(workspace.id, 2, company_id=company.id)
    job = contacts.start_sync(workspace.id)
    (plan_batch,) = jobs.open_batches(job.id)
    factories.run_batch(plan_batch[0], dispatch=lambda batches: None)
    batches = dict((kind, bid) for bid, kind in jobs.open_batches(job.id))
    outcome = factories.run_batch(batches[airtable_sync.CONTACTS])
    ((_, delay),) = outcome.later
    assert delay == pytest.approx(0.2)
    assert sandbox.calls(base) == []
    factories.run_batch(batches[airtable_sync.COMPANIES])
    time.sleep(0.25)
    factories.run_batch(batches[airtable_sync.CONTACTS])
    rows = sandbox.records(base, "Contacts")
    assert len(rows) == 2 and all(r["fields"]["Company"] for r in rows)


def test_refused_token_fails_the_job_with_a_clear_message(workspace):
    configure(workspace.id, factories.airtable_base(), token="invalid-token")
    add_people(workspace.id, 1)
    job = run_sync(workspace.id)
    assert job.status == "failed"
    assert "refused the token" in job.error_message


def test_missing_base_fails_the_job(workspace):
    configure(workspace.id, "appMissing0000000")
    add_people(workspace.id, 1)
    job = run_sync(workspace.id)
    assert job.status == "failed" and "not found" in job.error_message


def test_sync_needs_settings_and_runs_once_at_a_time(workspace, other_workspace):
    with pytest.raises(contacts.AirtableNotConfigured):
        contacts.start_sync(other_workspace.id)
    configure(workspace.id, factories.airtable_base())
    contacts.start_sync(workspace.id)
    with pytest.raises(Conflict):
        contacts.start_sync(workspace.id)


def test_stats_by_company_count_each_state(workspace, base, sandbox_url):
    acme = contacts.save_company(workspace.id, name="Acme")
    add_people(workspace.id, 2, company_id=acme.id)
    add_people(workspace.id, 1, prefix="solo")
    for _ in range(2):
        sandbox.add(base, "Contacts", {"Email": "p0@x.io"})
    run_sync(workspace.id)
    add_people(workspace.id, 1, company_id=acme.id, prefix="late")
    stats = {s.name: s for s in contacts.stats_by_company(workspace.id)}
    acme_stats = stats["Acme"]
    assert (
        acme_stats.total,
        acme_stats.synced,
        acme_stats.pending,
        acme_stats.failed,
    ) == (3, 1, 1, 1)
    assert (stats["No company"].total, stats["No company"].synced) == (1, 1)


def test_periodic_sync_starts_when_the_interval_has_elapsed(workspace):
    configure(workspace.id, factories.airtable_base(), sync_interval_minutes=15)
    add_people(workspace.id, 1)
    started = contacts.due_periodic_syncs()
    assert len(started) == 1
    tasks.enqueue_batches(jobs.open_batches(started[0].id))
    assert contacts.due_periodic_syncs() == []  # 15 minutes have not passed


def test_cli_syncs_a_workspace(runner, workspace, base):
    add_people(workspace.id, 2)
    result = runner.invoke(args=["sync", "airtable", "--workspace", "Acme"])
    assert result.exit_code == 0, result.output
    assert "completed (2 synced, 0 failed" in result.output
    result = runner.invoke(args=["sync", "airtable", "--retry-failed"])
    assert result.exit_code == 0 and "Acme" in result.output


def test_cli_reports_unconfigured_workspace(runner, workspace):
    result = runner.invoke(args=["sync", "airtable", "--workspace", "Acme"])
    assert result.exit_code == 1
    assert "not configured" in result.output


def test_a_sync_restricted_to_some_contacts_sends_only_them_and_their_companies(
    workspace, base
):
    globex = contacts.company_for(workspace.id, name="Globex")
    initech = contacts.company_for(workspace.id, name="Initech")
    mine = add_people(workspace.id, 2, company_id=globex.id, prefix="g")
    add_people(workspace.id, 2, company_id=initech.id, prefix="i")
    ids = [item.contact_id for item in mine.items]
    job = run_sync(workspace.id, contact_ids=ids)
    assert (job.progress_total, job.success_count) == (3, 3)  # 1 company, 2 people
    emails = {r["fields"]["Email"] for r in sandbox.records(base, "Contacts")}
    assert emails == {"g0@x.io", "g1@x.io"}
    assert [r["fields"]["Name"] for r in sandbox.records(base, "Companies")] == [
        "Globex"
    ]


def _typed_in_airtable(workspace_id, base):
    """Jo in the book (title Founder, no record yet) and Jo's record in Airtable
    where someone typed the title and left the name empty."""
    contacts.upsert_contacts(
        workspace_id, [ContactInput(name="Jo", email="jo@x.io", title="Founder")]
    )
    sandbox.add(base, "Contacts", {"Email": "jo@x.io", "Title": "Typed"})


def test_sync_fills_only_empty_fields_by_default(workspace, base):
    _typed_in_airtable(workspace.id, base)
    job = run_sync(workspace.id)
    assert job.params["update_strategy"] == "fill"
    (row,) = sandbox.records(base, "Contacts")
    assert (row["fields"]["Title"], row["fields"]["Name"]) == ("Typed", "Jo")
    assert db.session.scalar(select(Contact)).crm_record_id == row["id"]


def test_sync_overwrite_makes_the_book_win(workspace, base):
    _typed_in_airtable(workspace.id, base)
    run_sync(workspace.id, update_strategy="overwrite")
    (row,) = sandbox.records(base, "Contacts")
    assert (row["fields"]["Title"], row["fields"]["Name"]) == ("Founder", "Jo")


def _calls(endpoint):
    from sqlalchemy import func

    from prospecting.models import ProviderCall

    return db.session.scalar(
        select(func.count()).where(
            ProviderCall.provider == "airtable", ProviderCall.endpoint == endpoint
        )
    )


def test_fill_reads_a_chunk_of_up_to_100_with_one_paced_request(
    workspace, base, monkeypatch
):
    """A read costs one of the base's 5 requests a second like a write: a chunk's
    records are read together (one list page of 100) and sent 10 a request."""
    monkeypatch.setattr(airtable_sync, "CHUNK", 100)
    add_people(workspace.id, 15)
    before = _calls("records")
    run_sync(workspace.id, update_strategy="overwrite")
    overwrite = _calls("records") - before
    add_people(workspace.id, 130, prefix="q")
    before, writes = _calls("records"), _calls("records.write")
    run_sync(workspace.id)
    assert _calls("records") - before == overwrite + 2  # chunks of 100 and 30
    assert _calls("records.write") - writes == 13
    assert len(sandbox.records(base, "Contacts")) == 145


def test_fill_reads_every_match_of_a_chunk_past_one_page(workspace, base):
    """More than 100 records matching a chunk (duplicates in Airtable) are all read,
    a page a request, so a value typed in the 101st is not overwritten."""
    add_people(workspace.id, 1)
    for _ in range(100):
        sandbox.add(base, "Contacts", {"Email": "other@x.io"})
    sandbox.add(base, "Contacts", {"Email": "p0@x.io", "Title": "Typed"})
    contacts.upsert_contacts(
        workspace.id, [ContactInput(name="Other", email="other@x.io")]
    )
    db.session.execute(update(Contact).values(title="Founder"))
    db.session.commit()
    before = _calls("records")
    job = run_sync(workspace.id)
    assert _calls("records") - before == 2
    typed = [r for r in sandbox.records(base, "Contacts") if "Title" in r["fields"]]
    assert [r["fields"]["Title"] for r in typed] == ["Typed"]
    assert job.status == "completed"


def test_fill_updates_a_record_synced_before_by_its_id(workspace, base):
    (item,) = contacts.upsert_contacts(
        workspace.id, [ContactInput(name="Ann", phone="+14155550123")]
    ).items
    run_sync(workspace.id)
    (row,) = sandbox.records(base, "Contacts")
    # The phone went: the second sync updates the record by its stored id.
    contact = db.session.get(Contact, item.contact_id)
    contact.title, contact.phone, contact.name = "CTO", None, "Ann B"
    contact.updated_at = contact.synced_at + timedelta(seconds=1)
    db.session.commit()
    job = run_sync(workspace.id)
    (row,) = sandbox.records(base, "Contacts")
    assert job.success_count == 1
    assert (row["fields"]["Name"], row["fields"]["Title"]) == ("Ann", "CTO")


def test_sync_refuses_an_unknown_strategy(workspace, base):
    with pytest.raises(InvalidInput, match="update_strategy"):
        contacts.start_sync(workspace.id, update_strategy="merge")


def test_sync_form_offers_and_sends_the_strategy(auth_client, workspace, base):
    page = auth_client.get("/contacts/airtable").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="fill"', page)
    assert "a value someone typed" in page
    started = auth_client.post(
        "/contacts/airtable/sync", data={"update_strategy": "overwrite"}
    )
    assert started.status_code == 302
    job = db.session.scalar(select(Job).where(Job.kind == "airtable_sync"))
    assert job.params["update_strategy"] == "overwrite"
    bad = auth_client.post(
        "/contacts/airtable/sync", data={"update_strategy": "x"}, follow_redirects=True
    )
    assert b"update_strategy must be one of" in bad.data


def test_cli_takes_the_update_strategy(runner, workspace, base):
    _typed_in_airtable(workspace.id, base)
    args = ["sync", "airtable", "--workspace", "Acme", "--update-strategy"]
    result = runner.invoke(args=[*args, "overwrite"])
    assert result.exit_code == 0, result.output
    (row,) = sandbox.records(base, "Contacts")
    assert row["fields"]["Title"] == "Founder"
    assert runner.invoke(args=[*args, "merge"]).exit_code != 0


def test_a_cancel_stops_a_chunk_between_its_requests(workspace, base, monkeypatch):
    """A chunk of up to 100 records takes ten requests: the job is asked between
    them, so a cancelled sync sends no more."""
    add_people(workspace.id, 30)
    job = contacts.start_sync(workspace.id)
    (plan_batch,) = jobs.open_batches(job.id)
    factories.run_batch(plan_batch[0])
    (chunk,) = jobs.open_batches(job.id)
    real_upsert = airtable.upsert

    def upsert(*args, **kwargs):
        answer = real_upsert(*args, **kwargs)
        jobs.cancel(workspace.id, job.id)  # the user cancels while it is sent
        return answer

    monkeypatch.setattr(airtable, "upsert", upsert)
    factories.run_batch(chunk[0])
    assert len(sandbox.records(base, "Contacts")) == 10
    assert jobs.get(workspace.id, job.id).status == "cancelled"


def test_overwrite_chunks_are_one_request_each(workspace, base):
    """Without reads to share, a chunk is one request: the job's last chunks keep
    every thread sending."""
    add_people(workspace.id, 25)
    job = run_sync(workspace.id, update_strategy="overwrite")
    chunks = db.session.scalars(
        select(JobBatch.params)
        .where(JobBatch.job_id == job.id, JobBatch.kind == airtable_sync.CONTACTS)
        .order_by(JobBatch.seq)
    ).all()
    assert [len(p["ids"]) for p in chunks] == [10, 10, 5]
    assert job.success_count == 25
