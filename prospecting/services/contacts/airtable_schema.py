"""The Airtable settings held against the base's schema, before anything is sent:
which mapped fields the tables lack, which have a type that cannot take our value,
and whether the merge fields can be merged on.

The schema is read from GET /v0/meta/bases/{base}/tables
(https://airtable.com/developers/web/api/get-base-schema; the token needs the
`schema.bases:read` scope). Field types: https://airtable.com/developers/web/api/field-model.
"""

from dataclasses import dataclass
from dataclasses import field

from prospecting.extensions import db
from prospecting.models.base import utcnow
from prospecting.providers import airtable
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderError
from prospecting.services.contacts.airtable_settings import Connection
from prospecting.services.contacts.airtable_settings import connection
from prospecting.services.contacts.airtable_settings import get_settings
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import ServiceError

TEXT = {"singleLineText", "multilineText", "richText"}
# What each of our values is, and the Airtable field types that take it (we send
# typecast, so a single select takes a new text as a new option).
ACCEPTS = {
    "text": TEXT | {"singleSelect"},
    "email": TEXT | {"email"},
    "phone": TEXT | {"phoneNumber"},
    "url": TEXT | {"url"},
    "link": {"multipleRecordLinks"},
}
CONTACT_VALUES = {
    "name": "text",
    "email": "email",
    "phone": "phone",
    "title": "text",
    "location": "text",
    "address": "text",
    "linkedin_url": "url",
    "source": "text",
    "din": "text",
    "company": "link",
}
COMPANY_VALUES = {"name": "text", "registration_number": "text", "domain": "url"}
# performUpsert.fieldsToMergeOn "cannot be computed fields (formulas, lookups,
# rollups), and must be one of the following types: number, text, long text, single
# select, multiple select, date" (https://airtable.com/developers/web/api/update-multiple-records).
# Email, URL and phone fields hold plain text and are taken as text (unconfirmed).
MERGE_TYPES = {
    "number",
    "singleLineText",
    "multilineText",
    "singleSelect",
    "multipleSelects",
    "date",
    "email",
    "url",
    "phoneNumber",
}


@dataclass
class Problem:
    role: str  # "contacts" or "companies"
    table: str
    key: str  # our attribute (email, company …)
    field: str  # the Airtable field name it is mapped to
    kind: str  # "missing", "type" or "merge"
    message: str


@dataclass
class SchemaReport:
    problems: list[Problem] = field(default_factory=list)
    missing_tables: list[str] = field(default_factory=list)
    unreadable: str | None = None  # why the schema could not be read

    @property
    def blocking(self) -> bool:
        return bool(self.problems or self.missing_tables)

    @property
    def missing(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "missing"]

    @property
    def unmappable(self) -> list[Problem]:
        """Missing fields that can be left unmapped (not a merge field)."""
        return [p for p in self.missing if not p.key.startswith("merge:")]

    def summary(self) -> str:
        lines = [f"Table '{t}' is not in the base." for t in self.missing_tables]
        lines += [p.message for p in self.problems]
        return " ".join(lines)


def check(conn: Connection) -> SchemaReport:
    """Read the base schema and hold the mapping against it (nothing is written).

    A 403/404 on the schema (a token without `schema.bases:read`) leaves the report
    `unreadable`; a refused token and outages propagate."""
    report = SchemaReport()
    try:
        tables = airtable.base_schema(conn.token, conn.base_id)
    except ProviderAuthError as exc:
        if exc.status == 401:
            raise
        report.unreadable = (
            f"{exc.message} Give the token the schema.bases:read scope to have the "
            "mapping checked before a sync."
        )
        return report
    by_name = {}
    for table in tables:
        by_name[table.get("name")] = table
        by_name[table.get("id")] = table
    companies = by_name.get(conn.companies_table)
    contacts = by_name.get(conn.contacts_table)
    for name, table in (
        (conn.companies_table, companies),
        (conn.contacts_table, contacts),
    ):
        if table is None:
            report.missing_tables.append(name)
    if companies is not None:
        merge = [conn.company_merge_field]
        _check_table(
            report, "companies", companies, conn.company_fields, COMPANY_VALUES, merge
        )
    if contacts is not None:
        merge = [conn.merge_field, *_second(conn)]
        link_to = (companies or {}).get("id")
        _check_table(
            report,
            "contacts",
            contacts,
            conn.contact_fields,
            CONTACT_VALUES,
            merge,
            link_to,
        )
    return report


def _second(conn: Connection) -> list[str]:
    other = "phone" if conn.merge_field == "email" else "email"
    return [other] if conn.contact_fields.get(other) else []


def _check_table(report, role, table, mapping, values, merge_keys, link_to=None):
    fields = {f.get("name"): f for f in table.get("fields") or []}
    fields.update({f.get("id"): f for f in table.get("fields") or []})
    tname = table.get("name")
    for key, kind in values.items():
        name = mapping.get(key)
        if not name:
            continue
        found = fields.get(name)
        primary = key == merge_keys[0]
        if found is None:
            report.problems.append(
                Problem(
                    role,
                    tname,
                    f"merge:{key}" if primary else key,
                    name,
                    "missing",
                    f"Table '{tname}' has no field '{name}' (mapped to {key}).",
                )
            )
            continue
        ftype = found.get("type")
        if ftype not in ACCEPTS[kind]:
            report.problems.append(
                Problem(
                    role,
                    tname,
                    key,
                    name,
                    "type",
                    f"Field '{name}' of '{tname}' is a {ftype} field, which cannot "
                    f"take our {key.replace('_', ' ')} ({kind}).",
                )
            )
        elif kind == "link" and link_to and _linked(found) not in (None, link_to):
            report.problems.append(
                Problem(
                    role,
                    tname,
                    key,
                    name,
                    "type",
                    f"Field '{name}' of '{tname}' links to another table than the "
                    "companies table.",
                )
            )
        if key in merge_keys and ftype not in MERGE_TYPES:
            report.problems.append(
                Problem(
                    role,
                    tname,
                    key,
                    name,
                    "merge",
                    f"Field '{name}' of '{tname}' is a {ftype} field: Airtable cannot "
                    f"merge records on it; merge on a text, email, phone or number "
                    "field.",
                )
            )


def _linked(field_schema: dict) -> str | None:
    return (field_schema.get("options") or {}).get("linkedTableId")


class SchemaUnchecked(ServiceError):
    status_code = 502


def check_workspace(workspace_id: int) -> SchemaReport:
    """The schema check of a workspace's saved settings; SchemaUnchecked when
    Airtable could not be asked (refused token, rate limit, outage)."""
    try:
        return check(connection(workspace_id))
    except ProviderError as exc:
        raise SchemaUnchecked(
            f"The base's schema could not be read: {exc.message}",
            code="schema_unchecked",
        ) from exc


def unmap_missing(workspace_id: int) -> list[str]:
    """Leave unmapped the mapped fields the base lacks (never a merge field); the
    names left out."""
    report = check_workspace(workspace_id)
    if report.unreadable:
        raise InvalidInput(report.unreadable, code="schema_unreadable")
    settings = get_settings(workspace_id)
    conn = connection(workspace_id)
    dropped = []
    contact_fields, company_fields = (
        dict(conn.contact_fields),
        dict(conn.company_fields),
    )
    for problem in report.unmappable:
        mapping = company_fields if problem.role == "companies" else contact_fields
        if mapping.get(problem.key) == problem.field:
            mapping[problem.key] = ""
            dropped.append(problem.field)
    settings.contact_fields = contact_fields
    settings.company_fields = company_fields
    settings.updated_at = utcnow()
    db.session.commit()
    return dropped
