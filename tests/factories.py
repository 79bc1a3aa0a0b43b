"""Plain functions that build test data (CTFd gen_* style)."""

import csv
import functools
import io
from unittest import mock

from werkzeug.security import generate_password_hash

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.services import accounts

PASSWORD = "correct horse battery"

# The preview's column mapping for `contacts_csv`: every field it carries.
MAPPING = {
    "map_name": "Name",
    "map_email": "Email",
    "map_company": "Company",
    "map_phone": "Phone",
    "map_website": "Website",
}


def mapping(*fields: str) -> dict:
    """MAPPING narrowed to `fields` (e.g. mapping("name", "email", "website"))."""
    return {f"map_{f}": MAPPING[f"map_{f}"] for f in fields}


@functools.cache
def _password_hash(password: str) -> str:
    # One real scrypt hash per password for the session: scrypt is slow by design.
    return generate_password_hash(password)


def make_user(
    email: str = "user@example.test", workspace: str = "Acme", password=PASSWORD
):
    with mock.patch.object(accounts, "generate_password_hash", _password_hash):
        return accounts.create_user(email, password, workspace=workspace)


def make_token(workspace_id: int, role: str = "member") -> str:
    _, raw = accounts.create_token(workspace_id, "test", role=role, by_role="owner")
    return raw


def login(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def api_error(response, status: int) -> dict:
    """The error of a JSON API answer, checked to be in the one error envelope
    ({"error": {"code", "message", "details"}}) with `status`."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return body["error"]


def make_job(
    workspace_id: int, *, kind: str = "enrichment", status: str = "queued", **kw
):
    job = Job(
        workspace_id=workspace_id,
        kind=kind,
        status=status,
        params=kw.pop("params", {}),
        **kw,
    )
    db.session.add(job)
    db.session.commit()
    return job


def csv_bytes(
    rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    """An XLSX workbook with these sheets (name -> rows of cell values), in order."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def contacts_csv(
    n: int, *, header=("Name", "Email", "Company", "Phone", "Website")
) -> bytes:
    """A contact list of n rows with deterministic people."""
    rows = [list(header)]
    for i in range(1, n + 1):
        rows.append(
            [
                f"Person {i}",
                f"person{i}@company{i % 7}.com",
                f"Company {i % 7}",
                f"+1 415 555 {i % 10000:04d}",
                "",
            ]
        )
    return csv_bytes(rows)


def people_csv(n: int, *, firms: int = 7, delimiter: str = ",") -> bytes:
    """n people with a name, an address at one of `firms` domains, no website."""
    rows = [["Name", "Email", "Website"]]
    rows += [[f"P {i}", f"p{i}@firm{i % firms}.com", ""] for i in range(1, n + 1)]
    return csv_bytes(rows, delimiter=delimiter)


def run_batch(batch_id: int, *, dispatch=None):
    """Run one batch through the batch runner, as a worker would; its Outcome.

    `dispatch` receives the batches the work sends on (default: dropped, so they
    stay pending)."""
    from prospecting.services.jobs import runner

    return runner.run(batch_id, dispatch=dispatch or (lambda batches: None))


def planned_batches(auth_client, workspace, content: bytes):
    """Upload `content`, start its enrichment job and run its planner; the job
    and the rows batches the planner sent, as (id, kind), still pending."""
    from prospecting.services import enrichment
    from prospecting.services import jobs

    response = auth_client.post(
        "/enrichment/uploads", data={"file": (io.BytesIO(content), "p.csv")}
    )
    upload_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = enrichment.start(workspace.id, None, upload_id)
    ((plan_id, _),) = jobs.open_batches(job.id)
    planned = []
    run_batch(plan_id, dispatch=planned.extend)
    return job, planned


def upload(client, content: bytes, name: str = "people.csv"):
    """POST a file to the enrichment upload form; the response (302 to its preview)."""
    return client.post(
        "/enrichment/uploads", data={"file": (io.BytesIO(content), name)}
    )


def stored_upload(client, content: bytes, name: str = "people.csv") -> str:
    """Upload a file as the preview does; the stored upload's id."""
    response = upload(client, content, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def start_upload(client, upload_id: str, mapping=None, **form) -> Job:
    """Start the enrichment of a stored upload from the preview form, as a user
    does (an immediate queue runs it to the end); the job, fresh from the database.
    MAPPING suits every file: fields whose column is absent are left unmapped."""
    started = client.post(
        f"/enrichment/uploads/{upload_id}/start",
        data={**(MAPPING if mapping is None else mapping), **form},
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    db.session.expire_all()
    return db.session.get(Job, started.headers["Location"].rsplit("/", 1)[1])


def import_book_file(client, content: bytes, name: str = "book.csv", **form):
    """Upload a file to the book's import and start it with the mapping its
    preview suggests (`form` adds or overrides fields); the start's response."""
    import re

    uploaded = client.post(
        "/contacts/import/csv", data={"file": (io.BytesIO(content), name)}
    )
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    preview = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    suggested = {}
    for select in preview.split('<select name="')[1:]:
        name, options = select.split('"', 1)
        chosen = re.search(
            r'<option value="([^"]*)" selected>', options.split("</select>")[0]
        )
        if name.startswith("map_") and chosen:
            suggested[name] = chosen.group(1)
    return client.post(uploaded.headers["Location"], data={**suggested, **form})


def start_enrichment(client, content: bytes, mapping=None, **form) -> Job:
    """Upload `content` and start its enrichment (see start_upload)."""
    return start_upload(client, stored_upload(client, content), mapping, **form)


def started_enrichment(client, workspace_id: int, content: bytes) -> tuple[Job, int]:
    """An enrichment job on an uploaded file and its planner batch, not yet run."""
    from prospecting.services import enrichment
    from prospecting.services import jobs

    job = enrichment.start(workspace_id, None, int(stored_upload(client, content)))
    ((plan_id, _),) = jobs.open_batches(job.id)
    return job, plan_id


def enrichment_job(
    workspace_id: int,
    content: bytes | None = None,
    *,
    user_id: int | None = None,
    name: str = "people.csv",
) -> Job:
    """An enrichment job on a stored file (`contacts_csv(2)` by default), created by
    the service and committed, no batch sent: the caller runs or enqueues them."""
    from prospecting.services import enrichment

    upload = enrichment.save_upload(
        workspace_id, user_id, name, io.BytesIO(content or contacts_csv(2))
    )
    return enrichment.start(workspace_id, user_id, upload.id)


def completed_job(workspace_id: int, *, kind: str = "enrichment", rows: int = 3, **kw):
    """A finished job whose counters say every one of `rows` rows succeeded."""
    return make_job(
        workspace_id,
        kind=kind,
        status="completed",
        progress_current=rows,
        progress_total=rows,
        success_count=rows,
        **kw,
    )


def airtable_base(tables: list[dict] | None = None) -> str:
    """A new base in the sandbox Airtable (default: the Contacts and Companies
    tables the app's default mapping writes to); its id."""
    import uuid

    from prospecting.sandbox import airtable as sandbox

    base = "app" + uuid.uuid4().hex[:14]
    sandbox.create_base(base, tables)
    return base


def make_company(workspace_id: int, name: str = "Acme", domain: str | None = None):
    from prospecting.services import contacts

    return contacts.save_company(workspace_id, name=name, domain=domain)


def make_contact(
    workspace_id: int,
    name: str = "",
    email: str | None = None,
    *,
    company=None,
    **fields,
):
    """One contact entered in the book as an import enters it: through the
    upsert, which writes its email, phone and company rows (the gate lets risky
    and undeliverable addresses in). `fields` are ContactInput's (phone, title,
    role, source, email_verdict, verified_at, ...) or stored columns of the
    contact set afterwards (created_at, synced_at, sync_failed, ...); a verdict
    goes on the email row and on the contact, as a verification leaves them."""
    person = {"name": name, "email": email, "company": company, **fields}
    (contact,) = _enter(workspace_id, [person])
    return contact


def make_contacts(
    workspace_id: int,
    n: int,
    *,
    name: str = "Person {i:04d}",
    email: str = "person{i}@example.com",
    email_verdict: str | None = "valid",
    **fields,
) -> list[int]:
    """`n` contacts entered in one upsert as make_contact enters one, `name` and
    `email` formatted with their index `i` (valid addresses by default); their
    ids, in that order."""
    people = [
        {
            "name": name.format(i=i),
            "email": email.format(i=i),
            "email_verdict": email_verdict,
            **fields,
        }
        for i in range(n)
    ]
    return [contact.id for contact in _enter(workspace_id, people)]


def _enter(workspace_id: int, people: list[dict]) -> list:
    """The people (make_contact's arguments) entered in one upsert; the contacts,
    in the same order."""
    import dataclasses

    from sqlalchemy import select

    from prospecting.models import Contact
    from prospecting.models import ContactEmail
    from prospecting.services import contacts

    known = {f.name for f in dataclasses.fields(contacts.ContactInput)}
    inputs, stored = [], []
    for person in people:
        company = person.pop("company", None)
        if company is not None:
            person["company_id"] = company.id
        inputs.append(
            contacts.ContactInput(**{k: v for k, v in person.items() if k in known})
        )
        stored.append({k: v for k, v in person.items() if k not in known})
    report = contacts.upsert_contacts(
        workspace_id, inputs, include_risky=True, keep_undeliverable=True
    )
    items = sorted(report.items, key=lambda item: item.index)
    assert all(item.contact_id for item in items), items
    entered = []
    for item, given, columns in zip(items, inputs, stored, strict=True):
        contact = db.session.get(Contact, item.contact_id)
        if given.email_verdict and contact.email:
            row = db.session.scalars(
                select(ContactEmail).where(
                    ContactEmail.contact_id == contact.id,
                    ContactEmail.email == contact.email,
                )
            ).one()
            contact.email_verdict = row.verdict
            contact.email_verified_at = row.verified_at
        for key, value in columns.items():
            assert hasattr(Contact, key), f"a contact has no {key}"
            setattr(contact, key, value)
        entered.append(contact)
    db.session.commit()
    return entered


def make_list(workspace_id: int, name: str = "Leads", kind: str = "static", **kw):
    """A list of the book (a smart one with `filter_values=`)."""
    from prospecting.services import lists

    return lists.create_list(workspace_id, name, kind, kw.get("filter_values"))
