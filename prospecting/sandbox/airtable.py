"""Sandbox Airtable Web API: the `/v0/{base}/{table}` subset pyairtable uses.

In-memory tables per base; list (GET), create (POST), update and upsert (PATCH/PUT
with `performUpsert.fieldsToMergeOn`); at most 10 records per write (else 422);
5 requests/s per base, and after a 429 every request to that base is refused for
the lockout (30 s; the `airtable_rate` / `airtable_lockout` sandbox settings or
SANDBOX_AIRTABLE_* change them); an upsert matching several rows fails with 422.
Bases whose id starts with `appMissing` answer 404, tokens starting with `invalid` 401.
"""

import random
import string
import threading
import time
from collections import deque
from datetime import UTC
from datetime import datetime

from flask import current_app
from flask import jsonify
from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import faults

MAX_RECORDS = 10
ID_CHARS = string.ascii_letters + string.digits

_lock = threading.Lock()
_tables: dict[tuple[str, str], dict[str, dict]] = {}
_hits: dict[str, deque] = {}
_locked_until: dict[str, float] = {}
_calls: dict[str, list[dict]] = {}


def reset() -> None:
    """Forget every table, rate window, lockout and logged call."""
    with _lock:
        _tables.clear()
        _hits.clear()
        _locked_until.clear()
        _calls.clear()


def records(base: str, table: str) -> list[dict]:
    """A copy of a table's records, in creation order."""
    with _lock:
        return [dict(r, fields=dict(r["fields"])) for r in _table(base, table).values()]


def add(base: str, table: str, fields: dict) -> dict:
    """Insert one record directly (as a user would in Airtable's UI)."""
    with _lock:
        return _insert(base, table, fields)


def remove(base: str, table: str, record_id: str) -> None:
    """Delete one record (as a user would in Airtable's UI)."""
    with _lock:
        _table(base, table).pop(record_id, None)


def calls(base: str) -> list[dict]:
    """The write requests a base accepted or refused: method, table, size, status."""
    with _lock:
        return list(_calls.get(base, []))


def new_id() -> str:
    """An Airtable-style record id: `rec` and 14 letters or digits."""
    return "rec" + "".join(random.choices(ID_CHARS, k=14))


def _table(base: str, table: str) -> dict[str, dict]:
    return _tables.setdefault((base, table), {})


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


def _gate(base: str):
    """Auth, missing bases, the per-base rate limit and the lockout after a 429."""
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth.startswith("Bearer ") else ""
    if not token or token.startswith("invalid"):
        return _error(401, "AUTHENTICATION_REQUIRED", "Authentication required")
    if base.lower().startswith("appmissing"):
        return _error(404, "NOT_FOUND", "Could not find what you are looking for")
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


@bp.get("/airtable/v0/<base>/<table>")
def airtable_list(base: str, table: str):
    """List a table's records, 100 per page with an `offset` to the next page."""
    refused = _gate(base)
    if refused is not None:
        return refused
    size = min(100, max(1, request.args.get("pageSize", 100, type=int) or 100))
    offset = request.args.get("offset", "itr0")
    start = int(offset[3:]) if offset.startswith("itr") and offset[3:].isdigit() else 0
    rows = records(base, table)
    body = {"records": rows[start : start + size]}
    if start + size < len(rows):
        body["offset"] = f"itr{start + size}"
    return jsonify(body)


@bp.post("/airtable/v0/<base>/<table>")
def airtable_create(base: str, table: str):
    """Create up to 10 records."""
    refused = _gate(base)
    if refused is not None:
        _log(base, table, 0, _status_of(refused))
        return refused
    body = request.get_json(silent=True)
    items = body.get("records") if isinstance(body, dict) else None
    problem = _check_items(items)
    if problem:
        _log(base, table, len(items or []), 422)
        return _error(422, "INVALID_RECORDS", problem)
    with _lock:
        created = [_insert(base, table, item.get("fields") or {}) for item in items]
    _log(base, table, len(items), 200, body.get("typecast"))
    return jsonify({"records": created})


@bp.route("/airtable/v0/<base>/<table>", methods=["PATCH", "PUT"])
def airtable_update(base: str, table: str):
    """Update records by id or upsert them on `performUpsert.fieldsToMergeOn`."""
    refused = _gate(base)
    if refused is not None:
        _log(base, table, 0, _status_of(refused))
        return refused
    body = request.get_json(silent=True)
    items = body.get("records") if isinstance(body, dict) else None
    problem = _check_items(items)
    merge = ((body or {}).get("performUpsert") or {}).get("fieldsToMergeOn")
    with _lock:
        if not problem:
            plan, problem = _plan(base, table, items, merge)
        if not problem:
            result = _write(base, table, plan, replace=request.method == "PUT")
    if problem:
        _log(base, table, len(items or []), 422, (body or {}).get("typecast"))
        return _error(422, "INVALID_RECORDS", problem)
    _log(base, table, len(items), 200, body.get("typecast"))
    return jsonify(result)


def _check_items(items) -> str | None:
    if not isinstance(items, list) or not items:
        return "Send a non-empty list of records."
    if len(items) > MAX_RECORDS:
        return f"At most {MAX_RECORDS} records per request; got {len(items)}."
    if not all(
        isinstance(i, dict) and isinstance(i.get("fields"), dict) for i in items
    ):
        return "Every record needs a `fields` object."
    return None


def _plan(base, table, items, merge):
    """Which existing record each item updates (None: create), or the 422 message."""
    rows = _table(base, table)
    if merge is not None and (
        not isinstance(merge, list) or not 1 <= len(merge) <= 3 or not all(merge)
    ):
        return None, "fieldsToMergeOn must list 1 to 3 field names."
    plan = []
    for n, item in enumerate(items):
        if item.get("id"):
            if item["id"] not in rows:
                return None, f"Record {n}: {item['id']} does not exist."
            plan.append((item["id"], item["fields"]))
            continue
        if merge is None:
            return None, f"Record {n}: an update needs an `id`."
        if any(item["fields"].get(f) in (None, "") for f in merge):
            return (
                None,
                f"Record {n}: every field of fieldsToMergeOn {merge} is needed.",
            )
        matches = [
            rid
            for rid, row in rows.items()
            if all(row["fields"].get(f) == item["fields"][f] for f in merge)
        ]
        if len(matches) > 1:
            return None, (
                f"Record {n}: more than one existing record matches "
                f"{', '.join(merge)} = {[item['fields'][f] for f in merge]}; "
                "cannot upsert on multiple matches."
            )
        plan.append((matches[0] if matches else None, item["fields"]))
    return plan, None


def _write(base, table, plan, *, replace: bool) -> dict:
    rows = _table(base, table)
    out, created, updated = [], [], []
    for rid, fields in plan:
        if rid is None:
            record = _insert(base, table, fields)
            created.append(record["id"])
        else:
            record = rows[rid]
            record["fields"] = (
                dict(fields) if replace else {**record["fields"], **fields}
            )
            updated.append(rid)
        out.append(dict(record, fields=dict(record["fields"])))
    return {"records": out, "createdRecords": created, "updatedRecords": updated}


def _insert(base: str, table: str, fields: dict) -> dict:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record = {"id": new_id(), "createdTime": stamp, "fields": dict(fields)}
    _table(base, table)[record["id"]] = record
    return dict(record, fields=dict(record["fields"]))
