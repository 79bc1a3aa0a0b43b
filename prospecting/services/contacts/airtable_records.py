"""Airtable records of companies and contacts, and sending them: one upsert request
per chunk; a refused chunk is retried record by record."""

from dataclasses import dataclass

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.providers import airtable
from prospecting.services.contacts.airtable_settings import Connection
from prospecting.services.errors import InvalidInput


def company_record(conn: Connection, company: Company) -> dict:
    """The Airtable record of a company, or InvalidInput when it cannot be matched."""
    values = {
        "name": company.name,
        "registration_number": company.registration_number,
        "domain": company.domain,
    }
    fields = _fields(conn.company_fields, values)
    return _with_key(fields, conn.company_fields[conn.company_merge_field], company)


def contact_record(conn: Connection, contact: Contact) -> dict:
    """The Airtable record of a contact, linked to its company's record."""
    values = {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "title": contact.title,
        "location": contact.location,
        "address": _address(contact.addresses),
        "linkedin_url": contact.linkedin_url,
        "source": contact.source,
        "din": (contact.provider_ids or {}).get("din"),
        "email_status": "bad" if contact.email_bad else contact.email_verdict,
    }
    fields = _fields(conn.contact_fields, values)
    link = conn.contact_fields.get("company")
    if link and contact.company is not None:
        if not contact.company.crm_record_id:
            reason = contact.company.sync_error or "it has not been synced"
            raise InvalidInput(
                f"Company '{contact.company.name}' is not in Airtable yet ({reason})."
            )
        fields[link] = [contact.company.crm_record_id]
    return _with_key(fields, conn.contact_fields[conn.merge_field], contact)


def _fields(mapping: dict, values: dict) -> dict:
    # Empty values stay out: a PATCH upsert then keeps what Airtable already has.
    return {
        mapping[key]: value
        for key, value in values.items()
        if mapping.get(key) and value not in (None, "", [])
    }


def _with_key(fields: dict, merge_field: str, obj) -> dict:
    if fields.get(merge_field):
        return {"fields": fields}
    if obj.crm_record_id:
        return {"id": obj.crm_record_id, "fields": fields}
    raise InvalidInput(f"No value for the merge field '{merge_field}'.")


def _address(addresses: list) -> str | None:
    for address in addresses or []:
        if isinstance(address, dict) and address.get("fullAddress"):
            return address["fullAddress"]
    return None


@dataclass
class SyncCounts:
    synced: int = 0
    failed: int = 0


def sync_objects(conn: Connection, objects: list, *, read_at) -> SyncCounts:
    """Upsert companies or contacts (one kind, at most 10) and record each outcome.

    Per-record problems (no merge value, unsynced company, a refused record such as
    a multiple match) mark that record failed and the rest carry on; rate limits,
    refused credentials and outages propagate. Commits after every request.
    """
    counts, ready = SyncCounts(), []
    build = company_record if isinstance(objects[0], Company) else contact_record
    for obj in objects:
        try:
            ready.append((obj, build(conn, obj)))
        except InvalidInput as exc:
            _mark_failed(obj, exc.message)
            counts.failed += 1
    db.session.commit()
    if not ready:
        return counts
    try:
        _send(conn, ready, read_at)
        counts.synced += len(ready)
        return counts
    except airtable.AirtableRecordError as exc:
        if len(ready) == 1:
            _mark_failed(ready[0][0], exc.message)
            db.session.commit()
            counts.failed += 1
            return counts
    for obj, record in ready:
        try:
            _send(conn, [(obj, record)], read_at)
            counts.synced += 1
        except airtable.AirtableRecordError as exc:
            _mark_failed(obj, exc.message)
            db.session.commit()
            counts.failed += 1
    return counts


def _send(conn: Connection, ready: list, read_at) -> None:
    is_company = isinstance(ready[0][0], Company)
    table = conn.companies_table if is_company else conn.contacts_table
    mapping = conn.company_fields if is_company else conn.contact_fields
    merge = mapping[conn.company_merge_field if is_company else conn.merge_field]
    result = airtable.upsert(
        conn.token,
        conn.base_id,
        table,
        [record for _, record in ready],
        merge_fields=[merge],
        typecast=True,
    )
    records = result.get("records") or []
    for (obj, _), record in zip(ready, records, strict=False):
        obj.crm_record_id = record.get("id") or obj.crm_record_id
        obj.synced_at = read_at
        obj.sync_failed, obj.sync_error = False, None
    db.session.commit()


def _mark_failed(obj, message: str) -> None:
    obj.sync_failed = True
    obj.sync_error = message[:2000]
