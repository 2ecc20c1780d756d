"""Three server processes on one PostgreSQL and Redis: a visit that runs out raises its alarm
once, and every process's clients see its frames."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.cluster.stream import ResumingClient
from tests.helpers import make_org

SHORT_GRACE = {"TRYGG_ENVIRONMENT": "test", "TRYGG_VISIT_GRACE_OVERRIDE_S": "2",
               "TRYGG_VISIT_TIMER_POLL_S": "0.1"}


async def test_three_processes_raise_an_overdue_visit_once(pg_url, redis_url, cluster_factory):
    cluster = cluster_factory(pg_url, redis_url, **SHORT_GRACE)
    procs = await cluster.start(3)
    async with httpx.AsyncClient(base_url=procs[0].api_url, timeout=10) as api:
        org = await make_org(api, cluster.admin_token)
    clients = [ResumingClient([p.ws_url], org[name].token)
               for p, name in zip(procs, ("responder", "responder2", "manager"), strict=True)]
    for client in clients:
        await client.start()
    visit_ids = [str(uuid.uuid4()) for _ in range(6)]
    for index, visit_id in enumerate(visit_ids):
        async with httpx.AsyncClient(base_url=procs[index % 3].api_url, timeout=10) as api:
            response = await api.post("/visits", headers=org["staff"].headers, json={
                "id": visit_id, "place": f"Besøk {index}",
                "expected_end": (datetime.now(UTC) + timedelta(seconds=2)).isoformat()})
            assert response.status_code == 201, response.text

    def overdue(client: ResumingClient) -> set[str]:
        return {f["visit"]["id"] for f in client.frames
                if f["event"]["type"] == "visit.overdue"}

    async with asyncio.timeout(30):
        while not all(set(visit_ids) <= overdue(c) for c in clients):
            await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=procs[2].api_url, timeout=10) as api:
        for visit_id in visit_ids:
            events = (await api.get(f"/visits/{visit_id}/events",
                                    headers=org["manager"].headers)).json()["items"]
            assert [e["type"] for e in events] == ["visit.started", "visit.due", "visit.overdue"]
        alarms = (await api.get("/alarms", params={"limit": 100},
                                headers=org["manager"].headers)).json()["items"]
    by_visit = [a["visit_id"] for a in alarms if a["visit_id"]]
    assert sorted(by_visit) == sorted(visit_ids)  # one alarm each, no more
    for client in clients:
        client.assert_in_order_without_duplicates()
        raised = [f for f in client.frames if f["event"]["type"] == "alarm.raised"]
        assert sorted(f["alarm"]["visit_id"] for f in raised) == sorted(visit_ids)
        await client.stop()
