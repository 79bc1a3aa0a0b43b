"""Deleting a workspace with every row and file that belongs to it."""

import logging
from pathlib import Path

from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Upload
from prospecting.models import Workspace
from prospecting.services import csvfiles
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

logger = logging.getLogger(__name__)


def owned_rows(table: Table, workspace_id: int, scopes: dict):
    """The WHERE clause selecting a table's rows of the workspace, or None when the
    table holds no workspace's data. A row belongs to a workspace by its
    workspace_id, by its job (job_id, with or without a foreign key: enrichment
    rows and the call log carry none), or by a foreign key to a row that does."""
    if table.name == "workspaces":
        return table.c.id == workspace_id
    if "workspace_id" in table.c:
        return table.c.workspace_id == workspace_id
    jobs = db.metadata.tables["jobs"]
    if "job_id" in table.c:
        return table.c.job_id.in_(
            select(jobs.c.id).where(jobs.c.workspace_id == workspace_id)
        )
    for fk in table.foreign_keys:
        parent = fk.column.table
        if parent.name != "workspaces" and scopes.get(parent.name) is not None:
            return fk.parent.in_(select(fk.column).where(scopes[parent.name]))
    return None


def workspace_scopes(workspace_id: int) -> dict:
    """Each table's clause for the workspace's rows (None: not workspace data)."""
    scopes: dict = {}
    for table in db.metadata.sorted_tables:  # parents before children
        scopes[table.name] = owned_rows(table, workspace_id, scopes)
    return scopes


def deletion_order() -> list[Table]:
    """Children before parents; the jobs (and the workspace) last, since rows that
    name their job without a foreign key are found through the jobs table."""
    last = [db.metadata.tables["jobs"], db.metadata.tables["workspaces"]]
    tables = [t for t in reversed(db.metadata.sorted_tables) if t not in last]
    return tables + last


def delete_workspace(workspace_id: int, *, confirm_name: str) -> str:
    """Delete a workspace and all its data (members, invitations, tokens, jobs,
    uploads and their files, contacts, searches, outreach, settings), once its
    name is typed again. Returns the name."""
    workspace = db.session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("No such workspace.")
    if (confirm_name or "").strip() != workspace.name:
        raise InvalidInput(
            f"Type the workspace's name, {workspace.name}, to delete it.",
            code="confirm_name",
        )
    name = workspace.name
    files = list(
        db.session.scalars(
            select(Upload.stored_path).where(Upload.workspace_id == workspace_id)
        )
    )
    scopes = workspace_scopes(workspace_id)
    db.session.expunge_all()
    for table in deletion_order():
        where = scopes[table.name]
        if where is not None:
            db.session.execute(delete(table).where(where))
    db.session.commit()
    for path in files:
        try:
            for converted in csvfiles.converted_paths(path):  # a workbook's sheets
                converted.unlink(missing_ok=True)
            Path(path).unlink(missing_ok=True)
        except OSError as exc:  # the rows are gone; a stray file is only logged
            logger.warning("could not remove upload %s: %s", path, exc)
    return name
