"""The demo's mix for the email finder, the waterfall and freshness, over the
sandbox's mail world (sandbox/mailboxes.py): companies whose verified contacts
show their pattern, people without an email, a catch-all company, a stale
verification whose address went bad, and a CSV that falls through providers."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models.base import utcnow
from prospecting.services.finder.settings import save_settings

# The demo workspace asks every provider, so the fall-through shows.
WATERFALL = {
    "email_finding": ["patterns", "hunter"],
    "email_verification": ["reacher", "hunter"],
    "company": ["apollo", "pdl"],
}

COMPANIES = {
    "Northwind": "northwind.io",  # flast: the book shows it
    "Globex": "globex.com",  # first.last
    "Umbrella": "umbrella.co",  # f.last, eighth in the usual order
    "Pied Piper": "piedpiper.com",  # first_last
    "Wonka": "wonka.com",  # catch-all: risky, one check
}
# (name, company, email or None, verdict, days since verified)
PEOPLE = (
    ("Jane Doe", "Northwind", "jdoe@northwind.io", "valid", 10),
    ("Bob Stone", "Northwind", "bstone@northwind.io", "valid", 12),
    ("Gone Away", "Northwind", "gone.away@northwind.io", "valid", 200),
    ("Mary Major", "Globex", "mary.major@globex.com", "unknown", 3),
    ("John Smith", "Northwind", None, None, None),
    ("Alice Wong", "Umbrella", None, None, None),
    ("Tony Stark", "Pied Piper", None, None, None),
    ("Emma Frost", "Wonka", None, None, None),
)
CSV = (
    "Name,Email,Company,Phone,Website\n"
    "Known Person,unknown.person@example-co.com,,,\n"
    "Laura Palmer,,Globex,,globex.com\n"
    "Dan Brown,,Northwind,,northwind.io\n"
    "Grace Hopper,grace@nowhere-labs.com,Nowhere Labs,,\n"
    "Priya Raman,priya.raman@unknown-corp.com,,,\n"
)


def seed(workspace_id: int, folder: Path) -> Path:
    """Add the demo's companies and people (idempotent); write the demo CSV."""
    companies = {}
    for name, domain in COMPANIES.items():
        company = db.session.scalar(
            select(Company).where(
                Company.workspace_id == workspace_id, Company.domain == domain
            )
        )
        if company is None:
            company = Company(workspace_id=workspace_id, name=name, domain=domain)
            db.session.add(company)
            db.session.flush()
        companies[name] = company
    for name, company, email, verdict, days in PEOPLE:
        exists = db.session.scalar(
            select(Contact.id).where(
                Contact.workspace_id == workspace_id, Contact.name == name
            )
        )
        if exists:
            continue
        db.session.add(
            Contact(
                workspace_id=workspace_id,
                name=name,
                email=email,
                company_id=companies[company].id,
                email_verdict=verdict,
                email_verified_at=None if days is None
                else utcnow() - timedelta(days=days),
                source="demo",
            )
        )  # fmt: skip
    db.session.commit()
    save_settings(workspace_id, WATERFALL)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "finder-waterfall-demo.csv"
    path.write_text(CSV)
    return path
