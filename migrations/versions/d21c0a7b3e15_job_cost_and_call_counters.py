"""Jobs: cost, call and cache-hit counters on the job row

Revision ID: d21c0a7b3e15
Revises: b17a4c0d5e61
Create Date: 2026-12-07 02:10:00

The counters are kept as a job's call log and cache hits are written; existing
jobs get theirs summed from those tables once, here.
"""

import sqlalchemy as sa
from alembic import op

revision = "d21c0a7b3e15"
down_revision = "b17a4c0d5e61"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(
            sa.Column(
                "cost",
                sa.Numeric(precision=14, scale=6),
                server_default="0",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("call_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "cache_hit_count", sa.Integer(), server_default="0", nullable=False
            )
        )
    op.execute(
        """
        UPDATE jobs SET
            cost = COALESCE((SELECT SUM(c.cost) FROM provider_calls c
                             WHERE c.job_id = jobs.id), 0),
            call_count = (SELECT COUNT(*) FROM provider_calls c
                          WHERE c.job_id = jobs.id),
            cache_hit_count = (SELECT COUNT(*) FROM cache_hits h
                               WHERE h.job_id = jobs.id)
        """
    )


def downgrade():
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("cache_hit_count")
        batch_op.drop_column("call_count")
        batch_op.drop_column("cost")
