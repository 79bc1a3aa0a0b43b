"""The sandbox Airtable's table schemas: field types, the values each takes (with
Airtable's own 422 errors), cleared cells, and `filterByFormula`.

Field types and their cell values: https://airtable.com/developers/web/api/field-model
Errors: https://airtable.com/developers/web/api/errors
Formulas: https://support.airtable.com/docs/formula-field-reference
"""

import random
import string

ID_CHARS = string.ascii_letters + string.digits

TEXT_TYPES = {
    "singleLineText",
    "multilineText",
    "richText",
    "email",
    "url",
    "phoneNumber",
}
NUMBER_TYPES = {"number", "currency", "percent", "duration", "rating"}
DATE_TYPES = {"date", "dateTime"}
COMPUTED_TYPES = {
    "formula",
    "rollup",
    "count",
    "lookup",
    "multipleLookupValues",
    "autoNumber",
    "createdTime",
    "lastModifiedTime",
    "createdBy",
    "lastModifiedBy",
    "button",
}
# "These cannot be computed fields (formulas, lookups, rollups), and must be one of
# the following types: number, text, long text, single select, multiple select,
# date." (performUpsert.fieldsToMergeOn,
# https://airtable.com/developers/web/api/update-multiple-records). Email, URL and
# phone fields hold plain strings and are taken too (not in that list: unconfirmed).
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


class FieldError(Exception):
    """A value Airtable refuses: `kind` is its error type (UNKNOWN_FIELD_NAME …)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


def new_id(prefix: str) -> str:
    """An Airtable-style id: `rec`/`tbl`/`fld`/`viw` and 14 letters or digits."""
    return prefix + "".join(random.choices(ID_CHARS, k=14))


def table(name: str, fields: list[dict]) -> dict:
    """A table of `fields` ({name, type, options?}); the first is the primary field."""
    built = []
    for field in fields:
        item = {"id": new_id("fld"), "name": field["name"], "type": field["type"]}
        options = dict(field.get("options") or {})
        if field["type"] in ("singleSelect", "multipleSelects"):
            choices = options.get("choices") or []
            options["choices"] = [
                {"id": new_id("sel"), "name": c if isinstance(c, str) else c["name"]}
                for c in choices
            ]
        if options:
            item["options"] = options
        built.append(item)
    return {
        "id": new_id("tbl"),
        "name": name,
        "primaryFieldId": built[0]["id"],
        "fields": built,
        "views": [{"id": new_id("viw"), "name": "Grid view", "type": "grid"}],
        "records": {},
    }


def default_tables() -> list[dict]:
    """The contacts and companies tables the app's default mapping writes to."""
    return [
        {
            "name": "Companies",
            "fields": [
                {"name": "Name", "type": "singleLineText"},
                {"name": "CIN", "type": "singleLineText"},
                {"name": "Domain", "type": "singleLineText"},
            ],
        },
        {
            "name": "Contacts",
            "fields": [
                {"name": "Name", "type": "singleLineText"},
                {"name": "Email", "type": "email"},
                {"name": "Phone", "type": "phoneNumber"},
                {"name": "Title", "type": "singleLineText"},
                {"name": "Location", "type": "singleLineText"},
                {"name": "Address", "type": "multilineText"},
                {"name": "LinkedIn", "type": "url"},
                {"name": "Source", "type": "singleLineText"},
                {"name": "DIN", "type": "singleLineText"},
                {"name": "Company", "type": "multipleRecordLinks"},
                {"name": "Record", "type": "formula"},
            ],
        },
    ]


def field_named(tbl: dict, key: str) -> dict | None:
    for field in tbl["fields"]:
        if key in (field["name"], field["id"]):
            return field
    return None


def cleaned(tbl: dict, fields: dict, *, typecast: bool) -> dict:
    """`fields` as stored: names resolved, values checked, None for a cleared cell."""
    out = {}
    for key, value in fields.items():
        field = field_named(tbl, key)
        if field is None:
            raise FieldError("UNKNOWN_FIELD_NAME", f'Unknown field name: "{key}"')
        out[field["name"]] = _value(field, value, typecast)
    return out


def _cannot(field: dict, value) -> FieldError:
    return FieldError(
        "INVALID_VALUE_FOR_COLUMN",
        f'Field "{field["name"]}" cannot accept the provided value: {value!r}',
    )


def _value(field: dict, value, typecast: bool):
    kind = field["type"]
    if kind in COMPUTED_TYPES:
        raise FieldError(
            "INVALID_VALUE_FOR_COLUMN",
            f'Field "{field["name"]}" cannot accept a value because the field is '
            "computed",
        )
    if value is None:
        return None
    if kind in TEXT_TYPES or kind in DATE_TYPES:
        if typecast and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _cannot(field, value)
        return value
    if kind in NUMBER_TYPES:
        if typecast and isinstance(value, str):
            try:
                value = float(value) if "." in value else int(value)
            except ValueError:
                raise _cannot(field, value) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _cannot(field, value)
        return value
    if kind == "checkbox":
        if not isinstance(value, bool):
            raise _cannot(field, value)
        return value
    if kind == "singleSelect":
        return _choice(field, value, typecast)
    if kind == "multipleSelects":
        if typecast and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise _cannot(field, value)
        return [_choice(field, v, typecast) for v in value]
    if kind == "multipleRecordLinks":
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v.startswith("rec") for v in value
        ):
            raise _cannot(field, value)
        return list(value)
    return value


def _choice(field: dict, value, typecast: bool) -> str:
    if not isinstance(value, str):
        raise _cannot(field, value)
    choices = field.setdefault("options", {}).setdefault("choices", [])
    if any(c["name"] == value for c in choices):
        return value
    if not typecast:
        raise FieldError(
            "INVALID_MULTIPLE_CHOICE_OPTIONS",
            f'Insufficient permissions to create new select option ""{value}""',
        )
    choices.append({"id": new_id("sel"), "name": value})
    return value


def merged(stored: dict, changes: dict, *, replace: bool) -> dict:
    """The cells after a write; an emptied cell is left out, as Airtable does."""
    result = dict(changes) if replace else {**stored, **changes}
    return {k: v for k, v in result.items() if v not in (None, "", [], False)}


def merge_problem(tbl: dict, names) -> str | None:
    """Why `fieldsToMergeOn` cannot be used on this table (None: it can)."""
    if not isinstance(names, list) or not 1 <= len(names) <= 3:
        return "fieldsToMergeOn must list 1 to 3 field names."
    for name in names:
        field = field_named(tbl, name) if isinstance(name, str) else None
        if field is None:
            return f'Unknown field name: "{name}"'
        if field["type"] not in MERGE_TYPES:
            return (
                f'Field "{field["name"]}" of type {field["type"]} cannot be used '
                "in fieldsToMergeOn."
            )
    return None
