"""Device tokens stop working when a device has been unused for TRYGG_DEVICE_TOKEN_IDLE_DAYS."""

import uuid
from datetime import timedelta

from sqlalchemy import update

from app.auth.models import Device
from app.db import utcnow
from tests.helpers import bearer


async def enroll(api, person) -> dict:
    response = await api.post("/devices", json={"user_id": person.id, "kind": "desktop"},
                              headers=person.headers)
    assert response.status_code == 201
    return response.json()


async def last_used(server, device_id: str, ago: timedelta) -> None:
    """Pretend the device was last used `ago` (the test cannot wait 90 days)."""
    async with server.app.state.sessionmaker() as session:
        when = utcnow() - ago
        await session.execute(update(Device).where(Device.id == uuid.UUID(device_id))
                              .values(last_seen_at=when, created_at=when))
        await session.commit()


async def test_a_device_unused_for_longer_than_the_idle_limit_is_refused(server, api, org,
                                                                          connect):
    device = await enroll(api, org["staff"])
    await last_used(server, device["id"], timedelta(days=91))
    response = await api.get("/me", headers=bearer(device["token"]))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    raised = await api.post("/alarms", json={"level": "yellow", "mode": "test"},
                            headers=bearer(device["token"]))
    assert raised.status_code == 401
    ws = await connect(device["token"], hello=False)
    assert await ws.closed_code() == 4401


async def test_a_device_in_use_stays_valid_and_its_last_use_moves_on(server, api, org):
    device = await enroll(api, org["staff"])
    await last_used(server, device["id"], timedelta(days=89))
    assert (await api.get("/me", headers=bearer(device["token"]))).status_code == 200
    listed = (await api.get("/devices", headers=org["staff"].headers)).json()
    seen = next(d for d in listed if d["id"] == device["id"])["last_seen_at"]
    assert seen > (utcnow() - timedelta(minutes=5)).isoformat()
