"""access: login throttling, one active user per phone number

Revision ID: c1a9d2e30003
Revises: c1a9d2e30004
Create Date: 2026-12-02 14:10:00
"""
import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c1a9d2e30003'
down_revision: str | None = 'c1a9d2e30004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    op.create_index('ix_login_attempt_account_at', 'login_attempt', ['account', 'at'])
    op.create_index('ix_login_attempt_address_at', 'login_attempt', ['address', 'at'])
    op.create_index('ix_login_attempt_at', 'login_attempt', ['at'])

    # A number shared by several active users: the oldest account keeps it, the others lose it
    # (an SMS reply from it could otherwise acknowledge as any of them). Their admin sets the
    # right number again; each one is named in the migration's log.
    bind = op.get_bind()
    user = sa.table('user_account', sa.column('id', sa.Uuid()), sa.column('username', sa.String()),
                    sa.column('phone', sa.String()), sa.column('is_active', sa.Boolean()),
                    sa.column('created_at', sa.DateTime(timezone=True)))
    rows = bind.execute(sa.select(user.c.id, user.c.username, user.c.phone)
                        .where(user.c.is_active.is_(True), user.c.phone.is_not(None))
                        .order_by(user.c.phone, user.c.created_at, user.c.id)).all()
    seen: set[str] = set()
    for row in rows:
        if row.phone in seen:
            log.warning("phone %s is also on an older active account: removed from user %s",
                        row.phone, row.username)
            bind.execute(sa.update(user).where(user.c.id == row.id).values(phone=None))
        seen.add(row.phone)
    op.create_index('uq_user_account_active_phone', 'user_account', ['phone'], unique=True,
                    sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))


def downgrade() -> None:
    op.drop_index('uq_user_account_active_phone', table_name='user_account')
    op.drop_index('ix_login_attempt_at', table_name='login_attempt')
    op.drop_index('ix_login_attempt_address_at', table_name='login_attempt')
    op.drop_index('ix_login_attempt_account_at', table_name='login_attempt')
    op.drop_table('login_attempt')
