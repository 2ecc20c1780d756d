"""Fault tests: several server processes on one PostgreSQL and one Redis lose no alarm."""

import asyncio
import uuid

import httpx

from tests.cluster.stream import ResumingClient
from tests.helpers import make_org


async def raise_with_retry(processes, person, alarm_id: str, start: int = 0) -> int:
    """Raise an alarm like a client does: the same id, to the next server when one fails."""
    body = {"id": alarm_id, "level": "red"}
    for attempt in range(40):
        proc = processes[(start + attempt) % len(processes)]
        try:
            async with httpx.AsyncClient(base_url=proc.api_url, timeout=5) as api:
                response = await api.post("/alarms", json=body, headers=person.headers)
            if response.status_code in (200, 201):
                return response.status_code
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"alarm {alarm_id} was never stored")


async def test_alarm_raised_on_one_process_reaches_clients_of_all(
        pg_url, redis_url, cluster_factory):
    cluster = cluster_factory(pg_url, redis_url)
    procs = await cluster.start(3)
    async with httpx.AsyncClient(base_url=procs[0].api_url, timeout=10) as api:
        org = await make_org(api, cluster.admin_token)
    clients = [ResumingClient([p.ws_url], org[name].token)
               for p, name in zip(procs, ("responder", "responder2", "manager"), strict=True)]
    for client in clients:
        await client.start()
    alarm_id = str(uuid.uuid4())
    assert await raise_with_retry(procs[1:2], org["staff"], alarm_id) == 201
    for client in clients:
        await client.wait_for_raised({alarm_id})
    # Readiness counts responders on every process: two responders, on two processes.
    async with asyncio.timeout(10):
        while not all(c.readiness and c.readiness[-1]["responders_online"] == 2 for c in clients):
            await asyncio.sleep(0.1)
    for client in clients:
        await client.stop()


async def test_sigkill_of_one_process_loses_no_alarm_and_clients_resume(
        pg_url, redis_url, cluster_factory):
    cluster = cluster_factory(pg_url, redis_url)
    procs = await cluster.start(2)
    async with httpx.AsyncClient(base_url=procs[0].api_url, timeout=10) as api:
        org = await make_org(api, cluster.admin_token)
    urls = [p.ws_url for p in procs]
    on_victim = ResumingClient(urls[1:] + urls[:1], org["responder"].token)  # starts on procs[1]
    on_survivor = ResumingClient(urls, org["responder2"].token)
    for client in (on_victim, on_survivor):
        await client.start()

    ids = [str(uuid.uuid4()) for _ in range(24)]
    for index, alarm_id in enumerate(ids):
        if index == 10:
            procs[1].kill()
        await raise_with_retry(procs, org["staff"], alarm_id, start=index)

    for client in (on_victim, on_survivor):
        await client.wait_for_raised(set(ids), timeout=20)
        client.assert_in_order_without_duplicates()
        assert sorted(client.raised_ids()) == sorted(ids)
    assert on_victim.connections >= 2
    async with httpx.AsyncClient(base_url=procs[0].api_url, timeout=10) as api:
        for alarm_id in ids:
            stored = await api.get(f"/alarms/{alarm_id}", headers=org["staff"].headers)
            assert stored.status_code == 200
            assert [e["type"] for e in stored.json()["events"]] == ["alarm.raised"]
    for client in (on_victim, on_survivor):
        await client.stop()


async def test_redis_restart_costs_no_event(pg_url, private_redis, cluster_factory):
    cluster = cluster_factory(pg_url, private_redis.url)
    procs = await cluster.start(2)
    async with httpx.AsyncClient(base_url=procs[0].api_url, timeout=10) as api:
        org = await make_org(api, cluster.admin_token)
    clients = [ResumingClient([procs[0].ws_url], org["responder"].token),
               ResumingClient([procs[1].ws_url], org["responder2"].token)]
    for client in clients:
        await client.start()

    ids = [str(uuid.uuid4()) for _ in range(20)]
    for index, alarm_id in enumerate(ids):
        if index == 8:
            private_redis.stop()
        if index == 13:
            await private_redis.start()
        await raise_with_retry(procs, org["staff"], alarm_id, start=index)

    for client in clients:
        await client.wait_for_raised(set(ids), timeout=20)
        client.assert_in_order_without_duplicates()
    for client in clients:
        await client.stop()
