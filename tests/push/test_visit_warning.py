"""A home visit's check-in warning reaches the worker's phone with the page closed (Web Push)."""

from tests.push.conftest import wait_pushes
from tests.visit.conftest import at


async def test_a_due_visit_pushes_its_warning_to_the_worker_only(push_api, push_org, push_service):
    worker = push_org.staff
    started = await push_api.post("/visits", json={"place": "Storgata 1", "expected_end": at(2)},
                                  headers=worker.headers)
    assert started.status_code == 201, started.text
    visit = started.json()
    try:
        [push] = await wait_pushes(push_service, 1, token=push_org.browser(worker).token,
                                   timeout=20)
    finally:
        ended = await push_api.post(f"/visits/{visit['id']}/end", json={}, headers=worker.headers)
        assert ended.status_code == 200, ended.text
    assert push.payload["type"] == "event" and push.payload["alarm"] is None
    assert push.payload["event"]["type"] == "visit.due"
    assert push.payload["visit"]["id"] == visit["id"]
    assert push.payload["visit"]["warned_at"] is not None
    assert push.headers["topic"] == "v" + visit["id"].replace("-", "")[:31]
    assert push.headers["urgency"] == "high"
    # Nobody else is told of a warning: the office hears only if the grace runs out too.
    others = [p for p in push_service.received if p.token != push_org.browser(worker).token]
    assert others == []
