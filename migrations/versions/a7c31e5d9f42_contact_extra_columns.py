"""contacts keep the unmapped columns of the file they came from

Revision ID: a7c31e5d9f42
Revises: f3a9c1d7e2b4
Create Date: 2026-12-07 05:20:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "a7c31e5d9f42"
down_revision = "f3a9c1d7e2b4"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extra", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("extra")
