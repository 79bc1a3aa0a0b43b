"""Users: session generation and operator flag

Revision ID: 5e1f0c2a9d47
Revises: 9b07ae96030b
Create Date: 2026-12-03 10:00:00.000000

Every existing user gets a random session generation, so cookies issued before this
revision (which carry no generation) are refused: everyone signs in once again.
Nobody is an operator until `flask users set-operator EMAIL --on`.
"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5e1f0c2a9d47"
down_revision = "9b07ae96030b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "is_operator", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    users = sa.table(
        "users",
        sa.column("id", sa.Integer()),
        sa.column("session_generation", sa.String()),
    )
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_generation=secrets.token_hex(16))
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "session_generation", existing_type=sa.String(length=32), nullable=False
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_operator")
        batch_op.drop_column("session_generation")
