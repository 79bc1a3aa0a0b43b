"""The sync state of companies and contacts (pending, synced, failed): the SQL
condition for each state, the pages that list them and the stats by company."""

from dataclasses import dataclass

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact

SYNC_STATES = ("pending", "synced", "failed")


def sync_filter(model, state: str):
    """The SQL condition for a sync state: pending, synced or failed."""
    if state == "failed":
        return model.sync_failed
    pending = model.synced_at.is_(None) | (model.updated_at > model.synced_at)
    if state == "pending":
        return ~model.sync_failed & pending
    return ~model.sync_failed & ~pending


def contacts_in_state(
    workspace_id: int, state: str, *, page: int = 1, per_page: int = 50
) -> tuple[list[Contact], int]:
    """A page of contacts in a sync state (pending, synced, failed) and the total."""
    stmt = select(Contact).where(
        Contact.workspace_id == workspace_id, sync_filter(Contact, state)
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Contact.updated_at.desc(), Contact.id)
        .offset((max(1, page) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total or 0


def companies_in_state(workspace_id: int, state: str) -> list[Company]:
    return list(
        db.session.scalars(
            select(Company)
            .where(Company.workspace_id == workspace_id, sync_filter(Company, state))
            .order_by(Company.name)
        )
    )


@dataclass
class CompanyStats:
    company_id: int | None
    name: str
    total: int
    synced: int
    pending: int
    failed: int


def stats_by_company(workspace_id: int) -> list[CompanyStats]:
    """Per company: contacts in total, synced, pending and failed."""

    def count_of(state):
        return func.sum(case((sync_filter(Contact, state), 1), else_=0))

    rows = db.session.execute(
        select(
            Contact.company_id,
            Company.name,
            func.count(Contact.id),
            count_of("synced"),
            count_of("pending"),
            count_of("failed"),
        )
        .outerjoin(Company, Contact.company_id == Company.id)
        .where(Contact.workspace_id == workspace_id)
        .group_by(Contact.company_id, Company.name)
        .order_by(Company.name)
    ).all()
    return [
        CompanyStats(cid, name or "No company", total, s or 0, p or 0, f or 0)
        for cid, name, total, s, p, f in rows
    ]
