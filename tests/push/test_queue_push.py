"""Other domains push through `queue_push` (a home visit's `visit.due` to the worker)."""

import uuid

from app.db import commit
from app.push import service
from tests.push.conftest import wait_pushes


async def test_queue_push_sends_a_payload_not_about_an_alarm(push_server, push_org, push_service):
    worker = push_org.staff
    payload = {"type": "event", "seq": 1, "alarm": None,
               "event": {"type": "visit.due", "data": {"visit_id": str(uuid.uuid4())}},
               "visit": {"place": "Hjemmebesøk"}}
    async with push_server.app.state.sessionmaker() as session:
        queued = await service.queue_push(session, user_ids=[uuid.UUID(worker.id)],
                                          payload=payload, topic="visitdue")
        await commit(session)
    assert queued == 1
    push_server.app.state.dispatcher.wake()
    [push] = await wait_pushes(push_service, 1)
    assert push.token == push_org.browser(worker).token
    assert push.payload == payload
    assert push.headers["topic"] == "visitdue" and push.headers["ttl"] == "300"


async def test_a_payload_over_3800_bytes_is_refused_before_anything_is_stored(push_server,
                                                                              push_org):
    async with push_server.app.state.sessionmaker() as session:
        try:
            await service.queue_push(session, user_ids=[uuid.UUID(push_org.staff.id)],
                                     payload={"type": "event", "pad": "x" * 3800})
        except ValueError as exc:
            assert "3800" in str(exc)
        else:
            raise AssertionError("a 3,800+ byte payload was queued")
