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

import time
from collections import deque

from flask import current_app
from flask import jsonify
from flask import request

from prospecting.sandbox import airtable_schema as schema
from prospecting.sandbox import airtable_store as store
from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults

MAX_RECORDS = 10

_lock = store.lock
_hits: dict[str, deque] = {}
_locked_until: dict[str, float] = {}
_calls: dict[str, list[dict]] = {}


def reset() -> None:
    """Forget every base, rate window, lockout and logged call."""
    with _lock:
        store.bases.clear()
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
        store.bases[base] = built


def records(base: str, table: str) -> list[dict]:
    """A copy of a table's records, in creation order."""
    with _lock:
        return [
            store.copy_record(r)
            for r in store.get_table(base, table)["records"].values()
        ]


def add(base: str, table: str, fields: dict) -> dict:
    """Insert one record directly (as a user would in Airtable's UI)."""
    with _lock:
        return store.insert(store.get_table(base, table), fields)


def remove(base: str, table: str, record_id: str) -> None:
    """Delete one record (as a user would in Airtable's UI)."""
    with _lock:
        store.get_table(base, table)["records"].pop(record_id, None)


def calls(base: str) -> list[dict]:
    """The write requests a base accepted or refused: method, table, size, status."""
    with _lock:
        return list(_calls.get(base, []))


def new_id() -> str:
    """An Airtable-style record id: `rec` and 14 letters or digits."""
    return schema.new_id("rec")


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
    except store.Refused as exc:
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
        raise store.Refused(
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
        if base not in store.bases or _token().startswith("noschema"):
            store.get_table(
                "", ""
            )  # as Airtable answers a token without schema.bases:read
        return {
            "tables": [
                {k: v for k, v in tbl.items() if k != "records"}
                for tbl in store.bases[base]
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
    return _answer(
        base, table, lambda: store.list_records(base, table, options), logged=False
    )


@bp.post("/airtable/v0/<base>/<table>/listRecords")
def airtable_list_post(base: str, table: str):
    """List a table's records with the options in a JSON body."""
    return _answer(
        base,
        table,
        lambda: store.list_records(base, table, _body("records.list.request")),
        logged=False,
    )


@bp.post("/airtable/v0/<base>/<table>")
def airtable_create(base: str, table: str):
    """Create one record (`fields`) or up to 10 (`records`)."""
    raw = request.get_json(silent=True) or {}
    items = raw.get("records") if isinstance(raw, dict) else None

    def work():
        body = _body("records.create.request")
        tbl, typecast = store.get_table(base, table), bool(body.get("typecast"))
        if "records" not in body:
            return store.insert(
                tbl, schema.cleaned(tbl, body["fields"], typecast=typecast)
            )
        cells = [
            schema.cleaned(tbl, i["fields"], typecast=typecast) for i in body["records"]
        ]
        return {"records": [store.insert(tbl, c) for c in cells]}

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
        tbl, typecast = store.get_table(base, table), bool(body.get("typecast"))
        merge = (body.get("performUpsert") or {}).get("fieldsToMergeOn")
        plan = store.plan(tbl, body["records"], merge, typecast)
        return store.write(tbl, plan, replace=request.method == "PUT")

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
        base,
        table,
        lambda: store.copy_record(store.get_record(base, table, record_id)),
        logged=False,
    )


@bp.route("/airtable/v0/<base>/<table>/<record_id>", methods=["PATCH", "PUT"])
def airtable_update_one(base: str, table: str, record_id: str):
    """Update one record's fields (PUT clears the fields not sent)."""
    raw = request.get_json(silent=True)
    raw = raw if isinstance(raw, dict) else {}

    def work():
        body = _body("record.update.request")
        tbl, record = (
            store.get_table(base, table),
            store.get_record(base, table, record_id),
        )
        cells = schema.cleaned(tbl, body["fields"], typecast=bool(body.get("typecast")))
        record["fields"] = schema.merged(
            record["fields"], cells, replace=request.method == "PUT"
        )
        return store.copy_record(record)

    return _answer(base, table, work, size=1, typecast=raw.get("typecast"))


@bp.delete("/airtable/v0/<base>/<table>/<record_id>")
def airtable_delete_one(base: str, table: str, record_id: str):
    """Delete one record."""

    def work():
        store.get_record(base, table, record_id)
        store.get_table(base, table)["records"].pop(record_id)
        return {"id": record_id, "deleted": True}

    return _answer(base, table, work, size=1)


@bp.delete("/airtable/v0/<base>/<table>")
def airtable_delete(base: str, table: str):
    """Delete up to 10 records named by `records[]`."""
    ids = request.args.getlist("records[]")

    def work():
        tbl = store.get_table(base, table)
        if not ids or len(ids) > MAX_RECORDS:
            raise store.Refused(
                422,
                "INVALID_REQUEST_UNKNOWN",
                f"Invalid request: name 1 to {MAX_RECORDS} records[] to delete.",
            )
        for rid in ids:
            store.get_record(base, table, rid)
        for rid in ids:
            tbl["records"].pop(rid)
        return {"records": [{"id": rid, "deleted": True} for rid in ids]}

    return _answer(base, table, work, size=len(ids))
