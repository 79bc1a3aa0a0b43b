"""Teams: invitations, and a role on every API token

Revision ID: a7d3e9c1b245
Revises: 3f6a1c2d9e01
Create Date: 2026-12-08 10:00:00

Existing tokens become member tokens, which may do what every token could do
before (no JSON API call needed more). A membership whose role is not one of
viewer / member / admin / owner (none is written by the code) becomes member.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7d3e9c1b245"
down_revision = "3f6a1c2d9e01"
branch_labels = None
depends_on = None

ROLES = ("viewer", "member", "admin", "owner")


def upgrade():
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["invited_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitations_workspace_id"), ["workspace_id"], unique=False
        )
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(
            sa.Column(
                "role", sa.String(length=20), server_default="member", nullable=False
            )
        )
    memberships = sa.table("memberships", sa.column("role", sa.String()))
    op.execute(
        memberships.update()
        .where(sa.or_(memberships.c.role.is_(None), memberships.c.role.not_in(ROLES)))
        .values(role="member")
    )


def downgrade():
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("role")
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_workspace_id"))
    op.drop_table("invitations")
