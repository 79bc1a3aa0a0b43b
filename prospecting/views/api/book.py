"""JSON API of the contact book: contacts (list, add, read, edit, delete),
companies, and "Add to contacts" as a job. Same token auth, error envelope and
pagination as the job results API."""

import math

from flask import jsonify
from flask import request

from prospecting import tasks
from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.security import parse_json
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services import lists
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.views.api import bp
from prospecting.views.api import iso
from prospecting.views.responses import created

API_STATUS = {"queued": "pending", "running": "processing"}
EDITABLE = ("name", "email", "phone", "title", "location", "company_id", "tags")
TEXT_FIELDS = ("name", "email", "phone", "title", "location", "linkedin_url")


# Reading


def contact_body(contact) -> dict:
    """A contact with its emails (and verdicts), phones, companies and sources."""
    roles = {link.company_id: link for link in contact.links}
    companies = [
        {
            "id": link.company_id,
            "name": link.company.name,
            "domain": link.company.domain,
            "role": link.role,
            "primary": link.company_id == contact.company_id,
        }
        for link in contact.links
    ]
    if contact.company_id and contact.company_id not in roles and contact.company:
        companies.insert(
            0,
            {
                "id": contact.company.id,
                "name": contact.company.name,
                "domain": contact.company.domain,
                "role": contact.title,
                "primary": True,
            },
        )
    return {
        "id": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "title": contact.title,
        "location": contact.location,
        "linkedin_url": contact.linkedin_url,
        "extra": dict(contact.extra or {}),
        "emails": [
            {
                "email": e.email,
                "verdict": e.verdict,
                "flags": list(e.flags or []),
                "verified_at": iso(e.verified_at),
                "primary": e.is_primary,
                "source": e.source,
            }
            for e in contact.emails
        ],
        "phones": [
            {"phone": p.phone, "primary": p.is_primary, "source": p.source}
            for p in contact.phones
        ],
        "companies": companies,
        "sources": [
            {"source": s.source, "ref": s.ref or None, "added_at": iso(s.created_at)}
            for s in contact.sources
        ],
        "sync_state": contact.sync_state,
        "locked_fields": list(contact.locked_fields or []),
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


def _pagination(page: int, per_page: int, total: int) -> dict:
    pages = math.ceil(total / per_page) if total else 0
    return {
        "page": page,
        "per_page": per_page,
        "total": total,
        "total_pages": pages,
        "has_more": page < pages,
    }


def _whole(name: str, default: int | None = None, *, raw=None) -> int | None:
    raw = request.args.get(name) if raw is None else raw
    if raw is None or raw == "":
        return default
    # isdigit() alone lets "²" through to int(); nine digits keep OFFSET in range.
    if not (str(raw).isascii() and str(raw).isdigit()) or len(str(raw)) > 9:
        raise InvalidInput(f"{name} must be a whole number.", code=f"bad_{name}")
    return int(raw)


def _page_args() -> tuple[int, int]:
    page, per_page = _whole("page", 1), _whole("per_page", 50)
    if page < 1 or not 1 <= per_page <= 500:
        raise InvalidInput(
            "page must be ≥ 1 and per_page between 1 and 500.", code="bad_page"
        )
    return page, per_page


def _id(raw: str, what: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise NotFound(f"No such {what}.")
    return int(raw)


@bp.get("/api/v1/contacts")
@token_required
def list_contacts():
    """A page of the contact book, filtered and sorted."""
    page, per_page = _page_args()
    where = contacts.ContactFilter.from_args(request.args)
    rows, total = contacts.list_contacts(
        workspace_id(), where, page=page, per_page=per_page
    )
    return jsonify(
        {
            "results": [contact_body(c) for c in rows],
            "pagination": _pagination(page, per_page, total),
        }
    )


@bp.get("/api/v1/contacts/<contact_id>")
@token_required
def show_contact(contact_id: str):
    """One contact."""
    contact = contacts.get_contact(workspace_id(), _id(contact_id, "contact"))
    return jsonify(contact_body(contact) | {"tags": lists.contact_tags(contact.id)})


@bp.get("/api/v1/companies")
@token_required
def list_companies():
    """A page of the workspace's companies with their contact counts."""
    page, per_page = _page_args()
    rows, total = contacts.page_companies(
        workspace_id(), q=request.args.get("q") or None, page=page, per_page=per_page
    )
    return jsonify(
        {
            "results": [_company_body(c) | {"contact_count": n} for c, n in rows],
            "pagination": _pagination(page, per_page, total),
        }
    )


def _company_body(company) -> dict:
    return {
        "id": company.id,
        "name": company.name,
        "domain": company.domain,
        "registration_number": company.registration_number,
        "created_at": iso(company.created_at),
    }


@bp.get("/api/v1/companies/<company_id>")
@token_required
def show_company(company_id: str):
    """One company with its contacts and their roles there."""
    company = contacts.get_company(workspace_id(), _id(company_id, "company"))
    people = contacts.company_contacts(company)
    return jsonify(
        _company_body(company)
        | {
            "contacts": [
                {"id": c.id, "name": c.name, "email": c.email, "phone": c.phone}
                | {"role": role}
                for c, role in people
            ]
        }
    )


# Writing


def _body() -> dict:
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise InvalidInput("Send a JSON object.", code="invalid_json")
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object.", code="invalid_json")
    return body


def _text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string.", code=f"bad_{name}")
    return value


def _flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false.", code=f"bad_{name}")
    return value


def _row_ids(body: dict) -> list[int] | None:
    """The rows of the job to take (row numbers of enrichment results, ids of
    profiles or prospects), or None for all of them."""
    value = body.get("row_ids")
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not value
        or len(value) > 100_000
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise InvalidInput(
            "row_ids must be a list of 1 to 100000 row ids.",
            code="bad_row_ids",
            details={"field": "row_ids"},
        )
    return value


def _company_id(body: dict) -> int | None:
    value = body.get("company_id")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput("company_id must be a company's id.", code="bad_company_id")
    return value


@bp.post("/api/v1/contacts")
@token_required
def create_contact():
    """Add one person through the quality gate (or merge them into their contact)."""
    body = _body()
    values = {name: _text(body, name) for name in TEXT_FIELDS}
    contact, item = contacts.add_contact(
        workspace_id(),
        **{k: v for k, v in values.items() if v is not None},
        company_id=_company_id(body),
        keep_undeliverable=_flag(body, "keep_undeliverable"),
    )
    answer = contact_body(contact) | {"outcome": item.status}
    return jsonify(answer), 201 if item.status == "created" else 200


@bp.patch("/api/v1/contacts/<contact_id>")
@token_required
def update_contact(contact_id: str):
    """Change some of a contact's fields (null clears one; email and phone keep
    the book unique and the contact reachable)."""
    ws = workspace_id()
    contact = contacts.get_contact(ws, _id(contact_id, "contact"))
    body = _body()
    unknown = sorted(set(body) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} cannot be changed here (use {', '.join(EDITABLE)}).",
            code="bad_field",
        )
    values = {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "title": contact.title,
        "location": contact.location,
        "company_id": contact.company_id,
    }
    tags = lists.clean_tags(body["tags"]) if "tags" in body else None
    for name in EDITABLE[:-1]:
        if name in body:
            values[name] = (
                _company_id(body) if name == "company_id" else _text(body, name)
            )
    values["name"] = values["name"] or ""
    contact = contacts.update_contact(ws, contact.id, **values)
    if tags is not None:
        lists.set_contact_tags(ws, contact.id, tags)
    return jsonify(contact_body(contact) | {"tags": lists.contact_tags(contact.id)})


@bp.delete("/api/v1/contacts/<contact_id>")
@token_required
def delete_contact(contact_id: str):
    """Remove a contact from the book."""
    contacts.delete_contact(workspace_id(), _id(contact_id, "contact"))
    return "", 204


@bp.post("/api/v1/contacts/import")
@token_required
def import_contacts():
    """Add a job's people to the book through the gate, as a job (202)."""
    body = _body()
    source = body.get("source")
    if source not in ("enrichment", "people_search", "prospects"):
        raise InvalidInput(
            "source must be one of enrichment, people_search, prospects.",
            code="bad_source",
        )
    job_id = body.get("job_id")
    if not isinstance(job_id, str) or not job_id.strip() or len(job_id) > 64:
        raise InvalidInput("job_id must be the id of a job.", code="bad_job_id")
    options = {
        "include_risky": _flag(body, "include_risky"),
        "update_strategy": body.get("update_strategy"),
        "row_ids": _row_ids(body),
    }
    list_id = body.get("list_id")
    if list_id is None:
        job = contacts.start_import(workspace_id(), None, source, job_id, **options)
    else:
        if not isinstance(list_id, int) or isinstance(list_id, bool):
            raise InvalidInput("list_id must be a list's id.", code="bad_list_id")
        job = lists.start_import_to_list(
            workspace_id(), None, source, job_id, list_id, **options
        )
    sent = tasks.enqueue_batches(jobs.open_batches(job.id))
    db_job = jobs.get(workspace_id(), job.id)
    return created(_import_body(db_job), 202, sent=sent)


@bp.get("/api/v1/contacts/import/<job_id>")
@token_required
def import_status(job_id: str):
    """How an import stands: entered, merged, kept out by each rule."""
    job = jobs.get(workspace_id(), job_id, kind=contacts.KIND_IMPORT)
    return jsonify(_import_body(job))


def _import_body(job) -> dict:
    summary = contacts.import_summary(job)
    return {
        "job_id": job.id,
        "status": API_STATUS.get(job.status, job.status),
        "source": job.params.get("source"),
        "source_job_id": job.params.get("source_job_id"),
        "include_risky": bool(job.params.get("include_risky")),
        "update_strategy": job.params.get("update_strategy") or "fill",
        "total_count": job.progress_total,
        "processed_count": job.progress_current,
        "entered": summary["entered"],
        "merged": summary["merged"],
        "kept_out": summary["kept_out"],
        "kept_out_by_rule": summary["rules"],
        "error_message": job.error_message,
        "completed_at": iso(job.completed_at),
    }
