"""Sandbox ReachStream: async filter, batch poll and credits (providers.md §1).

Settings (config, then /sandbox/_config overrides, then the X-Sandbox header):
`reachstream_variant` "A" | "B" (default REACHSTREAM_VARIANT), `reachstream_ready_after`
seconds of processing (default REACHSTREAM_SANDBOX_READY_AFTER), `reachstream_credits`
(default 100000; a search asking for more is out of credits), `reachstream_duplicates`
(repeat the first N records at the end of a batch, as real batches sometimes do),
`reachstream_text_wait` (variant A's "still being processed" 400 as plain text, as
the seed's own client reads it). A start body outside the published contract
(contracts/reachstream) gets the provider's 400 envelope.
Keys starting with "invalid" get 401; keys starting with "broke" have no credits.
"""

import json
import threading
import time
import uuid
from collections import OrderedDict

from flask import Response
from flask import current_app
from flask import jsonify
from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults

MAX_BATCHES = 5000
DEFAULT_CREDITS = 100_000
FIRST = (
    "Aarav Priya Liam Olivia Noah Emma Mateo Sofia Arjun Ananya Lucas Mia Ethan Zara "
    "Kenji Yuki Omar Layla Leon Hannah Diego Valentina Ravi Meera Jonas Clara"
).split()
LAST = (
    "Sharma Patel Smith Johnson Garcia Müller Rossi Dubois Tanaka Kim Nguyen Silva "
    "Iyer Reddy Novak Larsen O'Brien Cohen Haddad Okafor Schmidt Costa Brown Singh"
).split()
TITLES = (
    "CTO", "VP Engineering", "Head of Sales", "Marketing Manager", "Data Scientist",
    "Product Manager", "CFO", "Software Engineer", "Head of Growth", "COO",
)  # fmt: skip
LEVELS = ("C-Level", "VP", "Director", "Manager", "Senior", "Entry")
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "Operations", "Product")
PLACES = (
    ("Bengaluru", "Karnataka", "India"),
    ("San Francisco", "California", "United States"),
    ("London", "England", "United Kingdom"),
    ("Berlin", "Berlin", "Germany"),
    ("Austin", "Texas", "United States"),
    ("Toronto", "Ontario", "Canada"),
)
COMPANIES = (
    "Northwind Labs", "Acme Analytics", "Globex Systems", "Initech Cloud",
    "Umbrella AI", "Hooli Data", "Vandelay Logistics", "Stark Robotics",
    "Wayne Fintech", "Tyrell Bio",
)  # fmt: skip
INDUSTRIES = ("Computer Software", "Financial Services", "Retail", "Biotechnology")
SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+")

_lock = threading.Lock()
_batches: OrderedDict[str, dict] = OrderedDict()


def _envelope(status: int, message: str, data=None, http_status: int | None = None):
    body = {"status": status, "message": message, "data": json.dumps(data)}
    return jsonify(body), http_status or status


def _settings() -> dict:
    cfg = faults.settings()
    return {
        "variant": str(
            cfg.get("reachstream_variant") or current_app.config["REACHSTREAM_VARIANT"]
        ).upper(),
        "ready_after": float(
            cfg.get(
                "reachstream_ready_after",
                current_app.config["REACHSTREAM_SANDBOX_READY_AFTER"],
            )
        ),
        "credits": int(cfg.get("reachstream_credits", DEFAULT_CREDITS)),
        "duplicates": int(cfg.get("reachstream_duplicates", 0)),
        "text_wait": bool(cfg.get("reachstream_text_wait", False)),
    }


def _key_problem():
    """401 for a missing or invalid key, else None."""
    key = request.headers.get("X-API-Key", "")
    if not key or key.startswith("invalid"):
        return _envelope(401, "Unauthorized")
    return None


def _credits(settings: dict) -> int:
    key = request.headers.get("X-API-Key", "")
    return 0 if key.startswith("broke") else settings["credits"]


def _fault():
    return faults.inject(
        "reachstream",
        error_body={"status": 500, "message": "Server Error", "data": "null"},
        rate_body={"status": 429, "message": "Too Many Requests", "data": "null"},
    )


@bp.post("/reachstream/api/Search/v1/users/active/credits")
def reachstream_credits():
    """Credits left, with `data` as a JSON string like the real envelope."""
    problem = _key_problem() or _fault()
    if problem is not None:
        return problem
    return _envelope(200, "success", {"available_credit": _credits(_settings())})


@bp.post("/reachstream/api/v2/async/records/filter/data")
def reachstream_start():
    """Accept an async filter search and answer in the configured variant."""
    problem = _key_problem() or _fault()
    if problem is not None:
        return problem
    body = request.get_json(silent=True)
    problems = contracts.problems("reachstream", "filter_data.request", body)
    if problems:
        return _envelope(400, f"Invalid request: {problems[0]}")
    count = body["fetchCount"]
    settings = _settings()
    query = {k: _values(v) for k, v in body["filter"].items()}
    enough = _credits(settings) >= count
    if settings["variant"] == "A" and not enough:
        # Variant A refuses at once, in the body, while the HTTP status says 200.
        return _envelope(402, "Insufficient balance", http_status=200)
    batch_id = _remember(query, count, settings, enough)
    if settings["variant"] == "A":
        return jsonify(
            {
                "status": 200,
                "message": "Your request is being processed",
                "data": {"unique_processing_id": batch_id},
            }
        )
    return jsonify(
        {"message": "Batch accepted", "data": {"batch_process_id": batch_id}}
    )


@bp.get("/reachstream/api/v2/records/batch-process")
def reachstream_poll():
    """Still processing, ready with records, or out of credits (variant B)."""
    problem = _key_problem() or _fault()
    if problem is not None:
        return problem
    batch_id = request.args.get("batch_process_id", "")
    with _lock:
        batch = _batches.get(batch_id)
    if batch is None:
        return _envelope(404, "Page Not Found")
    variant = batch["variant"]
    if time.monotonic() < batch["ready_at"]:
        if variant == "A" and _settings()["text_wait"]:
            return Response(
                "Your batch is still being processed, try later",
                status=400,
                mimetype="text/plain",
            )
        if variant == "A":
            return _envelope(400, "Your batch is still being processed, try later")
        return jsonify({"record_status": "PROCESSING", "batch_process_id": batch_id})
    if not batch["enough"]:
        return jsonify(
            {"status": "INSUFFICIENT_BALANCE", "message": "Not enough credits"}
        )
    records = records_for(batch["filter"], batch["count"])
    records += records[: batch["duplicates"]]
    if variant == "A":
        return _envelope(200, "success", records)
    return jsonify(
        {"status": "READY", "records": records, "total_records": len(records)}
    )


def _remember(query: dict, count: int, settings: dict, enough: bool) -> str:
    batch_id = uuid.uuid4().hex
    with _lock:
        _batches[batch_id] = {
            "filter": query,
            "count": count,
            "variant": settings["variant"],
            "ready_at": time.monotonic() + settings["ready_after"],
            "enough": enough,
            "duplicates": settings["duplicates"],
        }
        while len(_batches) > MAX_BATCHES:
            _batches.popitem(last=False)
    return batch_id


def _values(value) -> list[str]:
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value, key=lambda k: (len(str(k)), str(k)))]
    if not isinstance(value, list):
        value = [value]
    return [str(v) for v in value if v not in (None, "")]


def records_for(query: dict, count: int) -> list[dict]:
    """Deterministic records for a filter: same filter and count, same records."""
    base = faults.seed("reachstream", json.dumps(query, sort_keys=True))
    available = 40 + base % 960
    return [_record(query, base, i) for i in range(min(count, available))]


def _pick(query: dict, key: str, pool: tuple, n: int) -> str:
    chosen = query.get(key) or []
    return chosen[n % len(chosen)] if chosen else pool[n % len(pool)]


def _record(query: dict, base: int, i: int) -> dict:
    s = faults.seed("reachstream", str(base), str(i))
    first, last = FIRST[s % len(FIRST)], LAST[(s >> 8) % len(LAST)]
    city, state, country = PLACES[(s >> 16) % len(PLACES)]
    company = _pick(query, "company_company_name", COMPANIES, s >> 24)
    domain = "".join(c for c in company.lower() if c.isalnum())[:30] + ".example"
    handle = "".join(c for c in f"{first}-{last}".lower() if c.isalnum() or c == "-")
    email = "" if s % 7 == 0 else f"{first.lower()}.{handle.split('-')[-1]}@{domain}"
    return {
        "id": f"rs-{s:016x}",
        "contact_name": f"{first} {last}",
        "contact_first_name": first,
        "contact_last_name": last,
        "contact_email_1": email,
        "contact_social_linkedin": f"https://www.linkedin.com/in/{handle}-{s % 9973}",
        "contact_job_title_1": _pick(query, "job_title", TITLES, s >> 12),
        "contact_job_title_level_1": _pick(
            query, "contact_job_title_level_1", LEVELS, s >> 20
        ),
        "contact_job_dept_name_1": _pick(
            query, "contact_job_dept_name_1", DEPARTMENTS, s >> 28
        ),
        "contact_address_city": _pick(query, "company_address_city", (city,), 0),
        "contact_address_state": _pick(query, "company_address_state", (state,), 0),
        "contact_address_country": _pick(
            query, "company_address_country", (country,), 0
        ),
        "company_company_name": company,
        "company_address_city": city,
        "company_address_country": country,
        "company_industry_categories_list": _pick(
            query, "company_industry_categories_list", INDUSTRIES, s >> 32
        ),
        "company_employee_size": _pick(query, "company_employee_size", SIZES, s >> 36),
        "company_website": f"https://www.{domain}",
    }
