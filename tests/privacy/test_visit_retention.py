"""Retention reaches home visits: an ended visit older than the office's period loses its
worker, place and positions (also in its events); a newer one keeps them."""

import json
import uuid
from datetime import timedelta

from sqlalchemy import select

from app.alarm.models import AlarmEvent
from app.privacy import retention
from app.privacy.models import ANONYMOUS_USER_ID
from app.visit.models import Visit
from tests.visit.conftest import at

PLACE = "Fjellveien 12, Bergen"
POSITION = {"lat": 60.39, "lon": 5.32, "accuracy_m": 15.0}


async def ended_visit(api, person) -> str:
    started = await api.post("/visits", json={"place": PLACE, "expected_end": at(3600),
                                              "position": POSITION}, headers=person.headers)
    assert started.status_code == 201, started.text
    visit_id = started.json()["id"]
    checked = await api.post(f"/visits/{visit_id}/check-in", json={"position": POSITION},
                             headers=person.headers)
    assert checked.status_code == 200, checked.text
    assert (await api.post(f"/visits/{visit_id}/end", json={},
                           headers=person.headers)).status_code == 200
    return visit_id


async def test_retention_anonymises_old_ended_visits_and_keeps_new_ones(server, api, fresh_org):
    worker = fresh_org["staff"]
    old, new = await ended_visit(api, worker), await ended_visit(api, worker)
    async with server.app.state.sessionmaker() as session:
        visit = await session.get(Visit, uuid.UUID(old))
        visit.started_at -= timedelta(days=400)
        visit.ended_at -= timedelta(days=400)
        await session.commit()

    await retention.run(server.app.state.sessionmaker, default_days=365)

    async with server.app.state.sessionmaker() as session:
        gone, kept = await session.get(Visit, uuid.UUID(old)), await session.get(Visit, uuid.UUID(new))
        assert gone.user_id == ANONYMOUS_USER_ID and gone.place != PLACE and gone.position is None
        assert gone.status == "ended" and gone.ended_at is not None  # the figures stay right
        assert kept.user_id == uuid.UUID(worker.id) and kept.place == PLACE
        for visit_id, anonymised in ((old, True), (new, False)):
            events = (await session.scalars(select(AlarmEvent).where(
                AlarmEvent.visit_id == uuid.UUID(visit_id)).order_by(AlarmEvent.seq))).all()
            assert [e.type for e in events][:2] == ["visit.started", "visit.checked_in"]
            stored = json.dumps([[e.actor_name, e.data, e.visit_snapshot] for e in events])
            for personal in (PLACE, worker.full_name, str(POSITION["lat"])):
                assert (personal in stored) is not anonymised, (visit_id, personal)
