"""A visit whose time runs out while the server is SIGKILLed raises its alarm once, at once
when the server is back."""

import asyncio
from datetime import UTC, datetime

import httpx

from tests.helpers import make_org
from tests.process import ServerProcess
from tests.visit.conftest import at

SECRET = "visit-restart-secret-" + "v" * 32
ADMIN = ("visitadmin", "admin-password-1")


async def test_visit_overdue_while_the_server_is_down_raises_once_when_it_is_back(
        new_database, tmp_path):
    proc = ServerProcess(await new_database(), tmp_path, SECRET, TRYGG_ENVIRONMENT="test",
                         TRYGG_VISIT_GRACE_OVERRIDE_S="2")
    await asyncio.to_thread(proc.cli, "user", "create", ADMIN[0], "--password", ADMIN[1],
                            "--role", "admin")
    await proc.start()
    try:
        async with httpx.AsyncClient(base_url=proc.api_url, timeout=10) as api:
            login = await api.post("/auth/login", json=dict(zip(("username", "password"), ADMIN,
                                                                 strict=True)))
            org = await make_org(api, login.json()["access_token"])
            staff = org["staff"]
            visit = (await api.post("/visits", headers=staff.headers, json={
                "place": "Hytteveien 3", "expected_end": at(2)})).json()
            proc.kill()
            # Down through both the warning and the alarm time.
            left = (datetime.fromisoformat(visit["alarm_at"]) - datetime.now(UTC)).total_seconds()
            await asyncio.sleep(max(0.0, left) + 1)
            await proc.start()
            async with asyncio.timeout(20):
                while (current := (await api.get(f"/visits/{visit['id']}",
                                                 headers=staff.headers)).json())["status"] \
                        != "overdue":
                    await asyncio.sleep(0.1)
            assert current["alarm_id"] is not None

            proc.kill()  # and once more: the alarm is not raised again
            await proc.start()
            await asyncio.sleep(1)
            events = (await api.get(f"/visits/{visit['id']}/events",
                                    headers=staff.headers)).json()["items"]
            assert [e["type"] for e in events] == ["visit.started", "visit.due", "visit.overdue"]
            mine = (await api.get("/alarms", headers=staff.headers)).json()["items"]
            assert [a["id"] for a in mine if a["visit_id"] == visit["id"]] == [current["alarm_id"]]
            alarm = (await api.get(f"/alarms/{current['alarm_id']}", headers=staff.headers)).json()
            assert alarm["level"] == "red" and alarm["location_note"] == "Hytteveien 3"
    finally:
        proc.kill()
