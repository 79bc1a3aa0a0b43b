"""lists and tags of the contact book

Revision ID: b8e3f1a6c294
Revises: a7c31e5d9f42
Create Date: 2026-12-07 05:30:00

Static and smart lists of the book, their members, and tags on contacts and
companies. A workspace that already has contacts whose address went bad gets its
built-in "Went bad" smart list.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "b8e3f1a6c294"
down_revision = "a7c31e5d9f42"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "contact_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("filter", JSON, nullable=False),
        sa.Column("builtin", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_contact_lists_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_lists")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_contact_lists_name"),
    )
    with op.batch_alter_table("contact_lists") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_lists_workspace_id"), ["workspace_id"]
        )
    op.create_table(
        "list_members",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["contact_lists.id"],
            name=op.f("fk_list_members_list_id_contact_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_list_members_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "contact_id", name=op.f("pk_list_members")),
    )
    with op.batch_alter_table("list_members") as batch_op:
        batch_op.create_index("ix_list_members_contact_id", ["contact_id"])
    for table, owner, parent in (
        ("contact_tags", "contact_id", "contacts"),
        ("company_tags", "company_id", "companies"),
    ):
        op.create_table(
            table,
            sa.Column(owner, sa.Integer(), nullable=False),
            sa.Column("tag", sa.String(length=60), nullable=False),
            sa.Column("workspace_id", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(
                [owner],
                [f"{parent}.id"],
                name=op.f(f"fk_{table}_{owner}_{parent}"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["workspace_id"],
                ["workspaces.id"],
                name=op.f(f"fk_{table}_workspace_id_workspaces"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(owner, "tag", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(f"ix_{table}_workspace_tag", ["workspace_id", "tag"])
    # The built-in "Went bad" list of every workspace that already has such people.
    postgres = op.get_bind().dialect.name == "postgresql"
    saved = (
        "CAST('{\"went_bad\": true}' AS jsonb)"
        if postgres
        else "'{\"went_bad\": true}'"
    )
    op.execute(
        sa.text(
            "INSERT INTO contact_lists "
            "(workspace_id, name, kind, filter, builtin, created_at, updated_at) "
            f"SELECT DISTINCT workspace_id, 'Went bad', 'smart', {saved}, 'went_bad', "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM contacts WHERE email_bad"
        )
    )


def downgrade():
    op.drop_table("company_tags")
    op.drop_table("contact_tags")
    op.drop_table("list_members")
    op.drop_table("contact_lists")
