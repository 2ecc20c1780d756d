"""What `trygg retention run` and `trygg export-person` do (app/cli.py parses the arguments)."""

import json
import uuid
from datetime import date, datetime
from typing import Any

from app import db
from app.config import Settings
from app.privacy import export, retention


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot export {type(value).__name__}")


async def retention_run(settings: Settings) -> dict[str, Any]:
    """Anonymise what is due now and record the run as today's."""
    engine = db.make_engine(settings.resolved_database_url)
    try:
        sessionmaker = db.make_sessionmaker(engine)
        now = db.utcnow()
        async with sessionmaker() as session:
            await retention.record_run(session, now=now)
            await session.commit()
        return await retention.run(sessionmaker, default_days=settings.retention_days, now=now)
    finally:
        await engine.dispose()


async def export_person(settings: Settings, username: str) -> str | None:
    """The person's data as indented JSON (None: no such user); the export is audited."""
    engine = db.make_engine(settings.resolved_database_url)
    try:
        async with db.make_sessionmaker(engine)() as session:
            user = await export.find_user(session, username)
            if user is None:
                return None
            data = await export.export_person(session, user=user)
            await session.commit()
    finally:
        await engine.dispose()
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)
