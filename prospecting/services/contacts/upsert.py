"""Rows into the contact book in batches: through the quality gate, matched on
email, then phone, then LinkedIn profile (every known value of a contact, not
only its primary ones), new contacts written in one statement a table a chunk
(COPY on PostgreSQL, their ids taken from the sequence in one round trip) with
their emails, phones, company links and sources beside.

A known contact only gains: empty fields are filled (or, with the "overwrite"
update strategy, replaced by the newer value, never where a person edited the
field by hand: see `strategy`), a new address or number is added as an
additional value (the first stays primary), a new company is linked with its
role; nothing known is blanked. Each chunk is one transaction. When a
concurrent writer inserts the same person first, a unique index refuses our
insert, the chunk is rolled back and runs again, and then matches and updates
the person instead.
"""

import random
import time

from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import OperationalError

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.services import webhooks
from prospecting.services.contacts import gate
from prospecting.services.contacts import strategy as strategies
from prospecting.services.contacts import suppression
from prospecting.services.contacts.book import ContactInput
from prospecting.services.contacts.book import UpsertItem
from prospecting.services.contacts.book import UpsertReport
from prospecting.services.contacts.people import group
from prospecting.services.contacts.write import write
from prospecting.services.errors import Conflict

CHUNK = 2000
# PostgreSQL deadlock and serialization failure: safe to run the chunk again.
RETRYABLE_SQLSTATES = ("40P01", "40001")


def upsert_contacts(
    workspace_id: int,
    inputs,
    *,
    include_risky: bool = False,
    keep_undeliverable: bool = False,
    strategy: str = strategies.DEFAULT,
) -> UpsertReport:
    """Add people to the book through the gate; see the module's docstring."""
    strategy = strategies.check(strategy)
    report, chunk = UpsertReport(), []
    options = (include_risky, keep_undeliverable, strategy)
    for index, data in enumerate(inputs):
        chunk.append((index, data))
        if len(chunk) >= CHUNK:
            report.items.extend(_chunk(workspace_id, chunk, *options))
            chunk = []
    if chunk:
        report.items.extend(_chunk(workspace_id, chunk, *options))
    return report


def _chunk(
    workspace_id, pairs, include_risky, keep_undeliverable, strategy
) -> list[UpsertItem]:
    for attempt in range(8):
        if attempt:  # a deadlock or a race: let the other writer finish first
            time.sleep(random.uniform(0, 0.05 * attempt))
        items, people, by_key = [], [], {}
        erased = suppression.suppressed(workspace_id)
        for index, data in pairs:
            judged = gate.judge(
                email=data.email,
                verdict=data.email_verdict,
                flags=data.email_flags,
                verified_at=data.verified_at,
                phone=data.phone,
                phone_region=data.phone_region,
                linkedin_url=data.linkedin_url,
                normalised=data.normalised,
                include_risky=include_risky,
                keep_undeliverable=keep_undeliverable,
                suppressed=erased,
            )
            item = UpsertItem(
                index,
                "skipped",
                (data.name or "").strip(),
                judged.emails[0].address if judged.emails else None,
                judged.phone,
            )
            items.append(item)
            if not judged.admitted:
                item.status, item.rule = "kept_out", judged.rule
                item.reason = gate.RULES[judged.rule]
                if judged.rule == "suppressed":  # an erased person: keep nothing
                    item.name, item.email, item.phone = "", None, None
                continue
            if judged.dropped:
                item.dropped = [e.address for e in judged.dropped]
            group(people, by_key, data, judged, item, strategy)
        try:
            write(workspace_id, people, strategy)
            _announce(workspace_id, items)
            db.session.commit()
            return items
        except IntegrityError:
            db.session.rollback()  # a concurrent writer; match again
        except OperationalError as exc:
            db.session.rollback()
            if getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise
    raise Conflict("The contact book is busy; try again.", code="busy")


def _announce(workspace_id: int, items: list[UpsertItem]) -> None:
    """contact.created / contact.updated for the chunk's people (one event each,
    written with the chunk: see services/webhooks)."""
    for status, event in (
        ("created", "contact.created"),
        ("updated", "contact.updated"),
    ):
        people = [
            {"id": i.contact_id, "name": i.name, "email": i.email, "phone": i.phone}
            for i in items
            if i.status == status and i.contact_id
        ]
        if people:
            webhooks.emit(workspace_id, event, {"contacts": people})


def add_contact(
    workspace_id: int,
    *,
    name: str = "",
    email: str | None = None,
    phone: str | None = None,
    title: str | None = None,
    location: str | None = None,
    linkedin_url: str | None = None,
    company_id: int | None = None,
    include_risky: bool = True,
    keep_undeliverable: bool = False,
) -> tuple[Contact, UpsertItem]:
    """Add one person by hand through the gate (merged into the contact they are,
    if known). InvalidInput names the field that is wrong or the rule that kept
    the person out."""
    from prospecting.services.contacts.companies import get_company
    from prospecting.services.contacts.normalise import linkedin_key
    from prospecting.services.contacts.normalise import normalise_email
    from prospecting.services.contacts.normalise import normalise_phone
    from prospecting.services.errors import InvalidInput

    if email and email.strip() and normalise_email(email) is None:
        raise InvalidInput("email: enter a valid email address.", code="bad_email")
    if phone and phone.strip() and normalise_phone(phone) is None:
        raise InvalidInput(
            "phone: enter a valid phone number with its country code.",
            code="bad_phone",
        )
    if linkedin_url and linkedin_url.strip() and linkedin_key(linkedin_url) is None:
        raise InvalidInput(
            "linkedin_url: enter a LinkedIn profile URL (linkedin.com/in/…).",
            code="bad_linkedin_url",
        )
    if company_id:
        get_company(workspace_id, company_id)
    report = upsert_contacts(
        workspace_id,
        [
            ContactInput(
                name=name or "",
                email=email,
                phone=phone,
                title=title,
                location=location,
                linkedin_url=linkedin_url,
                company_id=company_id or None,
                source="manual",
            )
        ],
        include_risky=include_risky,
        keep_undeliverable=keep_undeliverable,
    )
    (item,) = report.items
    if item.status == "kept_out":
        raise InvalidInput(
            "A contact needs a deliverable email, a phone number or a LinkedIn "
            f"profile: {item.reason}",
            code=item.rule,
        )
    return db.session.get(Contact, item.contact_id), item
