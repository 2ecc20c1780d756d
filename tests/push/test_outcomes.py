"""What the server does with each answer of a push service, and where it never sends."""

import asyncio
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import update

from app.db import utcnow
from app.push.models import PushMessage
from tests.conftest import LiveServer, create_admin_token, server_settings
from tests.push.conftest import make_push_org, push_endpoints, wait_events, wait_pushes
from tests.push.push_service import FakePushService


async def one_responder_org(api, token, service):
    return await make_push_org(api, token, service, responders=1)


async def raise_red(api, person):
    response = await api.post("/alarms", json={"level": "red"}, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_gone_subscription_is_deleted_and_not_pushed_again(
        push_api, push_admin_token, push_service):
    org = await one_responder_org(push_api, push_admin_token, push_service)
    responder = org.responders[0]
    push_service.answer_next(410)
    alarm = await raise_red(push_api, org.staff)
    gone = (await wait_events(push_api, alarm["id"], org.staff, "push.gone", 1))[0]
    assert gone["data"]["user_id"] == responder.id
    assert gone["data"]["http_status"] == 410
    listed = await push_api.get("/push/subscriptions", headers=responder.headers)
    assert listed.json() == []
    await push_api.post(f"/alarms/{alarm['id']}/acknowledge", json={}, headers=responder.headers)
    await asyncio.sleep(1.5)
    assert len(push_service.pushes()) == 1


async def test_404_counts_as_gone(push_api, push_admin_token, push_service):
    org = await one_responder_org(push_api, push_admin_token, push_service)
    push_service.answer_next(404)
    alarm = await raise_red(push_api, org.staff)
    await wait_events(push_api, alarm["id"], org.staff, "push.gone", 1)


async def test_429_and_503_are_retried_until_accepted(push_api, push_admin_token, push_service):
    org = await one_responder_org(push_api, push_admin_token, push_service)
    push_service.answer_next(429)
    push_service.answer_next(503)
    alarm = await raise_red(push_api, org.staff)
    pushes = await wait_pushes(push_service, 3, timeout=20)
    assert [p.status for p in pushes] == [429, 503, 201]
    assert len({p.payload["seq"] for p in pushes}) == 1
    assert all(int(p.headers["ttl"]) <= 300 for p in pushes)
    await wait_events(push_api, alarm["id"], org.staff, "push.accepted", 1)
    retries = await wait_events(push_api, alarm["id"], org.staff, "push.retry", 2)
    assert [e["data"]["http_status"] for e in retries] == [429, 503]
    assert all(e["data"]["retry_in_s"] > 0 for e in retries)


async def test_retries_stop_when_the_ttl_runs_out(push_server, push_api, push_admin_token,
                                                  push_service):
    org = await one_responder_org(push_api, push_admin_token, push_service)
    push_service.answer_next(503, count=10_000)
    alarm = await raise_red(push_api, org.staff)
    await wait_pushes(push_service, 1)
    # Let the five minutes pass: the push's life ends two seconds from now.
    async with push_server.app.state.sessionmaker() as session:
        await session.execute(update(PushMessage)
                              .where(PushMessage.alarm_id == uuid.UUID(alarm["id"]))
                              .values(expires_at=utcnow() + timedelta(seconds=2)))
        await session.commit()
    expired = await wait_events(push_api, alarm["id"], org.staff, "push.expired", 1, timeout=20)
    assert expired[0]["data"]["user_id"] == org.responders[0].id
    sent = len(push_service.pushes())
    await asyncio.sleep(3)
    assert len(push_service.pushes()) == sent
    push_service.reset()


async def test_other_4xx_is_a_final_failure(push_api, push_admin_token, push_service):
    org = await one_responder_org(push_api, push_admin_token, push_service)
    push_service.answer_next(413)
    alarm = await raise_red(push_api, org.staff)
    failed = (await wait_events(push_api, alarm["id"], org.staff, "push.failed", 1))[0]
    assert failed["data"]["http_status"] == 413
    await asyncio.sleep(1.5)
    assert len(push_service.pushes()) == 1
    listed = await push_api.get("/push/subscriptions", headers=org.responders[0].headers)
    assert len(listed.json()) == 1


async def test_a_redirect_to_another_host_is_not_followed(push_api, push_admin_token,
                                                          push_service):
    org = await one_responder_org(push_api, push_admin_token, push_service)
    with FakePushService() as elsewhere:
        target = elsewhere.subscription()
        push_service.redirect_next(target.endpoint)
        alarm = await raise_red(push_api, org.staff)
        failed = (await wait_events(push_api, alarm["id"], org.staff, "push.failed", 1))[0]
        assert failed["data"]["http_status"] == 307
        assert failed["data"]["reason"] == "redirect_refused"
        await asyncio.sleep(1)
        assert elsewhere.paths == []
    assert len(push_service.pushes()) == 1


async def test_an_origin_no_longer_allowed_is_never_called(
        new_database, tmp_path, push_service):
    """Stored while allowed; after a restart with TRYGG_PUSH_ENDPOINTS without it, the pushes
    fail without a request."""
    database_url = await new_database()
    allowed = server_settings(database_url, tmp_path / "a",
                              push_endpoints=push_endpoints(push_service))
    first = LiveServer(allowed)
    await first.start()
    try:
        async with httpx.AsyncClient(base_url=first.api_url, timeout=30) as api:
            org = await one_responder_org(api, await create_admin_token(first), push_service)
    finally:
        await first.stop()
    second = LiveServer(server_settings(database_url, tmp_path / "b"))  # the default origins
    await second.start()
    try:
        async with httpx.AsyncClient(base_url=second.api_url, timeout=30) as api:
            alarm = await raise_red(api, org.staff)
            failed = (await wait_events(api, alarm["id"], org.staff, "push.failed", 1))[0]
            assert failed["data"]["reason"] == "endpoint_not_allowed"
            assert failed["data"]["http_status"] is None
    finally:
        await second.stop()
    assert push_service.paths == []
