"""The contact book keeps every email (with its verdict), phone, company link and
source of a contact; companies de-duplicated by normalised name

Revision ID: b17a4c0d5e61
Revises: 8c4d2f6a1b37
Create Date: 2026-12-07 02:20:00

Existing data: each contact's email, phone, company and source become its first
(primary) rows in the new tables, its LinkedIn URL its `linkedin_key` (a second
contact with the same profile keeps its URL without the key). Companies get their
`name_key`; companies of a workspace with the same key whose domains and
registration numbers do not disagree are merged into the oldest one, which takes
the others' missing domain, registration number and Airtable record; their
contacts move to it, so every link is kept.
"""

import re
import unicodedata
from urllib.parse import unquote
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "b17a4c0d5e61"
down_revision = "8c4d2f6a1b37"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# Copies of normalise.company_name_key and linkedin_key as they were written,
# so this migration keeps its meaning when the code changes.
LEGAL_SUFFIXES = frozenset(
    "inc incorporated ltd limited llc llp lp plc corp corporation co company "
    "pvt private pte pty gmbh kg ag sa sas sarl srl spa bv nv oy ab as aps kk "
    "ohg ug se".split()
)
ABBREVIATIONS = {
    "ent": "enterprises",
    "entp": "enterprises",
    "intl": "international",
    "mfg": "manufacturing",
    "svcs": "services",
    "assoc": "associates",
    "bros": "brothers",
    "natl": "national",
}
LINKEDIN_PATH = re.compile(r"^/(in|pub|company|sales/lead|sales/people)/([^/?#]+)")


def name_key(value):
    text = unicodedata.normalize("NFKD", value or "")
    text = text.encode("ascii", "ignore").decode().lower().replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", text.replace(".", ""))
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[-1] == "and":
        words.pop()
    key = "".join(ABBREVIATIONS.get(w, w) for w in words)
    return key[:255] or None


def linkedin_key(value):
    raw = (value or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw if "//" in raw else f"//{raw}")
    host = (parts.hostname or "").lower()
    if not (host == "linkedin.com" or host.endswith(".linkedin.com")):
        return None
    match = LINKEDIN_PATH.match(parts.path)
    if not match:
        return None
    slug = unquote(match.group(2)).strip().lower()
    return f"linkedin.com/{match.group(1)}/{slug}"[:255] if slug else None


def upgrade():
    with op.batch_alter_table("companies") as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=255), nullable=True))
        batch_op.create_index(
            "ix_companies_workspace_name_key", ["workspace_id", "name_key"], unique=False
        )
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(
            sa.Column("linkedin_key", sa.String(length=255), nullable=True)
        )
        batch_op.create_index(
            "uq_contacts_workspace_linkedin",
            ["workspace_id", "linkedin_key"],
            unique=True,
            sqlite_where=sa.text("linkedin_key IS NOT NULL"),
            postgresql_where=sa.text("linkedin_key IS NOT NULL"),
        )
    op.create_table(
        "contact_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("verdict", sa.String(length=12), nullable=True),
        sa.Column("flags", JSON, nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_emails") as batch_op:
        batch_op.create_index(
            "ix_contact_emails_contact_id", ["contact_id"], unique=False
        )
        batch_op.create_index(
            "uq_contact_emails_workspace_email", ["workspace_id", "email"], unique=True
        )
    op.create_table(
        "contact_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_phones") as batch_op:
        batch_op.create_index(
            "ix_contact_phones_contact_id", ["contact_id"], unique=False
        )
        batch_op.create_index(
            "uq_contact_phones_workspace_phone", ["workspace_id", "phone"], unique=True
        )
    op.create_table(
        "contact_companies",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contact_id", "company_id"),
    )
    with op.batch_alter_table("contact_companies") as batch_op:
        batch_op.create_index(
            "ix_contact_companies_company_id", ["company_id"], unique=False
        )
    op.create_table(
        "contact_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_sources") as batch_op:
        batch_op.create_index(
            "uq_contact_sources", ["contact_id", "source", "ref"], unique=True
        )
    _merge_companies()
    _backfill_contacts()


def _merge_companies():
    conn = op.get_bind()
    companies = sa.table(
        "companies",
        sa.column("id", sa.Integer()),
        sa.column("workspace_id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("domain", sa.String()),
        sa.column("registration_number", sa.String()),
        sa.column("crm_record_id", sa.String()),
    )
    contacts = sa.table(
        "contacts", sa.column("company_id", sa.Integer()), sa.column("id", sa.Integer())
    )
    rows = conn.execute(
        sa.select(
            companies.c.id,
            companies.c.workspace_id,
            companies.c.name,
            companies.c.domain,
            companies.c.registration_number,
            companies.c.crm_record_id,
        ).order_by(companies.c.id)
    ).all()
    survivors: dict[tuple, list[dict]] = {}
    for row in rows:
        key = name_key(row.name)
        conn.execute(
            companies.update().where(companies.c.id == row.id).values(name_key=key)
        )
        if key is None:
            continue
        this = dict(row._mapping)
        group = survivors.setdefault((row.workspace_id, key), [])
        into = next((s for s in group if _agrees(s, this)), None)
        if into is None:
            group.append(this)
            continue
        conn.execute(
            contacts.update()
            .where(contacts.c.company_id == row.id)
            .values(company_id=into["id"])
        )
        conn.execute(companies.delete().where(companies.c.id == row.id))
        fill = {
            k: this[k]
            for k in ("domain", "registration_number", "crm_record_id")
            if this[k] and not into[k]
        }
        if fill:
            into.update(fill)
            conn.execute(
                companies.update().where(companies.c.id == into["id"]).values(**fill)
            )


def _agrees(a: dict, b: dict) -> bool:
    return all(
        not (a[k] and b[k] and a[k] != b[k]) for k in ("domain", "registration_number")
    )


def _backfill_contacts():
    conn = op.get_bind()
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Integer()),
        sa.column("workspace_id", sa.Integer()),
        sa.column("company_id", sa.Integer()),
        sa.column("email", sa.String()),
        sa.column("phone", sa.String()),
        sa.column("title", sa.String()),
        sa.column("linkedin_url", sa.String()),
        sa.column("linkedin_key", sa.String()),
        sa.column("source", sa.String()),
        sa.column("created_at", sa.DateTime()),
    )
    emails = sa.table(
        "contact_emails",
        *(sa.column(c) for c in ("workspace_id", "contact_id", "email", "is_primary")),
        *(sa.column(c) for c in ("source", "created_at")),
        sa.column("flags", JSON),
    )
    phones = sa.table(
        "contact_phones",
        *(sa.column(c) for c in ("workspace_id", "contact_id", "phone", "is_primary")),
        *(sa.column(c) for c in ("source", "created_at")),
    )
    links = sa.table(
        "contact_companies",
        *(sa.column(c) for c in ("contact_id", "company_id", "role", "created_at")),
    )
    sources = sa.table(
        "contact_sources",
        *(sa.column(c) for c in ("contact_id", "source", "ref", "created_at")),
    )
    seen_profiles = set()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(contacts)
            .where(contacts.c.id > last)
            .order_by(contacts.c.id)
            .limit(1000)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        e, p, li, s = [], [], [], []
        for r in rows:
            base = {"contact_id": r.id, "created_at": r.created_at}
            if r.email:
                e.append(
                    {
                        **base,
                        "workspace_id": r.workspace_id,
                        "email": r.email,
                        "is_primary": True,
                        "source": r.source,
                        "flags": [],
                    }
                )
            if r.phone:
                p.append(
                    {
                        **base,
                        "workspace_id": r.workspace_id,
                        "phone": r.phone,
                        "is_primary": True,
                        "source": r.source,
                    }
                )
            if r.company_id:
                li.append({**base, "company_id": r.company_id, "role": r.title})
            s.append({**base, "source": r.source or "manual", "ref": ""})
            key = linkedin_key(r.linkedin_url)
            if key and (r.workspace_id, key) not in seen_profiles:
                seen_profiles.add((r.workspace_id, key))
                conn.execute(
                    contacts.update()
                    .where(contacts.c.id == r.id)
                    .values(linkedin_key=key)
                )
        for table, values in ((emails, e), (phones, p), (links, li), (sources, s)):
            if values:
                conn.execute(table.insert(), values)


def downgrade():
    op.drop_table("contact_sources")
    op.drop_table("contact_companies")
    op.drop_table("contact_phones")
    op.drop_table("contact_emails")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_index("uq_contacts_workspace_linkedin")
        batch_op.drop_column("linkedin_key")
    with op.batch_alter_table("companies") as batch_op:
        batch_op.drop_index("ix_companies_workspace_name_key")
        batch_op.drop_column("name_key")
