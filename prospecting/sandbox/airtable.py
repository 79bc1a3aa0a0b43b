"""Sandbox Airtable Web API: the record endpoints pyairtable uses and the base schema.

A base exists once created (`create_base`, or `PUT /sandbox/airtable/_bases/<base>`
from another process), with tables whose fields have types and select options
(`airtable_schema`); an unknown base answers 403 and an unknown table 404, as
Airtable does, and nothing is created by writing to it. Records: list (GET and
`POST …/listRecords`, `filterByFormula`), create (one or up to 10), get, update and
delete one, batch update or upsert (`performUpsert.fieldsToMergeOn`) and batch
delete. Requests are checked against the published contracts
(`sandbox/contracts/airtable`) and the table schema, with Airtable's own 422 errors;
cleared cells are left out of answers. 5 requests/s per base, and after a 429 every
request to that base is refused for the lockout (30 s; the `airtable_rate` /
`airtable_lockout` sandbox settings or SANDBOX_AIRTABLE_* change them). Tokens
starting with `invalid` answer 401; those starting with `noschema` lack the
`schema.bases:read` scope (403 on the base schema).

Record endpoints: https://airtable.com/developers/web/api/list-records (and the
create/get/update/delete pages next to it); base schema:
https://airtable.com/developers/web/api/get-base-schema.
"""

import threading
import time
from collections import deque
from datetime import UTC
from datetime import datetime

from flask import current_app
from flask import jsonify
from flask import request

from prospecting.sandbox import airtable_schema as schema
from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults

MAX_RECORDS = 10

_lock = threading.Lock()
_bases: dict[str, list[dict]] = {}
_hits: dict[str, deque] = {}
_locked_until: dict[str, float] = {}
_calls: dict[str, list[dict]] = {}


class _Refused(Exception):
    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def reset() -> None:
    """Forget every base, rate window, lockout and logged call."""
    with _lock:
        _bases.clear()
        _hits.clear()
        _locked_until.clear()
        _calls.clear()


def create_base(base: str, tables: list[dict] | None = None) -> None:
    """Create (or replace) a base whose tables are [{name, fields: [{name, type,
    options?}]}]; without `tables`, the app's default Contacts and Companies."""
    built = [
        schema.table(t["name"], t["fields"]) for t in tables or schema.default_tables()
    ]
    with _lock:
        _bases[base] = built


def records(base: str, table: str) -> list[dict]:
    """A copy of a table's records, in creation order."""
    with _lock:
        return [_copy(r) for r in _table(base, table)["records"].values()]


def add(base: str, table: str, fields: dict) -> dict:
    """Insert one record directly (as a user would in Airtable's UI)."""
    with _lock:
        return _insert(_table(base, table), fields)


def remove(base: str, table: str, record_id: str) -> None:
    """Delete one record (as a user would in Airtable's UI)."""
    with _lock:
        _table(base, table)["records"].pop(record_id, None)


def calls(base: str) -> list[dict]:
    """The write requests a base accepted or refused: method, table, size, status."""
    with _lock:
        return list(_calls.get(base, []))


def new_id() -> str:
    """An Airtable-style record id: `rec` and 14 letters or digits."""
    return schema.new_id("rec")


def _table(base: str, name: str) -> dict:
    tables = _bases.get(base)
    if tables is None:
        raise _Refused(
            403,
            "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
            "Invalid permissions, or the requested model was not found. Check that "
            "both your user and your token have the required permissions, and that "
            "the model names and/or ids are correct.",
        )
    for tbl in tables:
        if name in (tbl["name"], tbl["id"]):
            return tbl
    raise _Refused(
        404, "TABLE_NOT_FOUND", f"Could not find table {name} in application {base}"
    )


def _copy(record: dict) -> dict:
    return {
        "id": record["id"],
        "createdTime": record["createdTime"],
        "fields": dict(record["fields"]),
    }


def _error(status: int, kind: str, message: str):
    return jsonify({"error": {"type": kind, "message": message}}), status


def _log(base: str, table: str, size: int, status: int, typecast=None) -> None:
    with _lock:
        _calls.setdefault(base, []).append(
            {
                "method": request.method,
                "table": table,
                "records": size,
                "status": status,
                "typecast": typecast,
                "at": time.monotonic(),
            }
        )


def _token() -> str:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth.startswith("Bearer ") else ""


def _gate(base: str):
    """Auth, the per-base rate limit and the lockout after a 429."""
    token = _token()
    if not token or token.startswith("invalid"):
        return _error(401, "AUTHENTICATION_REQUIRED", "Authentication required")
    cfg, app_cfg = faults.settings(), current_app.config
    rate = float(cfg.get("airtable_rate", app_cfg["SANDBOX_AIRTABLE_RATE"]) or 0)
    lockout = float(
        cfg.get("airtable_lockout", app_cfg["SANDBOX_AIRTABLE_LOCKOUT_SECONDS"])
    )
    now = time.monotonic()
    with _lock:
        if _locked_until.get(base, 0) > now:
            return _too_many()
        window = _hits.setdefault(base, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if rate and len(window) >= rate:
            _locked_until[base] = now + lockout
            return _too_many()
        window.append(now)
    return faults.inject(
        "airtable",
        rate_body={"error": {"type": "TOO_MANY_REQUESTS", "message": "Slow down."}},
        error_body={"error": {"type": "SERVER_ERROR", "message": "Try again."}},
    )


def _status_of(response) -> int:
    return response[1] if isinstance(response, tuple) else response.status_code


def _too_many():
    return _error(
        429,
        "TOO_MANY_REQUESTS",
        "You have made too many requests in a single second; wait 30 seconds.",
    )


def _answer(base: str, table: str, work, *, size=0, typecast=None, logged=True):
    """Gate, run `work()` under the lock, and answer its body or Airtable's error."""
    refused = _gate(base)
    if refused is not None:
        if logged:
            _log(base, table, 0, _status_of(refused))
        return refused
    try:
        with _lock:
            body = work()
    except _Refused as exc:
        if logged:
            _log(base, table, size, exc.status, typecast)
        return _error(exc.status, exc.kind, exc.message)
    except schema.FieldError as exc:
        if logged:
            _log(base, table, size, 422, typecast)
        return _error(422, exc.kind, exc.message)
    if logged:
        _log(base, table, size, 200, typecast)
    return jsonify(body)


def _body(contract: str) -> dict:
    body = request.get_json(silent=True)
    problems = contracts.problems("airtable", contract, body)
    if problems or not isinstance(body, dict):
        raise _Refused(
            422,
            "INVALID_REQUEST_UNKNOWN",
            "Invalid request: parameter validation failed. Check your request data. "
            + "; ".join(_short(p) for p in problems[:3]),
        )
    return body


def _short(problem: str) -> str:
    path, _, message = problem.partition(": ")
    if len(message) > 120:
        message = message[:60] + " … " + message[-50:]
    return f"{path}: {message}"


@bp.put("/airtable/_bases/<base>")
def airtable_create_base(base: str):
    """Create a base (for tests and benchmarks in another process)."""
    body = request.get_json(silent=True) or {}
    create_base(base, body.get("tables"))
    return jsonify({"id": base})


@bp.get("/airtable/v0/meta/bases/<base>/tables")
def airtable_schema_tables(base: str):
    """The base's tables with their fields, types and options."""

    def work():
        if base not in _bases or _token().startswith("noschema"):
            _table("", "")  # as Airtable answers a token without schema.bases:read
        return {
            "tables": [
                {k: v for k, v in tbl.items() if k != "records"} for tbl in _bases[base]
            ]
        }

    return _answer(base, "", work, logged=False)


@bp.get("/airtable/v0/<base>/<table>")
def airtable_list(base: str, table: str):
    """List a table's records (GET with query parameters)."""
    args = request.args
    options = {
        "pageSize": args.get("pageSize", type=int),
        "offset": args.get("offset"),
        "filterByFormula": args.get("filterByFormula"),
        "maxRecords": args.get("maxRecords", type=int),
        "fields": args.getlist("fields[]") or None,
    }
    return _answer(base, table, lambda: _list(base, table, options), logged=False)


@bp.post("/airtable/v0/<base>/<table>/listRecords")
def airtable_list_post(base: str, table: str):
    """List a table's records with the options in a JSON body."""
    return _answer(
        base,
        table,
        lambda: _list(base, table, _body("records.list.request")),
        logged=False,
    )


def _list(base: str, table: str, options: dict) -> dict:
    tbl = _table(base, table)
    rows = list(tbl["records"].values())
    if options.get("filterByFormula"):
        try:
            keep = schema.matcher(options["filterByFormula"])
        except ValueError as exc:
            raise _Refused(422, "INVALID_FILTER_BY_FORMULA", str(exc)) from exc
        rows = [r for r in rows if keep(r)]
    if options.get("maxRecords"):
        rows = rows[: options["maxRecords"]]
    size = min(100, max(1, options.get("pageSize") or 100))
    offset = options.get("offset") or "itr0"
    start = int(offset[3:]) if offset.startswith("itr") and offset[3:].isdigit() else 0
    page = [_copy(r) for r in rows[start : start + size]]
    if options.get("fields"):
        wanted = set(options["fields"])
        for r in page:
            r["fields"] = {k: v for k, v in r["fields"].items() if k in wanted}
    body = {"records": page}
    if start + size < len(rows):
        body["offset"] = f"itr{start + size}"
    return body


@bp.post("/airtable/v0/<base>/<table>")
def airtable_create(base: str, table: str):
    """Create one record (`fields`) or up to 10 (`records`)."""
    raw = request.get_json(silent=True) or {}
    items = raw.get("records") if isinstance(raw, dict) else None

    def work():
        body = _body("records.create.request")
        tbl, typecast = _table(base, table), bool(body.get("typecast"))
        if "records" not in body:
            return _insert(tbl, schema.cleaned(tbl, body["fields"], typecast=typecast))
        cells = [
            schema.cleaned(tbl, i["fields"], typecast=typecast) for i in body["records"]
        ]
        return {"records": [_insert(tbl, c) for c in cells]}

    return _answer(
        base, table, work, size=len(items or []) or 1, typecast=raw.get("typecast")
    )


@bp.route("/airtable/v0/<base>/<table>", methods=["PATCH", "PUT"])
def airtable_update(base: str, table: str):
    """Update records by id, or upsert them on `performUpsert.fieldsToMergeOn`."""
    raw = request.get_json(silent=True)
    raw = raw if isinstance(raw, dict) else {}

    def work():
        body = _body("records.update.request")
        tbl, typecast = _table(base, table), bool(body.get("typecast"))
        merge = (body.get("performUpsert") or {}).get("fieldsToMergeOn")
        plan = _plan(tbl, body["records"], merge, typecast)
        return _write(tbl, plan, replace=request.method == "PUT")

    return _answer(
        base,
        table,
        work,
        size=len(raw.get("records") or []),
        typecast=raw.get("typecast"),
    )


@bp.route("/airtable/v0/<base>/<table>/<record_id>", methods=["GET"])
def airtable_get(base: str, table: str, record_id: str):
    """One record."""
    return _answer(
        base, table, lambda: _copy(_record(base, table, record_id)), logged=False
    )


@bp.route("/airtable/v0/<base>/<table>/<record_id>", methods=["PATCH", "PUT"])
def airtable_update_one(base: str, table: str, record_id: str):
    """Update one record's fields (PUT clears the fields not sent)."""
    raw = request.get_json(silent=True)
    raw = raw if isinstance(raw, dict) else {}

    def work():
        body = _body("record.update.request")
        tbl, record = _table(base, table), _record(base, table, record_id)
        cells = schema.cleaned(tbl, body["fields"], typecast=bool(body.get("typecast")))
        record["fields"] = schema.merged(
            record["fields"], cells, replace=request.method == "PUT"
        )
        return _copy(record)

    return _answer(base, table, work, size=1, typecast=raw.get("typecast"))


@bp.delete("/airtable/v0/<base>/<table>/<record_id>")
def airtable_delete_one(base: str, table: str, record_id: str):
    """Delete one record."""

    def work():
        _record(base, table, record_id)
        _table(base, table)["records"].pop(record_id)
        return {"id": record_id, "deleted": True}

    return _answer(base, table, work, size=1)


@bp.delete("/airtable/v0/<base>/<table>")
def airtable_delete(base: str, table: str):
    """Delete up to 10 records named by `records[]`."""
    ids = request.args.getlist("records[]")

    def work():
        tbl = _table(base, table)
        if not ids or len(ids) > MAX_RECORDS:
            raise _Refused(
                422,
                "INVALID_REQUEST_UNKNOWN",
                f"Invalid request: name 1 to {MAX_RECORDS} records[] to delete.",
            )
        for rid in ids:
            _record(base, table, rid)
        for rid in ids:
            tbl["records"].pop(rid)
        return {"records": [{"id": rid, "deleted": True} for rid in ids]}

    return _answer(base, table, work, size=len(ids))


def _record(base: str, table: str, record_id: str) -> dict:
    record = _table(base, table)["records"].get(record_id)
    if record is None:
        raise _Refused(
            404, "MODEL_ID_NOT_FOUND", f"Could not find a record with ID {record_id}"
        )
    return record


def _plan(tbl: dict, items: list, merge, typecast: bool) -> list:
    """Which existing record each item updates (None: create), with its cells."""
    rows = tbl["records"]
    if merge is not None:
        problem = schema.merge_problem(tbl, merge)
        if problem:
            raise _Refused(422, "INVALID_REQUEST_UNKNOWN", problem)
        merge = [schema.field_named(tbl, name)["name"] for name in merge]
    plan = []
    for n, item in enumerate(items):
        cells = schema.cleaned(tbl, item["fields"], typecast=typecast)
        if item.get("id"):
            if item["id"] not in rows:
                raise _Refused(
                    404,
                    "MODEL_ID_NOT_FOUND",
                    f"Could not find a record with ID {item['id']}",
                )
            plan.append((item["id"], cells))
            continue
        if merge is None:
            raise _Refused(
                422,
                "INVALID_REQUEST_MISSING_FIELDS",
                f"Record {n}: an update needs an `id`.",
            )
        if any(cells.get(f) in (None, "", []) for f in merge):
            raise _Refused(
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
            raise _Refused(
                422,
                "INVALID_VALUE_FOR_COLUMN",
                f"Record {n}: more than one existing record matches "
                f"{', '.join(merge)} = {[cells[f] for f in merge]}; "
                "cannot upsert on multiple matches.",
            )
        plan.append((matches[0] if matches else None, cells))
    return plan


def _write(tbl: dict, plan: list, *, replace: bool) -> dict:
    rows = tbl["records"]
    out, created, updated = [], [], []
    for rid, cells in plan:
        if rid is None:
            record = _insert(tbl, cells)
            created.append(record["id"])
        else:
            rows[rid]["fields"] = schema.merged(
                rows[rid]["fields"], cells, replace=replace
            )
            record = _copy(rows[rid])
            updated.append(rid)
        out.append(record)
    return {"records": out, "createdRecords": created, "updatedRecords": updated}


def _insert(tbl: dict, fields: dict) -> dict:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record = {
        "id": new_id(),
        "createdTime": stamp,
        "fields": schema.merged({}, fields, replace=True),
    }
    tbl["records"][record["id"]] = record
    return _copy(record)
