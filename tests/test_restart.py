"""A real `trygg serve` process, killed with SIGKILL and started again."""

import httpx
import pytest

from tests.helpers import WsClient, make_org, raise_alarm
from tests.process import ServerProcess


@pytest.fixture
async def process(server, database_url, tmp_path):
    proc = ServerProcess(database_url, tmp_path, server.settings.secret_key)
    await proc.start()
    yield proc
    proc.kill()


async def test_alarm_acknowledged_with_201_survives_sigkill(process, admin_token):
    async with httpx.AsyncClient(base_url=process.api_url, timeout=10) as api:
        org = await make_org(api, admin_token)
        response = await raise_alarm(api, org["staff"], level="red", room_id=org.room["id"])
        assert response.status_code == 201
        process.kill()
        await process.start()
        stored = await api.get(f"/alarms/{response.json()['id']}", headers=org["staff"].headers)
        assert stored.status_code == 200
        assert stored.json()["level"] == "red"
        assert [e["type"] for e in stored.json()["events"]] == ["alarm.raised"]


async def test_listener_resumes_across_a_server_restart_with_no_gap(process, admin_token):
    async with httpx.AsyncClient(base_url=process.api_url, timeout=10) as api:
        org = await make_org(api, admin_token)
        listener = await WsClient.connect(process.ws_url, org["responder"].token)
        await listener.wait_hello()
        first = (await raise_alarm(api, org["staff"])).json()
        last_seen = (await listener.event("alarm.raised"))["seq"]

        process.kill()
        assert await listener.closed_code(timeout=5) is not None
        await process.start()
        # Missed while the listener was away:
        await api.post(f"/alarms/{first['id']}/acknowledge", json={},
                       headers=org["responder2"].headers)
        second = (await raise_alarm(api, org["staff"], level="red")).json()

        again = await WsClient.connect(process.ws_url, org["responder"].token)
        await again.wait_hello()
        await again.send({"type": "resume", "after_seq": last_seen})
        frames = await again.events_for(1.5)
        got = [(f["alarm"]["id"], f["event"]["type"]) for f in frames]
        # The acknowledgement counts as a delivery too.
        assert got == [(first["id"], "alarm.delivered"), (first["id"], "alarm.acknowledged"),
                       (second["id"], "alarm.raised")]
        await again.close()
