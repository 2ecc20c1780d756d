"""privacy: safety representatives, retention, audited reads

Revision ID: c1a9d2e30004
Revises: f0a449fd9139
Create Date: 2026-12-02 14:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c1a9d2e30004'
down_revision: str | None = 'f0a449fd9139'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=True))
    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('actor_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column('object_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column('detail', sa.JSON(), nullable=True))
    job_run = op.create_table(
        'job_run',
        sa.Column('job', sa.String(length=40), nullable=False),
        sa.Column('last_run_on', sa.Date(), nullable=True),
        sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('runs', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('job', name=op.f('pk_job_run')),
    )
    op.bulk_insert(job_run, [{'job': 'retention', 'last_run_on': None, 'last_run_at': None,
                              'runs': 0}])


def downgrade() -> None:
    op.drop_table('job_run')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('detail')
        batch_op.alter_column('object_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('actor_id', existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.drop_column('retention_days')
