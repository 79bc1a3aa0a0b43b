"""Lean enrichment rows for COPY

Keyed by (job, row number), no per-row foreign key, the original fields as a JSON
array (text), a partial status index, and row batches that record their rows.

Revision ID: c3c01dc4b049
Revises: 014c2abacfd1
Create Date: 2026-11-22 17:58:04.254602

Rows of existing jobs are converted in place: each row's fields become an array in
the order of its job's headers (extra fields after them), and each row batch
records the row numbers it holds instead of a batch number on every row.
"""
import json

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'c3c01dc4b049'
down_revision = '014c2abacfd1'
branch_labels = None
depends_on = None

ROWS_KIND = 'enrichment.rows'
PROCESSED = "status <> 'pending'"
MAPPED = (('name', 255), ('email', 320), ('company', 255), ('phone', 64), ('website', 255))


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        _convert_data_postgresql()
    else:
        _convert_data_python(bind)
    with op.batch_alter_table('enrichment_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_enrichment_rows_job_batch')
        batch_op.drop_index('ix_enrichment_rows_job_status_row')
        batch_op.drop_constraint('fk_enrichment_rows_job_id_jobs', type_='foreignkey')
        batch_op.drop_constraint('uq_enrichment_rows_job_id_row_number', type_='unique')
        batch_op.drop_constraint('pk_enrichment_rows', type_='primary')
        batch_op.drop_column('id')
        batch_op.drop_column('batch_seq')
        batch_op.create_primary_key('pk_enrichment_rows', ['job_id', 'row_number'])
        batch_op.alter_column(
            'data',
            existing_type=sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            type_=sa.Text(),
            postgresql_using='data::text',
            existing_nullable=False,
        )
        for name, length in MAPPED:
            batch_op.alter_column(name, existing_type=sa.String(length=length), nullable=True)
        batch_op.alter_column(
            'status', existing_type=sa.String(length=12), server_default='pending'
        )
        batch_op.create_index(
            'ix_enrichment_rows_job_status_row', ['job_id', 'status', 'row_number'],
            unique=False,
            postgresql_where=sa.text(PROCESSED), sqlite_where=sa.text(PROCESSED),
        )


def downgrade():
    with op.batch_alter_table('enrichment_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_enrichment_rows_job_status_row')
        batch_op.add_column(sa.Column('batch_seq', sa.Integer(), nullable=False, server_default='0'))
        batch_op.alter_column(
            'data',
            existing_type=sa.Text(),
            type_=sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            postgresql_using='data::jsonb',
            existing_nullable=False,
        )
        batch_op.alter_column('status', existing_type=sa.String(length=12), server_default=None)
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        _restore_data_postgresql()
    else:
        _restore_data_python(bind)
    for name, _ in MAPPED:
        op.execute(f"UPDATE enrichment_rows SET {name} = '' WHERE {name} IS NULL")
    with op.batch_alter_table('enrichment_rows', schema=None) as batch_op:
        for name, length in MAPPED:
            batch_op.alter_column(name, existing_type=sa.String(length=length), nullable=False)
        batch_op.drop_constraint('pk_enrichment_rows', type_='primary')
        batch_op.add_column(sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
    if bind.dialect.name == 'postgresql':
        op.execute("CREATE SEQUENCE enrichment_rows_id_seq OWNED BY enrichment_rows.id")
        op.execute("UPDATE enrichment_rows SET id = nextval('enrichment_rows_id_seq')")
        op.execute("ALTER TABLE enrichment_rows ALTER COLUMN id SET DEFAULT nextval('enrichment_rows_id_seq')")
    else:
        op.execute("UPDATE enrichment_rows SET id = rowid")
    with op.batch_alter_table('enrichment_rows', schema=None) as batch_op:
        batch_op.alter_column('id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False)
        batch_op.create_primary_key('pk_enrichment_rows', ['id'])
        batch_op.create_unique_constraint('uq_enrichment_rows_job_id_row_number', ['job_id', 'row_number'])
        batch_op.create_foreign_key('fk_enrichment_rows_job_id_jobs', 'jobs', ['job_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_enrichment_rows_job_batch', ['job_id', 'batch_seq', 'status'], unique=False)
        batch_op.create_index('ix_enrichment_rows_job_status_row', ['job_id', 'status', 'row_number'], unique=False)


def _convert_data_postgresql():
    op.execute(f"""
        UPDATE job_batches b SET params = jsonb_build_object('row_numbers', coalesce(
            (SELECT jsonb_agg(r.row_number ORDER BY r.row_number) FROM enrichment_rows r
             WHERE r.job_id = b.job_id AND r.batch_seq = b.seq), '[]'::jsonb))
        WHERE b.kind = '{ROWS_KIND}'
    """)
    op.execute("""
        UPDATE enrichment_rows r SET data =
            coalesce((SELECT jsonb_agg(coalesce(r.data ->> h.name, '') ORDER BY h.ord)
                      FROM jsonb_array_elements_text(j.params -> 'headers')
                           WITH ORDINALITY AS h(name, ord)), '[]'::jsonb)
            || coalesce((SELECT jsonb_agg(e.value ORDER BY length(e.key), e.key)
                         FROM jsonb_each_text(r.data) AS e
                         WHERE NOT coalesce(j.params -> 'headers', '[]'::jsonb) ? e.key),
                        '[]'::jsonb)
        FROM jobs j WHERE j.id = r.job_id AND jsonb_typeof(r.data) = 'object'
    """)


def _restore_data_postgresql():
    op.execute("""
        UPDATE enrichment_rows r SET data = coalesce(
            (SELECT jsonb_object_agg(h.name, coalesce(r.data ->> (h.ord::int - 1), ''))
             FROM jsonb_array_elements_text(j.params -> 'headers') WITH ORDINALITY AS h(name, ord)),
            '{}'::jsonb)
        FROM jobs j WHERE j.id = r.job_id AND jsonb_typeof(r.data) = 'array'
    """)


def _job_headers(bind):
    jobs_t = sa.table('jobs', sa.column('id', sa.String), sa.column('params', sa.Text))
    return {job_id: (json.loads(params or '{}') or {}).get('headers', [])
            for job_id, params in bind.execute(sa.select(jobs_t.c.id, jobs_t.c.params))}


def _convert_data_python(bind):
    rows_t = sa.table('enrichment_rows', sa.column('id', sa.Integer), sa.column('job_id', sa.String),
                      sa.column('row_number', sa.Integer), sa.column('batch_seq', sa.Integer),
                      sa.column('data', sa.Text))
    batches_t = sa.table('job_batches', sa.column('id', sa.Integer), sa.column('job_id', sa.String),
                         sa.column('seq', sa.Integer), sa.column('kind', sa.String),
                         sa.column('params', sa.Text))
    headers = _job_headers(bind)
    members = {}
    for row_id, job_id, number, seq, data in bind.execute(sa.select(
            rows_t.c.id, rows_t.c.job_id, rows_t.c.row_number, rows_t.c.batch_seq, rows_t.c.data)):
        members.setdefault((job_id, seq), []).append(number)
        record = json.loads(data)
        if isinstance(record, dict):
            names = headers.get(job_id, [])
            fields = [record.get(h, '') for h in names]
            fields += [v for k, v in sorted(record.items(), key=lambda kv: (len(kv[0]), kv[0]))
                       if k not in names]
            bind.execute(rows_t.update().where(rows_t.c.id == row_id).values(data=json.dumps(fields)))
    for batch_id, job_id, seq in bind.execute(sa.select(
            batches_t.c.id, batches_t.c.job_id, batches_t.c.seq).where(batches_t.c.kind == ROWS_KIND)):
        numbers = sorted(members.get((job_id, seq), []))
        bind.execute(batches_t.update().where(batches_t.c.id == batch_id)
                     .values(params=json.dumps({'row_numbers': numbers})))


def _restore_data_python(bind):
    rows_t = sa.table('enrichment_rows', sa.column('job_id', sa.String),
                      sa.column('row_number', sa.Integer), sa.column('data', sa.Text))
    headers = _job_headers(bind)
    for job_id, number, data in bind.execute(sa.select(rows_t.c.job_id, rows_t.c.row_number, rows_t.c.data)):
        fields = json.loads(data)
        if isinstance(fields, list):
            record = dict(zip(headers.get(job_id, []), fields))
            bind.execute(rows_t.update().where(
                (rows_t.c.job_id == job_id) & (rows_t.c.row_number == number)
            ).values(data=json.dumps(record)))
