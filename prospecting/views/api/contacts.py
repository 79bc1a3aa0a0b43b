"""JSON contact fetch by CIN (providers.md §7.5).

It runs synchronously inside the request, as the seed did: one Attestr call, the
upsert into the contact book, then (when Airtable is configured) an immediate sync
of the fetched contacts that never waits on a rate limit; contacts it could not
sync stay pending for the next sync job.
"""

import re

from flask import jsonify
from flask import request
from sqlalchemy import select

from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.errors import api_family
from prospecting.errors import error_response
from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.providers import attestr
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited
from prospecting.services import contacts
from prospecting.services.errors import ServiceError
from prospecting.views.api import bp

RECORD_ID = re.compile(r"^rec[A-Za-z0-9]{14}$")


def _failure(
    status: int, code: str, message: str, headers: dict | None = None, details=None
):
    body, status = error_response(status, message, code=code, details=details)
    return body, status, headers or {}


def _provider_failure(exc: ProviderError):
    if isinstance(exc, attestr.AttestrNotConfigured):
        return _failure(503, "not_configured", exc.message)
    if isinstance(exc, attestr.AttestrLowCredit):
        return _failure(402, "low_credit_balance", exc.message)
    if isinstance(exc, ProviderAuthError):
        return _failure(502, "invalid_credentials", exc.message)
    if isinstance(exc, ProviderNotFound):
        return _failure(404, "data_not_available", exc.message)
    if isinstance(exc, ProviderRateLimited):
        wait = str(max(1, int(exc.retry_after)))
        return _failure(429, "rate_limit_exceeded", exc.message, {"Retry-After": wait})
    return _failure(502, "provider_error", exc.message)


@bp.post("/contacts/fetch")
@token_required
@api_family("contacts")
def contacts_fetch():
    """Fetch a company's directors by CIN into the contact book (and Airtable)."""
    try:
        body = request.get_json(silent=True)
    except ServiceError as exc:  # text the database cannot store (inputs.py)
        return _failure(exc.status_code, exc.code, exc.message, details=exc.details)
    if not isinstance(body, dict):
        return _failure(422, "invalid_json", "Send a JSON object with a 'cin'.")
    cin, record_id = body.get("cin"), body.get("company_airtable_id")
    if not isinstance(cin, str) or not cin.strip():
        return _failure(422, "cin_required", "'cin' (a CIN or LLPIN) is required.")
    if record_id is not None and not (
        isinstance(record_id, str) and RECORD_ID.match(record_id)
    ):
        return _failure(
            422,
            "invalid_company_airtable_id",
            "'company_airtable_id' must be an Airtable record id (rec + 14 chars).",
        )
    ws = workspace_id()
    try:
        report = contacts.fetch_by_registration(
            ws, cin, crm_record_id=record_id, max_contacts=body.get("max_contacts")
        )
    except ServiceError as exc:
        return _failure(exc.status_code, exc.code, exc.message)
    except ProviderError as exc:
        return _provider_failure(exc)
    ids = [i.contact_id for i in report.upsert.items if i.contact_id]
    sync = contacts.SyncCounts()
    if contacts.get_settings(ws) is not None:
        try:
            sync = contacts.sync_now(ws, ids)
        except contacts.AirtableNotConfigured:
            pass
    return jsonify(_body(report, sync))


def _body(report: contacts.FetchReport, sync) -> dict:
    items = report.upsert.items
    ids = [i.contact_id for i in items if i.contact_id]
    stored = {
        c.id: c for c in db.session.scalars(select(Contact).where(Contact.id.in_(ids)))
    }
    company = report.company
    return {
        "success": True,
        "company": {
            "id": company.id,
            "name": company.name,
            "cin": company.registration_number,
            "airtable_id": company.crm_record_id,
        },
        "contacts_fetched": report.fetched,
        "contacts_created": report.upsert.created,
        "contacts_updated": report.upsert.updated,
        "contacts_skipped": report.upsert.skipped,
        "synced_to_airtable": sync.synced,
        "sync_failed": sync.failed,
        "contacts": [_contact(item, stored.get(item.contact_id)) for item in items],
    }


def _contact(item, contact) -> dict:
    return {
        "id": item.contact_id,
        "name": item.name,
        "email": item.email,
        "phone": item.phone,
        "din": (contact.provider_ids or {}).get("din") if contact else None,
        "status": item.status,
        "matched_on": item.matched_on,
        "reason": item.reason,
        "airtable_id": contact.crm_record_id if contact else None,
        "sync_state": contact.sync_state if contact else None,
        "sync_error": contact.sync_error if contact else None,
    }
