"""Deleting a contact, and erasing a person: their data everywhere the product
holds it, a suppression entry so that imports and fetches skip them from now on,
and the deletion pushed to Airtable when they were synced. Both are audited.

Where a person's data lives (every column that holds an email, a phone or a
LinkedIn profile): the contact with its emails, phones, company links and
sources; enrichment rows (mapped values and the original fields); people-search
profiles; LinkedIn prospects; webhook deliveries about them; the provider cache
(keyed on the address, or holding it as a found value); and, in erase_traces,
the rows jobs keep in their params, enrichment pages, audit details, merge
snapshots and the uploaded files on disk. What cannot be scrubbed (a damaged
file) is named in the result.
"""

import logging

from sqlalchemy import String
from sqlalchemy import cast
from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import PeopleSearch
from prospecting.models import PersonProfile
from prospecting.models import Prospect
from prospecting.models import ProviderCache
from prospecting.models import WebhookDelivery
from prospecting.providers import airtable
from prospecting.providers.errors import ProviderError
from prospecting.services import audit
from prospecting.services import webhooks
from prospecting.services.contacts import erase_traces as traces
from prospecting.services.contacts import suppression
from prospecting.services.contacts.airtable_settings import AirtableNotConfigured
from prospecting.services.contacts.airtable_settings import connection
from prospecting.services.contacts.book import get_contact
from prospecting.services.contacts.normalise import linkedin_key
from prospecting.services.contacts.normalise import normalise_email
from prospecting.services.contacts.normalise import normalise_phone
from prospecting.services.contacts.relations import detach
from prospecting.services.errors import InvalidInput

logger = logging.getLogger(__name__)
ERASED = "[erased]"


def confirmation(contact: Contact) -> str:
    """What the user types to confirm an erase: the email, else the phone."""
    return contact.email or contact.phone or contact.linkedin_key or str(contact.id)


def _confirmed(contact: Contact, typed: str | None) -> bool:
    typed = (typed or "").strip()
    if not typed:
        return False
    expected = confirmation(contact)
    return typed.lower() == expected.lower() or (
        contact.phone is not None and normalise_phone(typed) == contact.phone
    )


def erase_contact(
    workspace_id: int, contact_id: int, *, confirm: str | None, user_id=None
) -> dict:
    """Erase the person (commits); what was removed, how many hashes suppress
    them, and what Airtable said. InvalidInput unless `confirm` is their address."""
    contact = get_contact(workspace_id, contact_id)
    if not _confirmed(contact, confirm):
        raise InvalidInput(
            f"confirm: type the contact's email address ({confirmation(contact)}) "
            "to erase them.",
            code="confirm",
        )
    emails = sorted({e.email for e in contact.emails} | {contact.email} - {None})
    phones = sorted({p.phone for p in contact.phones} | {contact.phone} - {None})
    profile = contact.linkedin_key
    person = traces.Person(emails, phones, profile)
    airtable_state = _delete_in_airtable(workspace_id, contact)
    removed = {
        "enrichment_rows": _enrichment_rows(workspace_id, emails, phones),
        "person_profiles": _profiles(workspace_id, emails, profile),
        "prospects": _prospects(workspace_id, profile),
        "import_rows": traces.job_rows(workspace_id, person),
        "enrichment_pages": traces.enrichment_pages(workspace_id, person),
        "webhook_deliveries": _deliveries(workspace_id, emails, phones),
        "cache_entries": _cache(emails),
        "merge_records": traces.merge_records(workspace_id, person, contact.id),
        "audit_events": traces.audit_details(workspace_id, person),
    }
    files, not_scrubbed = traces.upload_files(workspace_id, person)
    removed["upload_rows"] = sum(f["rows"] for f in files)
    held = suppression.suppress(
        workspace_id, emails=emails, phones=phones, profiles=[profile]
    )
    webhooks.emit(
        workspace_id,
        "contact.deleted",
        {"contacts": [{"id": contact.id, "erased": True}]},
    )
    audit.record(
        workspace_id,
        "contact.erased",
        f"contact #{contact.id}",
        user_id=user_id,
        details={
            "removed": removed,
            "suppressed": held,
            "airtable": airtable_state,
            "not_scrubbed": [f["file"] for f in not_scrubbed],
        },
    )
    contact_id = contact.id
    detach([contact_id])
    db.session.expire(contact)
    db.session.delete(contact)
    db.session.commit()
    return {
        "erased": True,
        "contact_id": contact_id,
        "removed": removed,
        "suppressed": held,
        "airtable": airtable_state,
        "files": files,
        "not_scrubbed": not_scrubbed,
    }


def _delete_in_airtable(workspace_id: int, contact: Contact) -> str:
    """deleted, not_synced, not_configured or failed (the erase goes on: the
    audit record keeps the outcome for someone to finish by hand)."""
    if not contact.crm_record_id:
        return "not_synced"
    try:
        conn = connection(workspace_id)
    except AirtableNotConfigured:
        return "not_configured"
    try:
        airtable.delete(
            conn.token, conn.base_id, conn.contacts_table, [contact.crm_record_id]
        )
    except ProviderError as exc:
        logger.warning("airtable delete of an erased contact failed: %s", exc)
        return "failed"
    return "deleted"


def _enrichment_rows(workspace_id: int, emails, phones) -> int:
    jobs = select(Job.id).where(Job.workspace_id == workspace_id)
    matches = [EnrichmentRow.email_normalized.in_(emails)] if emails else []
    if emails:
        matches.append(EnrichmentRow.email.in_(emails))
    if phones:
        matches.append(EnrichmentRow.phone_e164.in_(phones))
    if not matches:
        return 0
    stmt = delete(EnrichmentRow).where(EnrichmentRow.job_id.in_(jobs), or_(*matches))
    count = db.session.execute(stmt).rowcount or 0
    if not emails:
        return count
    # Rows not processed yet hold the person only in their original fields.
    for row in db.session.scalars(
        select(EnrichmentRow).where(
            EnrichmentRow.job_id.in_(jobs),
            or_(*[cast(EnrichmentRow.data, String).contains(e) for e in emails]),
        )
    ):
        if any(normalise_email(str(v)) in emails for v in row.data or []):
            db.session.delete(row)
            count += 1
    return count


def _profiles(workspace_id: int, emails, profile) -> int:
    searches = select(PeopleSearch.id).where(PeopleSearch.workspace_id == workspace_id)
    matches = [PersonProfile.email.in_(emails)] if emails else []
    if profile:
        matches.append(PersonProfile.linkedin_url.contains(_slug(profile)))
    if not matches:
        return 0
    rows = db.session.scalars(
        select(PersonProfile).where(
            PersonProfile.search_id.in_(searches), or_(*matches)
        )
    ).all()
    gone = [
        r
        for r in rows
        if (r.email or "").lower() in emails
        or (profile and linkedin_key(r.linkedin_url) == profile)
    ]
    for row in gone:
        db.session.delete(row)
    return len(gone)


def _prospects(workspace_id: int, profile) -> int:
    if not profile:
        return 0
    jobs = select(Job.id).where(Job.workspace_id == workspace_id)
    rows = db.session.scalars(
        select(Prospect).where(
            Prospect.job_id.in_(jobs), Prospect.linkedin_url.contains(_slug(profile))
        )
    ).all()
    gone = [r for r in rows if linkedin_key(r.linkedin_url) == profile]
    for row in gone:
        db.session.delete(row)
    return len(gone)


def _slug(profile: str | None) -> str:
    return profile.rsplit("/", 1)[-1] if profile else "\x00"


def _deliveries(workspace_id: int, emails, phones) -> int:
    """Webhook bodies about the person keep their event, not their values."""
    values = [*emails, *phones]
    if not values:
        return 0
    rows = db.session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.workspace_id == workspace_id,
            or_(*[WebhookDelivery.body.contains(v) for v in values]),
        )
    ).all()
    for row in rows:
        body = row.body
        for value in values:
            body = body.replace(value, ERASED)
        row.body = body
    return len(rows)


def _cache(emails) -> int:
    """Provider answers keyed on the address or holding it (the cache is shared by
    every workspace: an answer about the person is theirs whoever paid for it)."""
    if not emails:
        return 0
    matches = [ProviderCache.key.in_(emails)]
    matches += [cast(ProviderCache.value, String).contains(e) for e in emails]
    stmt = delete(ProviderCache).where(or_(*matches))
    return db.session.execute(stmt).rowcount or 0
