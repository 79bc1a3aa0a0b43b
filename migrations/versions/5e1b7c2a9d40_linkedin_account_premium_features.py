"""LinkedIn accounts keep the premium features Unipile reports

Revision ID: 5e1b7c2a9d40
Revises: a7d3e9c1b245
Create Date: 2026-12-07 02:20:00

`premium_features` holds connection_params.im.premiumFeatures of the account
(sales_navigator, recruiter, premium), read when the account is tested; a search
without `search_source` runs on the best of them. Existing accounts keep NULL
(unknown) until their next test.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "5e1b7c2a9d40"
down_revision = "a7d3e9c1b245"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("linkedin_accounts") as batch:
        batch.add_column(
            sa.Column(
                "premium_features",
                sa.JSON().with_variant(
                    postgresql.JSONB(astext_type=sa.Text()), "postgresql"
                ),
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table("linkedin_accounts") as batch:
        batch.drop_column("premium_features")
