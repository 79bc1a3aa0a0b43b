"""Airtable records of companies and contacts, and sending them: one upsert request
per 10 records; a refused request is retried record by record."""

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.providers import airtable
from prospecting.services.contacts.airtable_settings import Connection
from prospecting.services.errors import InvalidInput

# Records a sync batch reads with one request and sends 10 a request: a list
# answers a page of at most 100 records (a read of 100 merge values goes as POST
# …/listRecords, see providers.airtable).
READ_GROUP = 100


def company_record(conn: Connection, company: Company) -> tuple[str | None, dict]:
    """The field to merge a company's record on (None: update it by its stored id)
    and the record, or InvalidInput when it cannot be matched."""
    values = {
        "name": company.name,
        "registration_number": company.registration_number,
        "domain": company.domain,
    }
    fields = _fields(conn.company_fields, values)
    merge = [conn.company_fields[conn.company_merge_field]]
    return _with_key(fields, merge, company)


def contact_record(conn: Connection, contact: Contact) -> tuple[str | None, dict]:
    """The field to merge a contact's record on and the record, linked to its
    company's record. Without a value for the merge field (a contact without an
    email) it merges on the other of email and phone when mapped, else updates the
    record it was synced to before."""
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
    other = "phone" if conn.merge_field == "email" else "email"
    merge = [conn.contact_fields[conn.merge_field], conn.contact_fields.get(other)]
    return _with_key(fields, [m for m in merge if m], contact)


def _fields(mapping: dict, values: dict) -> dict:
    # Empty values stay out: a PATCH upsert then keeps what Airtable already has.
    return {
        mapping[key]: value
        for key, value in values.items()
        if mapping.get(key) and value not in (None, "", [])
    }


def _with_key(fields: dict, merge_fields: list[str], obj) -> tuple[str | None, dict]:
    for merge in merge_fields:
        if fields.get(merge):
            return merge, {"fields": fields}
    if obj.crm_record_id:
        return None, {"id": obj.crm_record_id, "fields": fields}
    names = " or ".join(f"'{m}'" for m in merge_fields)
    raise InvalidInput(f"No value to merge on ({names}) and no Airtable record yet.")


def _address(addresses: list) -> str | None:
    for address in addresses or []:
        if isinstance(address, dict) and address.get("fullAddress"):
            return address["fullAddress"]
    return None


@dataclass
class SyncCounts:
    synced: int = 0
    failed: int = 0


def sync_objects(
    conn: Connection,
    objects: list,
    *,
    read_at,
    strategy: str = "overwrite",
    each: Callable[[Iterable], Iterable] = iter,
) -> SyncCounts:
    """Upsert companies or contacts (one kind, at most READ_GROUP) 10 a request
    and record each outcome. With the "fill" strategy the records are read first,
    all of them with one list request (a page of up to 100 records), and only the
    fields empty in Airtable are sent: a read costs a request of the base's 5 a
    second like a write, so reading 10 records a time would halve the sync.

    Per-record problems (no merge value, unsynced company, a refused record such as
    a multiple match) mark that record failed and the rest carry on; rate limits,
    refused credentials and outages propagate. Commits after every request;
    `each` wraps the writes (a batch's `Run.each` stops between them when the job
    was cancelled or paused).
    """
    counts, ready = SyncCounts(), []  # (object, (merge field, record))
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
    if strategy == "fill":
        ready = _fill_only(conn, ready)
    groups: dict = {}
    for obj, (merge, record) in ready:
        groups.setdefault(merge, []).append((obj, record))
    writes = [
        (merge, group[start : start + airtable.MAX_RECORDS])
        for merge, group in groups.items()
        for start in range(0, len(group), airtable.MAX_RECORDS)
    ]
    for merge, part in each(writes):
        _send_group(conn, merge, part, read_at, counts)
    return counts


def _send_group(conn, merge, group, read_at, counts: SyncCounts) -> None:
    """One request for the group; if Airtable refuses it, one per record."""
    try:
        _send(conn, merge, group, read_at)
        counts.synced += len(group)
        return
    except airtable.AirtableRecordError as exc:
        if len(group) == 1:
            _mark_failed(group[0][0], exc.message)
            db.session.commit()
            counts.failed += 1
            return
    for obj, record in group:
        try:
            _send(conn, merge, [(obj, record)], read_at)
            counts.synced += 1
        except airtable.AirtableRecordError as exc:
            _mark_failed(obj, exc.message)
            db.session.commit()
            counts.failed += 1


def _send(conn: Connection, merge: str | None, ready: list, read_at) -> None:
    """Upsert on `merge`, or update by record id (merge None)."""
    is_company = isinstance(ready[0][0], Company)
    table = conn.companies_table if is_company else conn.contacts_table
    records = [record for _, record in ready]
    if merge is None:
        result = airtable.update(conn.token, conn.base_id, table, records)
    else:
        result = airtable.upsert(
            conn.token, conn.base_id, table, records, merge_fields=[merge]
        )
    records = result.get("records") or []
    for (obj, _), record in zip(ready, records, strict=False):
        obj.crm_record_id = record.get("id") or obj.crm_record_id
        obj.synced_at = read_at
        obj.sync_failed, obj.sync_error = False, None
    db.session.commit()


def _fill_only(conn: Connection, ready: list) -> list:
    """The records without the fields Airtable already has a value in (the merge
    field stays: the upsert matches on it); one filterByFormula list request
    reads the existing records of them all (more pages only if more than 100
    match)."""
    is_company = isinstance(ready[0][0], Company)
    table = conn.companies_table if is_company else conn.contacts_table
    matches = []
    for _, (merge, record) in ready:
        if merge is None:
            matches.append(f"RECORD_ID()={airtable.formula_text(record['id'])}")
        else:
            value = airtable.formula_text(record["fields"][merge])
            matches.append(f"{{{merge}}}={value}")
    existing = airtable.find_records(
        conn.token, conn.base_id, table, f"OR({','.join(matches)})", max_records=None
    )
    out = []
    for obj, (merge, record) in ready:
        have = _existing(existing, merge, record)
        fields = {
            name: value
            for name, value in record["fields"].items()
            if name == merge or have.get(name) in (None, "", [])
        }
        out.append((obj, (merge, {**record, "fields": fields})))
    return out


def _existing(records: list[dict], merge: str | None, record: dict) -> dict:
    """The fields of the Airtable record this one would update ({} for a new one)."""
    for found in records:
        fields = found.get("fields") or {}
        if merge is None and found.get("id") == record.get("id"):
            return fields
        if merge is not None and _same(fields.get(merge), record["fields"][merge]):
            return fields
    return {}


def _same(a, b) -> bool:
    return str(a or "").strip().lower() == str(b or "").strip().lower()


def _mark_failed(obj, message: str) -> None:
    obj.sync_failed = True
    obj.sync_error = message[:2000]
