"""The migration that makes a phone number one active user's copes with numbers already shared."""

import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrations
from app.auth.models import User
from app.db import utcnow
from tests.conftest import create_pg_database, drop_pg_database, skip_or_fail

BEFORE = "f0a449fd9139"


@pytest.fixture(params=["sqlite", "postgresql"])
async def old_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    if not os.environ.get("TRYGG_TEST_DATABASE_URL"):
        skip_or_fail("needs TRYGG_TEST_DATABASE_URL")
    url = await create_pg_database(os.environ["TRYGG_TEST_DATABASE_URL"])
    yield url
    await drop_pg_database(url)


async def test_migration_keeps_a_shared_phone_on_the_oldest_active_account(old_database):
    await migrations.upgrade_async(old_database, BEFORE)
    now = utcnow()
    people = [("oldest", "+4791111111", True, 3), ("newer", "+4791111111", True, 2),
              ("disabled", "+4791111111", False, 4), ("alone", "+4792222222", True, 1)]
    engine = create_async_engine(old_database)
    try:
        async with engine.begin() as conn:
            for name, phone, active, days in people:
                await conn.execute(insert(User.__table__).values(
                    id=uuid.uuid4(), username=name, password_hash="x", full_name=name,
                    office_id=None, roles=["admin"], phone=phone, is_active=active,
                    created_at=now - timedelta(days=days)))
        await engine.dispose()
        await migrations.upgrade_async(old_database)
        async with engine.connect() as conn:
            phones = dict((await conn.execute(select(User.username, User.phone))).all())
    finally:
        await engine.dispose()
    assert phones == {"oldest": "+4791111111", "newer": None, "disabled": "+4791111111",
                      "alone": "+4792222222"}
