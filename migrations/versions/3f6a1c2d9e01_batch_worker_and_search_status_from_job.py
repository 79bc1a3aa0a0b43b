"""Batches record their worker; people searches read their status from their job.

Revision ID: 3f6a1c2d9e01
Revises: 5e1f0c2a9d47
Create Date: 2026-12-06 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f6a1c2d9e01"
down_revision = "5e1f0c2a9d47"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job_batches") as batch_op:
        batch_op.add_column(sa.Column("worker", sa.String(length=255), nullable=True))
    # The job has carried a search's status, error and end all along (the search
    # copied them); keep the job's error where only the search had one.
    op.execute(
        """
        UPDATE jobs SET error_message = (
            SELECT people_searches.error_message FROM people_searches
            WHERE people_searches.id = jobs.id
        )
        WHERE jobs.error_message IS NULL AND jobs.kind = 'people_search'
          AND jobs.status IN ('failed', 'cancelled')
        """
    )
    with op.batch_alter_table("people_searches") as batch_op:
        batch_op.drop_index("ix_people_searches_status")
        batch_op.drop_column("status")
        batch_op.drop_column("error_count")
        batch_op.drop_column("error_message")
        batch_op.drop_column("completed_at")


def downgrade():
    with op.batch_alter_table("people_searches") as batch_op:
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("error_message", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("error_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "status", sa.String(length=12), nullable=False, server_default="PENDING"
            )
        )
        batch_op.create_index("ix_people_searches_status", ["status"])
    op.execute(
        """
        UPDATE people_searches SET
          status = COALESCE((SELECT CASE jobs.status
              WHEN 'completed' THEN 'COMPLETED'
              WHEN 'failed' THEN 'FAILED' WHEN 'cancelled' THEN 'FAILED'
              WHEN 'queued' THEN 'PENDING'
              ELSE 'PROCESSING' END FROM jobs WHERE jobs.id = people_searches.id),
            'PENDING'),
          error_message = (SELECT jobs.error_message FROM jobs
                           WHERE jobs.id = people_searches.id),
          completed_at = (SELECT jobs.completed_at FROM jobs
                          WHERE jobs.id = people_searches.id)
        """
    )
    with op.batch_alter_table("job_batches") as batch_op:
        batch_op.drop_column("worker")
