"""Home visits with a lone-worker timer; roles of responders (answering together)

Revision ID: c1a9d2e30002
Revises: c1a9d2e30001
Create Date: 2026-12-02 14:06:05.573920
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c1a9d2e30002'
down_revision: str | None = 'c1a9d2e30001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('visit',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('office_id', sa.Uuid(), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('position', sa.JSON(), nullable=True),
    sa.Column('check_in_interval_s', sa.Integer(), nullable=True),
    sa.Column('grace_s', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expected_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('alarm_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_check_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('alarm_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarm.id'], name=op.f('fk_visit_alarm_id_alarm')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_visit_office_id_office')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_visit_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_office_id'), ['office_id'], unique=False)
        batch_op.create_index('ix_visit_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_alarm_visit_id'), ['visit_id'], unique=False)

    # SQLite rebuilds the table: keep AUTOINCREMENT, so `seq` never reuses a number.
    with op.batch_alter_table('alarm_event', schema=None,
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('visit_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('visit_snapshot', sa.JSON(), nullable=True))
        batch_op.alter_column('alarm_id',
               existing_type=sa.Uuid(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_alarm_event_visit_id'), ['visit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_alarm_event_visit_id_visit'), 'visit', ['visit_id'], ['id'])

    with op.batch_alter_table('alarm_responder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=12), nullable=False,
                                      server_default='go'))

    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_grace_s', sa.Integer(), nullable=False,
                                      server_default='120'))



def downgrade() -> None:
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.drop_column('visit_grace_s')

    with op.batch_alter_table('alarm_responder', schema=None) as batch_op:
        batch_op.drop_column('role')

    # SQLite rebuilds the table: keep AUTOINCREMENT, so `seq` never reuses a number.
    with op.batch_alter_table('alarm_event', schema=None,
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_alarm_event_visit_id_visit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_alarm_event_visit_id'))
        batch_op.alter_column('alarm_id',
               existing_type=sa.Uuid(),
               nullable=False)
        batch_op.drop_column('visit_snapshot')
        batch_op.drop_column('visit_id')

    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarm_visit_id'))
        batch_op.drop_column('visit_id')

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_user_id'))
        batch_op.drop_index('ix_visit_status_due')
        batch_op.drop_index(batch_op.f('ix_visit_office_id'))

    op.drop_table('visit')
