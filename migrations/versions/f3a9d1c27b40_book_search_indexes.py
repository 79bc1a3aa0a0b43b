"""book search indexes: trigram (PostgreSQL) and created_at

Revision ID: f3a9d1c27b40
Revises: e18b0c4a2f71
Create Date: 2026-12-07 05:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f3a9d1c27b40"
down_revision = "e18b0c4a2f71"
branch_labels = None
depends_on = None

# (index, table, column): substring search of the book, PostgreSQL only.
TRIGRAM = (
    ("ix_contacts_name_trgm", "contacts", "name"),
    ("ix_contacts_email_trgm", "contacts", "email"),
    ("ix_contacts_phone_trgm", "contacts", "phone"),
    ("ix_contact_emails_email_trgm", "contact_emails", "email"),
    ("ix_companies_name_trgm", "companies", "name"),
)


def upgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contacts_workspace_created", ["workspace_id", "created_at"]
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM:
        op.create_index(
            name,
            table,
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _ in TRIGRAM:
            op.drop_index(name, table_name=table)
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_workspace_created")
