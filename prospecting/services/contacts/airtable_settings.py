"""A workspace's Airtable settings (token, base, tables, field mapping, merge
fields, sync interval) and the decrypted connection the sync calls Airtable with."""

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from prospecting import crypto
from prospecting.extensions import db
from prospecting.models import AirtableSettings
from prospecting.models.base import utcnow
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import ServiceError

BASE_ID = re.compile(r"^app[A-Za-z0-9]{14}$")

CONTACT_FIELDS = {
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "title": "Title",
    "location": "Location",
    "address": "Address",
    "linkedin_url": "LinkedIn",
    "source": "Source",
    "din": "DIN",
    "company": "Company",
    # Off until named: the last verification ("bad" once an address went bad).
    "email_status": "",
}
COMPANY_FIELDS = {"name": "Name", "registration_number": "CIN", "domain": "Domain"}
CONTACT_MERGE_FIELDS = ("email", "phone")
COMPANY_MERGE_FIELDS = ("name", "registration_number", "domain")


class AirtableNotConfigured(ServiceError):
    status_code = 422


def get_settings(workspace_id: int) -> AirtableSettings | None:
    return db.session.scalar(
        select(AirtableSettings).where(AirtableSettings.workspace_id == workspace_id)
    )


def settings_for_form(workspace_id: int) -> AirtableSettings:
    """The saved settings, or unsaved defaults to fill the form with."""
    saved = get_settings(workspace_id)
    if saved is not None:
        saved.contact_fields = {**CONTACT_FIELDS, **(saved.contact_fields or {})}
        saved.company_fields = {**COMPANY_FIELDS, **(saved.company_fields or {})}
        return saved
    return AirtableSettings(
        workspace_id=workspace_id,
        base_id="",
        contacts_table=current_app.config["AIRTABLE_CONTACTS_TABLE"],
        companies_table="Companies",
        contact_fields=dict(CONTACT_FIELDS),
        company_fields=dict(COMPANY_FIELDS),
        merge_field="email",
        company_merge_field="name",
        sync_interval_minutes=0,
    )


def save_settings(
    workspace_id: int,
    *,
    token: str | None,
    base_id: str,
    contacts_table: str,
    companies_table: str,
    contact_fields: dict,
    company_fields: dict,
    merge_field: str = "email",
    company_merge_field: str = "name",
    sync_interval_minutes: int = 0,
) -> AirtableSettings:
    """Validate and store the workspace's Airtable settings; the token is encrypted."""
    settings = get_settings(workspace_id) or AirtableSettings(workspace_id=workspace_id)
    token = (token or "").strip()
    if not token and not settings.token_encrypted:
        raise InvalidInput("Enter the Airtable personal access token.", code="no_token")
    base_id = (base_id or "").strip()
    if not BASE_ID.match(base_id):
        raise InvalidInput(
            "The base id is 'app' followed by 14 letters or digits "
            "(see the base's URL).",
            code="bad_base_id",
        )
    if not (contacts_table or "").strip() or not (companies_table or "").strip():
        raise InvalidInput("Name both the contacts and companies tables.", code="table")
    contact_fields = _mapping(contact_fields, CONTACT_FIELDS)
    company_fields = _mapping(company_fields, COMPANY_FIELDS)
    if merge_field not in CONTACT_MERGE_FIELDS or not contact_fields.get(merge_field):
        raise InvalidInput(
            "The contact merge field must be email or phone, mapped to a field.",
            code="bad_merge_field",
        )
    if company_merge_field not in COMPANY_MERGE_FIELDS or not company_fields.get(
        company_merge_field
    ):
        raise InvalidInput(
            "The company merge field must be a mapped name, CIN or domain.",
            code="bad_merge_field",
        )
    if not 0 <= int(sync_interval_minutes or 0) <= 10080:
        raise InvalidInput("The sync interval is 0 to 10080 minutes.", code="interval")
    if token:
        settings.token_encrypted = crypto.encrypt(token)
    settings.base_id = base_id
    settings.contacts_table = contacts_table.strip()[:120]
    settings.companies_table = companies_table.strip()[:120]
    settings.contact_fields = contact_fields
    settings.company_fields = company_fields
    settings.merge_field = merge_field
    settings.company_merge_field = company_merge_field
    settings.sync_interval_minutes = int(sync_interval_minutes or 0)
    settings.updated_at = utcnow()
    db.session.add(settings)
    db.session.commit()
    return settings


def _mapping(values: dict, defaults: dict) -> dict:
    return {key: str(values.get(key) or "").strip()[:120] for key in defaults}


@dataclass
class Connection:
    token: str
    base_id: str
    contacts_table: str
    companies_table: str
    contact_fields: dict
    company_fields: dict
    merge_field: str
    company_merge_field: str


def connection(workspace_id: int) -> Connection:
    """The decrypted settings to call Airtable with, or AirtableNotConfigured."""
    settings = get_settings(workspace_id)
    if settings is None or not settings.token_encrypted or not settings.base_id:
        raise AirtableNotConfigured(
            "Airtable is not configured for this workspace: add the token and base "
            "on the Airtable settings page.",
            code="airtable_not_configured",
        )
    try:
        token = crypto.decrypt(settings.token_encrypted)
    except crypto.SecretUnreadable as exc:
        raise AirtableNotConfigured(
            "The stored Airtable token cannot be read; enter it again.",
            code="airtable_not_configured",
        ) from exc
    return Connection(
        token=token,
        base_id=settings.base_id,
        contacts_table=settings.contacts_table,
        companies_table=settings.companies_table,
        contact_fields={**CONTACT_FIELDS, **(settings.contact_fields or {})},
        company_fields={**COMPANY_FIELDS, **(settings.company_fields or {})},
        merge_field=settings.merge_field,
        company_merge_field=settings.company_merge_field,
    )
