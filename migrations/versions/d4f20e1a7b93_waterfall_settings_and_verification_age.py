"""Waterfall: provider order per field, verification freshness, provenance

Revision ID: d4f20e1a7b93
Revises: d21c0a7b3e15
Create Date: 2026-12-07 02:10:00

A workspace's provider order per field and freshness window (enrichment_settings;
no row means the default order and 90 days); each enrichment row records who gave
its values (provenance); each contact keeps its last verification (verdict, when,
provenance) and a flag when its address went bad. Existing contacts have no
verification yet (NULL), which the freshness job treats as due.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "d4f20e1a7b93"
down_revision = "d21c0a7b3e15"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "enrichment_settings",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("provider_order", JSON, nullable=False),
        sa.Column("freshness_days", sa.Integer(), server_default="90", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("workspace_id"),
    )
    with op.batch_alter_table("enrichment_rows") as batch_op:
        batch_op.add_column(sa.Column("provenance", sa.Text(), nullable=True))
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(
            sa.Column("email_verdict", sa.String(length=12), nullable=True)
        )
        batch_op.add_column(
            sa.Column("email_verified_at", sa.DateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "email_bad", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("email_provenance", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("email_provenance")
        batch_op.drop_column("email_bad")
        batch_op.drop_column("email_verified_at")
        batch_op.drop_column("email_verdict")
    with op.batch_alter_table("enrichment_rows") as batch_op:
        batch_op.drop_column("provenance")
    op.drop_table("enrichment_settings")
