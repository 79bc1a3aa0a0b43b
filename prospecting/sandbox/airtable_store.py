"""The sandbox Airtable's bases, tables and records (in memory), and the record
operations its routes run under `lock`: list with `filterByFormula`, plan an update
or upsert, write, insert; refusals are `Refused` with Airtable's status and type."""

import threading
from datetime import UTC
from datetime import datetime

from prospecting.sandbox import airtable_formula
from prospecting.sandbox import airtable_schema as schema

lock = threading.Lock()
bases: dict[str, list[dict]] = {}


class Refused(Exception):
    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def get_table(base: str, name: str) -> dict:
    tables = bases.get(base)
    if tables is None:
        raise Refused(
            403,
            "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
            "Invalid permissions, or the requested model was not found. Check that "
            "both your user and your token have the required permissions, and that "
            "the model names and/or ids are correct.",
        )
    for tbl in tables:
        if name in (tbl["name"], tbl["id"]):
            return tbl
    raise Refused(
        404, "TABLE_NOT_FOUND", f"Could not find table {name} in application {base}"
    )


def copy_record(record: dict) -> dict:
    return {
        "id": record["id"],
        "createdTime": record["createdTime"],
        "fields": dict(record["fields"]),
    }


def list_records(base: str, table: str, options: dict) -> dict:
    tbl = get_table(base, table)
    rows = list(tbl["records"].values())
    if options.get("filterByFormula"):
        try:
            keep = airtable_formula.matcher(options["filterByFormula"])
        except ValueError as exc:
            raise Refused(422, "INVALID_FILTER_BY_FORMULA", str(exc)) from exc
        rows = [r for r in rows if keep(r)]
    if options.get("maxRecords"):
        rows = rows[: options["maxRecords"]]
    size = min(100, max(1, options.get("pageSize") or 100))
    offset = options.get("offset") or "itr0"
    start = int(offset[3:]) if offset.startswith("itr") and offset[3:].isdigit() else 0
    page = [copy_record(r) for r in rows[start : start + size]]
    if options.get("fields"):
        wanted = set(options["fields"])
        for r in page:
            r["fields"] = {k: v for k, v in r["fields"].items() if k in wanted}
    body = {"records": page}
    if start + size < len(rows):
        body["offset"] = f"itr{start + size}"
    return body


def get_record(base: str, table: str, record_id: str) -> dict:
    record = get_table(base, table)["records"].get(record_id)
    if record is None:
        raise Refused(
            404, "MODEL_ID_NOT_FOUND", f"Could not find a record with ID {record_id}"
        )
    return record


def plan(tbl: dict, items: list, merge, typecast: bool) -> list:
    """Which existing record each item updates (None: create), with its cells."""
    rows = tbl["records"]
    if merge is not None:
        problem = schema.merge_problem(tbl, merge)
        if problem:
            raise Refused(422, "INVALID_REQUEST_UNKNOWN", problem)
        merge = [schema.field_named(tbl, name)["name"] for name in merge]
    plan = []
    for n, item in enumerate(items):
        cells = schema.cleaned(tbl, item["fields"], typecast=typecast)
        if item.get("id"):
            if item["id"] not in rows:
                raise Refused(
                    404,
                    "MODEL_ID_NOT_FOUND",
                    f"Could not find a record with ID {item['id']}",
                )
            plan.append((item["id"], cells))
            continue
        if merge is None:
            raise Refused(
                422,
                "INVALID_REQUEST_MISSING_FIELDS",
                f"Record {n}: an update needs an `id`.",
            )
        if any(cells.get(f) in (None, "", []) for f in merge):
            raise Refused(
                422,
                "INVALID_VALUE_FOR_COLUMN",
                f"Record {n}: every field of fieldsToMergeOn {merge} needs a value.",
            )
        matches = [
            rid
            for rid, row in rows.items()
            if all(row["fields"].get(f) == cells[f] for f in merge)
        ]
        if len(matches) > 1:
            raise Refused(
                422,
                "INVALID_VALUE_FOR_COLUMN",
                f"Record {n}: more than one existing record matches "
                f"{', '.join(merge)} = {[cells[f] for f in merge]}; "
                "cannot upsert on multiple matches.",
            )
        plan.append((matches[0] if matches else None, cells))
    return plan


def write(tbl: dict, plan: list, *, replace: bool) -> dict:
    rows = tbl["records"]
    out, created, updated = [], [], []
    for rid, cells in plan:
        if rid is None:
            record = insert(tbl, cells)
            created.append(record["id"])
        else:
            rows[rid]["fields"] = schema.merged(
                rows[rid]["fields"], cells, replace=replace
            )
            record = copy_record(rows[rid])
            updated.append(rid)
        out.append(record)
    return {"records": out, "createdRecords": created, "updatedRecords": updated}


def insert(tbl: dict, fields: dict) -> dict:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record = {
        "id": schema.new_id("rec"),
        "createdTime": stamp,
        "fields": schema.merged({}, fields, replace=True),
    }
    tbl["records"][record["id"]] = record
    return copy_record(record)
