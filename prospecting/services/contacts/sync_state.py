"""The sync state of companies and contacts (pending, synced, failed): the SQL
condition for each state, the pages that list them and the stats by company."""

from dataclasses import dataclass

from sqlalchemy import case
from sqlalchemy import exists
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
    """The first page of `stats_page`."""
    return stats_page(workspace_id)[0]


def stats_page(
    workspace_id: int, *, page: int = 1, per_page: int = 50
) -> tuple[list[CompanyStats], bool]:
    """Per company with contacts, a page in name order: contacts in total, synced,
    pending and failed (first page: also those without a company), and whether
    more pages follow. Only the page's companies are counted, through the index
    on the contacts' company, so a page costs the same at any size of book."""
    has_contacts = exists().where(Contact.company_id == Company.id)
    companies = db.session.execute(
        select(Company.id, Company.name)
        .where(Company.workspace_id == workspace_id, has_contacts)
        .order_by(Company.name, Company.id)
        .offset((max(1, page) - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    more = len(companies) > per_page
    companies = companies[:per_page]
    counts = {
        cid: row
        for cid, *row in db.session.execute(
            _counts()
            .where(Contact.company_id.in_([c.id for c in companies]))
            .group_by(Contact.company_id)
        )
    }
    rows = [
        CompanyStats(cid, name, *_numbers(counts.get(cid))) for cid, name in companies
    ]
    if page <= 1:
        alone = db.session.execute(
            _counts()
            .where(Contact.workspace_id == workspace_id, Contact.company_id.is_(None))
            .group_by(Contact.company_id)
        ).first()
        if alone is not None:
            rows.insert(0, CompanyStats(None, "No company", *_numbers(alone[1:])))
    return rows, more


def _counts():
    def count_of(state):
        return func.sum(case((sync_filter(Contact, state), 1), else_=0))

    return select(
        Contact.company_id,
        func.count(Contact.id),
        count_of("synced"),
        count_of("pending"),
        count_of("failed"),
    )


def _numbers(row) -> tuple[int, int, int, int]:
    return tuple(n or 0 for n in row) if row else (0, 0, 0, 0)
