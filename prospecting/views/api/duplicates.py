"""JSON API of duplicates in the book: the candidate groups and merging them
(a dry run answers the preview). Same token auth, error envelope and pagination
as the rest of the contact book's API."""

from datetime import timedelta

from flask import jsonify

from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.services.contacts import duplicates
from prospecting.services.contacts import merge
from prospecting.services.errors import InvalidInput
from prospecting.views.api import bp
from prospecting.views.api import iso
from prospecting.views.api.book import _body
from prospecting.views.api.book import _flag
from prospecting.views.api.book import _page_args
from prospecting.views.api.book import _pagination


@bp.get("/api/v1/duplicates")
@token_required
def list_duplicates():
    """A page of the groups of candidate duplicates, strong matches first."""
    page, per_page = _page_args()
    shown, total = duplicates.find_groups(workspace_id(), page=page, per_page=per_page)
    return jsonify(
        {
            "results": [
                {
                    "contact_ids": group.ids,
                    "rules": group.rules,
                    "strong": group.strong,
                    "contacts": [
                        {
                            "id": c.id,
                            "name": c.name,
                            "email": c.email,
                            "phone": c.phone,
                            "company_id": c.company_id,
                            "created_at": iso(c.created_at),
                        }
                        for c in group.contacts
                    ],
                }
                for group in shown
            ],
            "pagination": _pagination(page, per_page, total),
        }
    )


@bp.post("/api/v1/contacts/merge")
@token_required
def merge_contacts():
    """Merge `loser_ids` into `winner_id`; with `dry_run` only the preview."""
    body = _body()
    unknown = sorted(set(body) - {"winner_id", "loser_ids", "dry_run"})
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a merge field (use winner_id, loser_ids, dry_run).",
            code="bad_field",
        )
    if "winner_id" not in body:
        raise InvalidInput("winner_id is required.", code="bad_winner_id")
    dry_run = _flag(body, "dry_run")
    plan, record = merge.merge(
        workspace_id(), body.get("winner_id"), body.get("loser_ids"), dry_run=dry_run
    )
    answer = {"dry_run": dry_run, "preview": plan, "merge_id": None}
    if record is not None:
        answer["merge_id"] = record.id
        answer["undo_until"] = iso(record.created_at + timedelta(days=merge.UNDO_DAYS))
    return jsonify(answer)
