"""Writing a chunk's people into the book: which contact holds each of their
emails, phones and profiles, the known ones updated (they only gain: see
`upsert`), the new ones inserted with their emails, phones, company links and
sources (COPY on PostgreSQL). A row a concurrent writer inserted first makes a
unique index refuse ours: IntegrityError, for the chunk to run again."""

import orjson
from sqlalchemy import JSON
from sqlalchemy import Text
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactCompany
from prospecting.models import ContactEmail
from prospecting.models import ContactPhone
from prospecting.models import ContactSource
from prospecting.models.base import utcnow
from prospecting.services.contacts import gate
from prospecting.services.contacts import strategy as strategies
from prospecting.services.contacts.people import FILLABLE
from prospecting.services.contacts.people import Person
from prospecting.services.contacts.people import person_keys


def write(workspace_id: int, people: list[Person], strategy: str) -> None:
    owners = _owners(workspace_id, people)
    new, known = [], []
    for person in people:
        found = _match(person, owners)
        if found is None:
            new.append(person)
        else:
            known.append((found, person))
    # One order for every writer (contact id, then key), so that concurrent
    # imports of the same people take their row locks in the same order.
    for found, person in sorted(known, key=lambda k: k[0][0]):
        _update(workspace_id, person, *found, owners, strategy)
    new.sort(key=lambda p: person_keys(p.emails, p.phones, p.linkedin_key)[0][1])
    _insert_new(workspace_id, new)


def _owners(workspace_id, people) -> dict[tuple[str, str], int]:
    """Which contact holds each email, phone and profile of these people."""
    emails = {e.address for p in people for e in p.emails}
    phones = {n for p in people for n in p.phones}
    profiles = {p.linkedin_key for p in people if p.linkedin_key}
    owners: dict[tuple[str, str], int] = {}
    # contact_emails and contact_phones hold every value, the primary ones too.
    for kind, column, owner, values in (
        ("email", ContactEmail.email, ContactEmail.contact_id, emails),
        ("phone", ContactPhone.phone, ContactPhone.contact_id, phones),
        ("linkedin", Contact.linkedin_key, Contact.id, profiles),
    ):
        if not values:
            continue
        for value, contact_id in db.session.execute(
            _lookup(column, owner, workspace_id, sorted(values))
        ):
            owners[(kind, value)] = contact_id
    return owners


def _lookup(column, owner, workspace_id: int, values: list):
    """The owners of these values. On PostgreSQL a join against the values as
    one array parameter: `column IN (500 parameters)` makes a plan that compares
    every row of the workspace with every value once the workspace has outgrown
    its statistics (a new workspace's first big import: 150-250 ms a chunk at
    8,000 contacts, growing), where the join hashes either side."""
    table = column.class_.__table__
    if db.session.get_bind().dialect.name != "postgresql":
        return select(column, owner).where(
            table.c.workspace_id == workspace_id, column.in_(values)
        )
    wanted = (
        select(func.unnest(cast(values, ARRAY(Text))).column_valued("value"))
    ).subquery()
    return select(column, owner).join(
        wanted,
        and_(table.c.workspace_id == workspace_id, column == wanted.c.value),
    )


def _match(person: Person, owners) -> tuple[int, str] | None:
    for kind, value in person_keys(person.emails, person.phones, person.linkedin_key):
        if (kind, value) in owners:
            return owners[(kind, value)], kind
    return None


def _update(
    workspace_id, person: Person, contact_id: int, on: str, owners, strategy: str
) -> None:
    contact = db.session.get(Contact, contact_id)
    person.contact_id = contact.id
    first = person.items[0]
    first.matched_on, first.contact_id = on, contact.id
    for item in person.items[1:]:
        item.contact_id = contact.id
    changed, notes = False, []
    now = utcnow()
    for email in person.emails:
        owner = owners.get(("email", email.address))
        if owner is None:
            db.session.add(_email_row(workspace_id, contact, email, person, now))
            owners[("email", email.address)] = contact.id
            if contact.email is None:
                contact.email = email.address
            changed = True
        elif owner != contact.id:
            notes.append(f"The email {email.address} belongs to contact #{owner}.")
        elif email.verdict:
            _refresh_verdict(workspace_id, email)
    for phone in person.phones:
        owner = owners.get(("phone", phone))
        if owner is None:
            db.session.add(
                ContactPhone(
                    workspace_id=workspace_id,
                    contact_id=contact.id,
                    phone=phone,
                    is_primary=contact.phone is None,
                    source=person.data.source,
                    created_at=now,
                )
            )
            owners[("phone", phone)] = contact.id
            if contact.phone is None:
                contact.phone = phone
            changed = True
        elif owner != contact.id:
            notes.append(f"The phone number belongs to contact #{owner}.")
    if person.linkedin_key and not contact.linkedin_key:
        if ("linkedin", person.linkedin_key) not in owners:
            contact.linkedin_key = person.linkedin_key
            owners[("linkedin", person.linkedin_key)] = contact.id
            changed = True
    locked = contact.locked_fields or ()
    for name in ("addresses", *FILLABLE):
        value = person.values.get(name)
        # The profile URL stays with its de-duplication key: filled, never replaced.
        how = "fill" if name == "linkedin_url" else strategy
        if strategies.takes(
            getattr(contact, name), value, field=name, strategy=how, locked=locked
        ):
            setattr(contact, name, list(value) if name == "addresses" else value)
            changed = True
    ids = dict(contact.provider_ids or {})
    for key, value in person.values["provider_ids"].items():
        if value and not ids.get(key):
            ids[key], changed = value, True
    contact.provider_ids = ids
    # A file's other columns fill what the contact lacks; nothing is replaced.
    extra = dict(contact.extra or {})
    for key, value in person.values["extra"].items():
        if value and not extra.get(key):
            extra[key], changed = value, True
    contact.extra = extra
    linked = set(
        db.session.scalars(
            select(ContactCompany.company_id).where(
                ContactCompany.contact_id == contact.id
            )
        )
    )
    for company_id, role in person.companies.items():
        if company_id not in linked:
            db.session.add(
                ContactCompany(
                    contact_id=contact.id,
                    company_id=company_id,
                    role=role,
                    created_at=now,
                )
            )
            changed = True
    _add_sources(person, contact.id)
    if changed:
        contact.updated_at = now
        contact.sync_failed, contact.sync_error = False, None
        first.status, first.reason = "updated", None
    else:
        first.status = "skipped"
        first.reason = "Already in the contact book; nothing new."
    if notes:
        first.reason = " ".join(notes)
    db.session.flush()


def _refresh_verdict(workspace_id: int, email: gate.Email) -> None:
    db.session.execute(
        update(ContactEmail)
        .where(
            ContactEmail.workspace_id == workspace_id,
            ContactEmail.email == email.address,
        )
        .values(
            verdict=email.verdict,
            flags=list(email.flags or []),
            verified_at=email.verified_at or utcnow(),
        )
    )


def _email_row(workspace_id, contact, email: gate.Email, person, now) -> ContactEmail:
    return ContactEmail(
        workspace_id=workspace_id,
        contact_id=contact.id,
        email=email.address,
        verdict=email.verdict,
        flags=list(email.flags or []),
        verified_at=email.verified_at or (now if email.verdict is not None else None),
        is_primary=contact.email is None,
        source=person.data.source,
        created_at=now,
    )


def _insert(table):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def insert_ignoring(table):
    """INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite."""
    return _insert(table).on_conflict_do_nothing()


def _copy_in(table, rows: list[dict]) -> None:
    """Insert rows that only a concurrent writer's row can collide with (those
    of people new to the book): COPY on PostgreSQL, one executemany elsewhere.
    Such a collision raises IntegrityError and the chunk runs again, matching
    what the other writer wrote."""
    if not rows:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, (JSON, JSONB))}
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    dialect = db.session.get_bind().dialect
    raw = db.session.connection().connection.driver_connection
    try:
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    [
                        orjson.dumps(row[c]).decode() if c in json_columns else row[c]
                        for c in columns
                    ]
                )
    except dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy's own statements raise it (IntegrityError for a unique
        # index, OperationalError for a deadlock), for the chunk's retry.
        raise DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error) from exc


def _insert_contacts(rows: list[dict]) -> list[int]:
    """Insert new contacts; their ids in the order of the rows. On PostgreSQL
    the ids come from the table's sequence in one round trip and the rows go in
    by COPY."""
    table = Contact.__table__
    if db.session.get_bind().dialect.name != "postgresql":
        return list(
            db.session.scalars(
                table.insert().returning(table.c.id, sort_by_parameter_order=True),
                rows,
            )
        )
    ids = list(
        db.session.scalars(
            select(
                func.nextval(func.pg_get_serial_sequence("contacts", "id"))
            ).select_from(func.generate_series(1, len(rows)))
        )
    )
    _copy_in(table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
    return ids


def _insert_new(workspace_id: int, people: list[Person]) -> None:
    """Insert the new people with their emails, phones, company links and
    sources (IntegrityError when a concurrent writer inserted one first)."""
    if not people:
        return
    now = utcnow()
    rows = []
    for person in people:
        values = person.values
        rows.append(
            {
                "workspace_id": workspace_id,
                "company_id": values.get("company_id"),
                "name": values.get("name") or "",
                "email": person.emails[0].address if person.emails else None,
                "phone": person.phones[0] if person.phones else None,
                "title": values.get("title"),
                "location": values.get("location"),
                "linkedin_url": values.get("linkedin_url"),
                "linkedin_key": person.linkedin_key,
                "addresses": values.get("addresses") or [],
                "source": person.data.source,
                "provider_ids": values.get("provider_ids") or {},
                "extra": values.get("extra") or {},
                "crm_record_id": None,
                "synced_at": None,
                "sync_failed": False,
                "sync_error": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    ids = _insert_contacts(rows)
    emails, phones, links, sources = [], [], [], []
    for person, contact_id in zip(people, ids, strict=True):
        person.contact_id = contact_id
        person.items[0].status = "created"
        for item in person.items:
            item.contact_id = contact_id
        for n, email in enumerate(person.emails):
            emails.append(
                {
                    "workspace_id": workspace_id,
                    "contact_id": contact_id,
                    "email": email.address,
                    "verdict": email.verdict,
                    "flags": list(email.flags or []),
                    "verified_at": email.verified_at
                    or (now if email.verdict is not None else None),
                    "is_primary": n == 0,
                    "source": person.data.source,
                    "created_at": now,
                }
            )
        for n, phone in enumerate(person.phones):
            phones.append(
                {
                    "workspace_id": workspace_id,
                    "contact_id": contact_id,
                    "phone": phone,
                    "is_primary": n == 0,
                    "source": person.data.source,
                    "created_at": now,
                }
            )
        for company_id, role in person.companies.items():
            links.append(
                {
                    "contact_id": contact_id,
                    "company_id": company_id,
                    "role": role,
                    "created_at": now,
                }
            )
        for source, ref in person.sources:
            sources.append(
                {
                    "contact_id": contact_id,
                    "source": source,
                    "ref": ref,
                    "created_at": now,
                }
            )
    for model, values in (
        (ContactEmail, emails),
        (ContactPhone, phones),
        (ContactCompany, links),
        (ContactSource, sources),
    ):
        _copy_in(model.__table__, values)


def _add_sources(person: Person, contact_id: int) -> None:
    now = utcnow()
    db.session.execute(
        _insert(ContactSource.__table__).on_conflict_do_nothing(),
        [
            {"contact_id": contact_id, "source": s, "ref": r, "created_at": now}
            for s, r in person.sources
        ],
    )
