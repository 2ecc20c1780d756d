"""PostgreSQL going away, and work done exactly once by three processes."""

import asyncio
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.cluster.proxy import CuttableProxy
from tests.helpers import make_org
from tests.notify.conftest import SENDER, make_sms_org


@pytest.fixture
async def db_proxy(pg_url):
    url = make_url(pg_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    await proxy.cut()


async def test_raises_get_503_while_postgresql_is_away_and_succeed_once_after(
        db_proxy, redis_url, cluster_factory):
    proxy, proxied_url = db_proxy
    cluster = cluster_factory(proxied_url, redis_url)
    (proc,) = await cluster.start(1)
    async with httpx.AsyncClient(base_url=proc.api_url, timeout=10) as api:
        org = await make_org(api, cluster.admin_token)
        await proxy.cut()

        ids = [str(uuid.uuid4()) for _ in range(3)]
        for alarm_id in ids:
            response = await api.post("/alarms", json={"id": alarm_id, "level": "red"},
                                      headers=org["staff"].headers)
            assert response.status_code == 503, response.text
            assert response.json() == {"error": "database_unavailable",
                                       "detail": response.json()["detail"]}
        health = await api.get("/health")
        assert health.status_code == 503
        assert health.json()["database"] == "down"

        await proxy.start()  # PostgreSQL is back; the server recovers with no restart
        async with asyncio.timeout(20):
            while (await api.get("/health")).status_code != 200:
                await asyncio.sleep(0.2)
        for alarm_id in ids:
            retry = await api.post("/alarms", json={"id": alarm_id, "level": "red"},
                                   headers=org["staff"].headers)
            assert retry.status_code == 201, retry.text  # not stored before: nothing half-written
            again = await api.post("/alarms", json={"id": alarm_id, "level": "red"},
                                   headers=org["staff"].headers)
            assert again.status_code == 200
            events = (await api.get(f"/alarms/{alarm_id}", headers=org["staff"].headers)).json()
            assert [e["type"] for e in events["events"]] == ["alarm.raised"]


async def test_three_processes_send_every_text_once_and_fire_every_tier_once(
        pg_url, redis_url, cluster_factory, fake):
    cluster = cluster_factory(
        pg_url, redis_url, TRYGG_TWILIO_ACCOUNT_SID=fake.account_sid,
        TRYGG_TWILIO_AUTH_TOKEN=fake.auth_token, TRYGG_TWILIO_FROM=SENDER,
        TRYGG_TWILIO_BASE_URL=fake.base_url)
    procs = await cluster.start(3)
    async with httpx.AsyncClient(base_url=procs[0].api_url, timeout=10) as api:
        org = await make_sms_org(api, cluster.admin_token, ack_timeout_s=5)
        alarms = []
        for index in range(3):
            async with httpx.AsyncClient(base_url=procs[index].api_url, timeout=10) as node:
                response = await node.post("/alarms", json={"level": "yellow"},
                                           headers=org.staff.headers)
                assert response.status_code == 201
                alarms.append(response.json()["id"])
        # Tier 0: 2 responders x 3 alarms; tier 1: 1 manager x 3; tier 2: 1 call x 3.
        await asyncio.to_thread(fake.wait_for, 3, kind="call", timeout=30)
        await asyncio.sleep(3)
        texts = Counter(t.params["To"] for t in fake.messages)
        assert texts == {org.responders[0].phone: 3, org.responders[1].phone: 3,
                         org.managers[0].phone: 3}
        assert Counter(c.params["To"] for c in fake.calls) == {org.managers[0].phone: 3}
        for alarm_id in alarms:
            events = (await api.get(f"/alarms/{alarm_id}", headers=org.staff.headers)).json()
            tiers = [e["data"]["tier"] for e in events["events"] if e["type"] == "alarm.escalated"]
            assert tiers == [1, 2]
            await api.post(f"/alarms/{alarm_id}/resolve", json={}, headers=org.staff.headers)
