"""Pushes survive a crash, and several server processes send each push once."""

import asyncio
from collections import Counter

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.cluster.conftest import cluster_factory, pg_url, redis_url  # noqa: F401
from tests.process import ServerProcess
from tests.push.conftest import make_push_org, push_endpoints, wait_events, wait_pushes


def vapid_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


async def test_pushes_pending_at_a_sigkill_are_sent_after_the_restart(
        new_database, tmp_path, push_service):
    database_url = await new_database()
    proc = ServerProcess(database_url, tmp_path, "test-secret-key-" + "p" * 32,
                         TRYGG_PUSH_ENDPOINTS=push_endpoints(push_service))
    proc.cli("user", "create", "pushadmin", "--password", "admin-password-1", "--role", "admin")
    await proc.start()
    try:
        async with httpx.AsyncClient(base_url=proc.api_url, timeout=30) as api:
            login = await api.post("/auth/login", json={"username": "pushadmin",
                                                        "password": "admin-password-1"})
            org = await make_push_org(api, login.json()["access_token"], push_service)
            push_service.answer_next(503, count=10_000)  # the push service is down
            response = await api.post("/alarms", json={"level": "red"},
                                      headers=org.staff.headers)
            assert response.status_code == 201
            alarm_id = response.json()["id"]
            await wait_pushes(push_service, 2)
            proc.kill()

            push_service.reset()  # it is back
            await proc.start()
            pushes = await wait_pushes(push_service, 2, timeout=75, accepted_only=True)
            assert sorted({p.token for p in pushes}) == sorted(
                org.browser(r).token for r in org.responders)
            assert {p.payload["alarm"]["id"] for p in pushes} == {alarm_id}
            await wait_events(api, alarm_id, org.staff, "push.accepted", 2)
    finally:
        proc.kill()


async def test_several_processes_send_each_push_once(
        pg_url, redis_url, cluster_factory, push_service):  # noqa: F811
    cluster = cluster_factory(pg_url, redis_url, TRYGG_VAPID_PRIVATE_KEY=vapid_pem(),
                              TRYGG_PUSH_ENDPOINTS=push_endpoints(push_service))
    nodes = [node for _ in range(3) for node in await cluster.start(1)]  # one by one: a busy
    # machine may need longer than the start-up timeout for three at once
    async with httpx.AsyncClient(base_url=nodes[0].api_url, timeout=30) as api:
        org = await make_push_org(api, cluster.admin_token, push_service, responders=4,
                                  subscribe=False)
        # Each responder with several browsers: 20 subscriptions, on the first node.
        for responder in org.responders:
            for _ in range(5):
                browser = push_service.subscription()
                response = await api.post("/push/subscriptions", json=browser.to_json(),
                                          headers=responder.headers)
                assert response.status_code == 201
    keys = set()
    for node in nodes:  # every process signs with the same configured key
        async with httpx.AsyncClient(base_url=node.api_url, timeout=30) as api:
            key = await api.get("/push/key", headers=org.staff.headers)
            keys.add(key.json()["public_key"])
    assert len(keys) == 1

    alarms = []
    for node in nodes:  # one alarm raised on each node
        async with httpx.AsyncClient(base_url=node.api_url, timeout=30) as api:
            response = await api.post("/alarms", json={"level": "yellow"},
                                      headers=org.staff.headers)
            assert response.status_code == 201
            alarms.append(response.json()["id"])
    pushes = await wait_pushes(push_service, 60, timeout=60)
    await asyncio.sleep(3)
    pushes = push_service.pushes()
    per_push = Counter((p.token, p.payload["alarm"]["id"]) for p in pushes)
    assert len(per_push) == 60
    assert set(per_push.values()) == {1}
    assert {p.vapid_key for p in pushes} == keys
    async with httpx.AsyncClient(base_url=nodes[1].api_url, timeout=30) as api:
        for alarm_id in alarms:
            await wait_events(api, alarm_id, org.staff, "push.accepted", 20)
