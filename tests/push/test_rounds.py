"""A round of many pushes at once: every outcome is recorded once, with its own data, whatever
the others' answers; and a push service that cannot be reached is tried again."""

import asyncio
import socket
from collections import Counter

import httpx

from tests.conftest import LiveServer, create_admin_token, server_settings
from tests.push.conftest import make_push_org, push_endpoints, timeline, wait_events

EXTRA_BROWSERS = 40


async def raise_red(api, person):
    response = await api.post("/alarms", json={"level": "red"}, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_round_of_many_subscriptions_records_each_outcome_exactly_once(
        push_api, push_admin_token, push_service):
    org = await make_push_org(push_api, push_admin_token, push_service, responders=1)
    responder = org.responders[0]
    for _ in range(EXTRA_BROWSERS):  # one person with many browsers: one round of 41 pushes
        response = await push_api.post("/push/subscriptions",
                                       json=push_service.subscription().to_json(),
                                       headers=responder.headers)
        assert response.status_code == 201, response.text
    listed = await push_api.get("/push/subscriptions", headers=responder.headers)
    subscription_ids = {s["id"] for s in listed.json()}
    total = len(subscription_ids)
    assert total == EXTRA_BROWSERS + 1
    push_service.answer_next(410, count=3)
    push_service.answer_next(413, count=2)
    push_service.answer_next(503, count=2)

    alarm = await raise_red(push_api, org.staff)
    await wait_events(push_api, alarm["id"], org.staff, "push.accepted", total - 5, timeout=30)
    await asyncio.sleep(1.5)  # anything recorded twice would be there by now
    pushed = [e for e in await timeline(push_api, alarm["id"], org.staff)
              if e["type"].startswith("push.")]
    by_type = Counter(e["type"] for e in pushed)
    assert by_type == {"push.accepted": total - 5, "push.gone": 3, "push.failed": 2,
                       "push.retry": 2}
    for event in pushed:
        data = event["data"]
        assert data["user_id"] == responder.id
        assert data["status"] == event["type"].removeprefix("push.")
        assert data["subscription_id"] in subscription_ids
        assert event["actor"] is None
    assert all(e["seq"] < f["seq"] for e, f in zip(pushed, pushed[1:], strict=False))

    final = [e for e in pushed if e["type"] != "push.retry"]
    assert sorted(e["data"]["subscription_id"] for e in final) == sorted(subscription_ids)
    gone = [e["data"] for e in pushed if e["type"] == "push.gone"]
    assert {d["http_status"] for d in gone} == {410}
    failed = [e["data"] for e in pushed if e["type"] == "push.failed"]
    assert [(d["http_status"], d["reason"]) for d in failed] == [(413, "refused")] * 2
    retried = [e["data"] for e in pushed if e["type"] == "push.retry"]
    assert all(d["http_status"] == 503 and d["attempt"] == 1 and d["retry_in_s"] > 0
               for d in retried)
    accepted = [e["data"] for e in pushed if e["type"] == "push.accepted"]
    assert {d["http_status"] for d in accepted} == {201}
    assert sorted(d["subscription_id"] for d in accepted if d["attempt"] == 2) == sorted(
        d["subscription_id"] for d in retried)
    assert sum(d["attempt"] == 1 for d in accepted) == total - 7

    left = await push_api.get("/push/subscriptions", headers=responder.headers)
    assert {s["id"] for s in left.json()} == subscription_ids - {d["subscription_id"]
                                                                 for d in gone}
    assert len(push_service.pushes()) == total + 2


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_push_service_that_refuses_the_connection_is_tried_again(
        new_database, tmp_path, push_service):
    unreachable = f"http://127.0.0.1:{closed_port()}"
    settings = server_settings(await new_database(), tmp_path,
                               push_endpoints=f"{push_endpoints(push_service)},{unreachable}")
    server = LiveServer(settings)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.api_url, timeout=30) as api:
            org = await make_push_org(api, await create_admin_token(server), push_service,
                                      responders=1, subscribe=False)
            responder = org.responders[0]
            browser = push_service.subscription()
            body = {**browser.to_json(), "endpoint": f"{unreachable}/push/{browser.token}"}
            response = await api.post("/push/subscriptions", json=body,
                                      headers=responder.headers)
            assert response.status_code == 201, response.text
            alarm = await raise_red(api, org.staff)
            retries = await wait_events(api, alarm["id"], org.staff, "push.retry", 2,
                                        timeout=20)
    finally:
        await server.stop()
    assert [e["data"]["attempt"] for e in retries] == [1, 2]
    for event in retries:
        assert event["data"]["http_status"] is None
        assert event["data"]["reason"]  # the error's class name, never the endpoint
        assert "127.0.0.1" not in event["data"]["reason"]
        assert event["data"]["subscription_id"] == response.json()["id"]
    assert push_service.paths == []
