"""notification_outbox

Revision ID: 06af4f5a9466
Revises: ced1e9746f79
Create Date: 2026-11-26 09:54:03.961359
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '06af4f5a9466'
down_revision: str | None = 'ced1e9746f79'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('twilio_callback',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sid', 'status', name=op.f('pk_twilio_callback'))
    )
    op.create_table('notification',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('alarm_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('to', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('provider_status', sa.String(length=20), nullable=True),
    sa.Column('last_error_code', sa.String(length=12), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarm.id'], name=op.f('fk_notification_alarm_id_alarm')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('alarm_id', 'user_id', 'kind', name=op.f('uq_notification_alarm_id')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_notification_provider_sid'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_due', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalation_tier', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_escalation_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_alarm_next_escalation_at'), ['next_escalation_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarm_next_escalation_at'))
        batch_op.drop_column('next_escalation_at')
        batch_op.drop_column('escalation_tier')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_due')

    op.drop_table('notification')
    op.drop_table('twilio_callback')
