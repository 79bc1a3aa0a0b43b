"""Enrichment pages: an import's rows kept per batch until a worker takes them

The import writes one page (the fields of a batch's rows, a JSON array of arrays)
per batch instead of one enrichment row per data row; the worker that takes the
batch turns its page into rows. Existing rows stay as they are. The downgrade
turns the pages left into pending rows before dropping the table.

Revision ID: 9b07ae96030b
Revises: c3c01dc4b049
Create Date: 2026-11-22 20:50:46.708333

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b07ae96030b'
down_revision = 'c3c01dc4b049'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('enrichment_pages',
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('last_row', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('first_row', sa.Integer(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', 'last_row', name=op.f('pk_enrichment_pages'))
    )


def downgrade():
    bind = op.get_bind()
    pages = sa.table('enrichment_pages', sa.column('job_id', sa.String),
                     sa.column('last_row', sa.Integer),
                     sa.column('first_row', sa.Integer), sa.column('data', sa.Text))
    rows = sa.table('enrichment_rows', sa.column('job_id', sa.String),
                    sa.column('row_number', sa.Integer), sa.column('data', sa.Text),
                    sa.column('status', sa.String))
    after = ('', 0)
    while True:
        chunk = bind.execute(
            sa.select(pages.c.job_id, pages.c.last_row, pages.c.first_row,
                      pages.c.data)
            .where(sa.tuple_(pages.c.job_id, pages.c.last_row) > sa.tuple_(*after))
            .order_by(pages.c.job_id, pages.c.last_row)
            .limit(500)
        ).all()
        if not chunk:
            break
        bind.execute(sa.insert(rows), [
            {'job_id': job_id, 'row_number': first_row + i,
             'data': json.dumps(fields, separators=(',', ':')),
             'status': 'pending'}
            for job_id, _, first_row, data in chunk
            for i, fields in enumerate(json.loads(data))
        ])
        after = chunk[-1][:2]
    op.drop_table('enrichment_pages')
