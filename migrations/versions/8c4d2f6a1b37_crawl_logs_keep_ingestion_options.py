"""Crawl logs keep the ingestion request's options

Revision ID: 8c4d2f6a1b37
Revises: 5e1b7c2a9d40
Create Date: 2026-12-07 02:25:00

Every crawl log written by /samples/ingest, /creators/ingest and
/outreach_tasks/ingest keeps the request's `options` (platform, crawler
settings) for audit. Existing logs keep NULL: their options were not kept.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "8c4d2f6a1b37"
down_revision = "5e1b7c2a9d40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outreach_crawl_logs") as batch:
        batch.add_column(
            sa.Column(
                "options",
                sa.JSON().with_variant(
                    postgresql.JSONB(astext_type=sa.Text()), "postgresql"
                ),
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table("outreach_crawl_logs") as batch:
        batch.drop_column("options")
