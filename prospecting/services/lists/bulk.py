"""Bulk actions on a selection of the book: add to or remove from a list, tag,
untag, re-verify, sync to Airtable, delete. A small selection is acted on in the
request; a larger one is a `lists_bulk` job on the engine, one batch per chunk."""

from dataclasses import dataclass

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactList
from prospecting.models import Job
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services import webhooks
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.finder import freshness
from prospecting.services.lists import members
from prospecting.services.lists import tags
from prospecting.services.lists.lists import get_list

KIND = "lists_bulk"
CHUNK_KIND = "lists_bulk.chunk"
# Up to this many contacts an action runs in the request; more is a job.
INLINE_LIMIT = 300
ACTIONS = {
    "add": "Add to list",
    "remove": "Remove from list",
    "tag": "Tag",
    "untag": "Untag",
    "reverify": "Re-verify emails",
    "export": "Export",
    "sync": "Sync to Airtable",
    "delete": "Delete",
}
LIST_ACTIONS = ("add", "remove")
TAG_ACTIONS = ("tag", "untag")
# Actions that are a job of their own kind already, whatever the size.
OWN_JOBS = ("reverify", "sync")


@dataclass
class Outcome:
    """What a bulk action did: a count and its sentence, or the job it started."""

    count: int
    message: str
    job: Job | None = None


def check(
    workspace_id: int, action: str, *, list_id: int | None = None, tag=None
) -> dict:
    """The action's arguments, checked (InvalidInput naming the field)."""
    if action not in ACTIONS:
        raise InvalidInput(
            f"action must be one of {', '.join(ACTIONS)}.",
            code="bad_action",
            details={"field": "action"},
        )
    args: dict = {"action": action}
    if action in LIST_ACTIONS:
        if not list_id:
            raise InvalidInput(
                "list_id: choose a list.",
                code="bad_list_id",
                details={"field": "list_id"},
            )
        found = get_list(workspace_id, list_id, field="list_id")
        if found.smart:
            raise InvalidInput(
                "list_id: a smart list follows its filter; choose a static list.",
                code="smart_list",
                details={"field": "list_id"},
            )
        args["list_id"] = found.id
    if action in TAG_ACTIONS:
        args["tag"] = tags.clean_tag(tag)
    return args


def run(
    workspace_id: int,
    user_id: int | None,
    ids: list[int],
    *,
    action: str,
    list_id: int | None = None,
    tag: str | None = None,
) -> Outcome:
    """Do the action on the contacts (ids of the workspace): in the request up to
    INLINE_LIMIT, as a job (committed, not enqueued) beyond it."""
    args = check(workspace_id, action, list_id=list_id, tag=tag)
    if not ids:
        raise InvalidInput(
            "Select at least one contact.",
            code="no_selection",
            details={"field": "ids"},
        )
    if action == "export":
        raise InvalidInput("An export is downloaded, not run.", code="bad_action")
    if action == "reverify":
        return _reverify(workspace_id, user_id, ids)
    if action == "sync":
        job = contacts.start_sync(
            workspace_id, user_id, contact_ids=ids, title=f"Sync {len(ids)} contacts"
        )
        return Outcome(len(ids), f"Syncing {len(ids)} contacts to Airtable.", job)
    if len(ids) > INLINE_LIMIT:
        job = _start(workspace_id, user_id, ids, args)
        return Outcome(len(ids), _sentence(args, len(ids), queued=True), job)
    done = apply(workspace_id, ids, args)
    return Outcome(done, _sentence(args, done))


def _reverify(workspace_id: int, user_id: int | None, ids: list[int]) -> Outcome:
    if freshness.open_job(workspace_id):
        raise Conflict("A re-verification is already running; try when it ends.")
    job = freshness.start(workspace_id, user_id, conditions={}, ids=ids)
    if job is None:
        raise InvalidInput(
            "None of these contacts has an email to verify.", code="nothing_to_verify"
        )
    return Outcome(
        job.progress_total, f"Re-verifying {job.progress_total} emails.", job
    )


def reverify_estimate(workspace_id: int, ids: list[int]):
    """The cost estimate of re-verifying these contacts' emails."""
    return freshness.estimate(workspace_id, conditions={}, ids=ids)


def _sentence(args: dict, count: int, *, queued: bool = False) -> str:
    people = f"{count} contact{'' if count == 1 else 's'}"
    verb = {
        "add": "Adding" if queued else "Added",
        "remove": "Removing" if queued else "Removed",
        "tag": "Tagging" if queued else "Tagged",
        "untag": "Untagging" if queued else "Untagged",
        "delete": "Deleting" if queued else "Deleted",
    }[args["action"]]
    where = {
        "add": " to the list",
        "remove": " from the list",
        "tag": f" “{args.get('tag')}”",
        "untag": f" (tag “{args.get('tag')}”)",
        "delete": " from the book",
    }[args["action"]]
    return f"{verb} {people}{where}." if not queued else f"{verb} {people}{where}…"


def apply(workspace_id: int, ids: list[int], args: dict, *, announce=True) -> int:
    """Do a list, tag or delete action on these contacts now; how many changed."""
    action = args["action"]
    if action == "add":
        return members.add_members(
            workspace_id, args["list_id"], ids, announce=announce
        )
    if action == "remove":
        return members.remove_members(
            workspace_id, args["list_id"], ids, announce=announce
        )
    if action == "tag":
        return tags.tag_contacts(workspace_id, ids, args["tag"])
    if action == "untag":
        return tags.untag_contacts(workspace_id, ids, args["tag"])
    if action == "delete":
        return delete_contacts(workspace_id, ids)
    raise InvalidInput(f"{ACTIONS.get(action, action)} runs as its own job.")


def delete_contacts(workspace_id: int, ids: list[int]) -> int:
    """Remove these contacts from the book (with their emails, phones, links,
    tags and list places); one contact.deleted event per chunk. Committed."""
    deleted = 0
    for part in members.chunks(ids):
        found = db.session.scalars(
            select(Contact).where(
                Contact.workspace_id == workspace_id, Contact.id.in_(part)
            )
        ).all()
        if not found:
            continue
        webhooks.emit(
            workspace_id,
            "contact.deleted",
            {
                "contacts": [
                    {"id": c.id, "name": c.name, "email": c.email, "phone": c.phone}
                    for c in found
                ]
            },
        )
        for contact in found:
            db.session.delete(contact)
        deleted += len(found)
        db.session.commit()
    return deleted


def _start(workspace_id: int, user_id: int | None, ids: list[int], args: dict) -> Job:
    job = jobs.create(
        KIND,
        args,
        [jobs.NewBatch(CHUNK_KIND, {"ids": part}) for part in members.chunks(ids)],
        workspace_id=workspace_id,
        user_id=user_id,
        title=f"{ACTIONS[args['action']]}: {len(ids)} contacts",
        total=len(ids),
    )
    db.session.commit()
    return job


def work(run: jobs.Run) -> jobs.Result:
    """One chunk of a bulk action (a list change is announced once, at the end)."""
    ids = run.batch.params["ids"]
    run.check()
    apply(run.job.workspace_id, ids, run.job.params, announce=False)
    return jobs.Done(success=len(ids))


def job_ended(job: Job) -> None:
    """The engine's job-end hook: a finished bulk list change is announced once,
    with how many contacts it went over."""
    args = job.params or {}
    if job.kind != KIND or args.get("action") not in LIST_ACTIONS:
        return
    if job.status != "completed":
        return
    found = db.session.get(ContactList, args["list_id"])
    if found is not None:
        key = "added" if args["action"] == "add" else "removed"
        members.announce_change(found, **{f"{key}_count": job.success_count})
