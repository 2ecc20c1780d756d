"""Home visits over REST: start, check in, extend, end, who sees them, and bad input that
changes nothing."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest


def at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def start(api, person, **body):
    body.setdefault("place", "Storgata 1, 2. etasje")
    body.setdefault("expected_end", at(3600))
    return await api.post("/visits", json=body, headers=person.headers)


async def events_of(api, person, visit_id):
    response = await api.get(f"/visits/{visit_id}/events", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_start_returns_an_active_visit_due_at_its_end_and_logs_visit_started(api, org):
    end = at(3600)
    response = await start(api, org["staff"], expected_end=end,
                           position={"lat": 59.91, "lon": 10.75, "accuracy_m": 20})
    assert response.status_code == 201, response.text
    visit = response.json()
    assert visit["status"] == "active" and visit["alarm_id"] is None
    assert visit["user_id"] == org["staff"].id and visit["office_id"] == org.office["id"]
    assert visit["place"] == "Storgata 1, 2. etasje" and visit["ended_at"] is None
    assert parse(visit["due_at"]) == parse(end)
    assert parse(visit["alarm_at"]) == parse(end) + timedelta(seconds=120)
    assert visit["grace_s"] == 120
    events = await events_of(api, org["staff"], visit["id"])
    assert [e["type"] for e in events] == ["visit.started"]
    assert events[0]["data"]["visit_id"] == visit["id"] and events[0]["alarm_id"] is None


async def test_retry_with_same_id_returns_the_stored_visit_and_logs_nothing_more(api, org):
    visit_id = str(uuid.uuid4())
    first = await start(api, org["staff"], id=visit_id)
    again = await start(api, org["staff"], id=visit_id, place="Somewhere else")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["place"] == first.json()["place"]
    assert len(await events_of(api, org["staff"], visit_id)) == 1
    taken = await start(api, org["other_staff"], id=visit_id)
    assert taken.status_code == 409 and taken.json()["error"] == "visit_id_taken"


async def test_check_in_moves_due_by_the_interval_and_never_past_the_end(api, org):
    visit = (await start(api, org["staff"], expected_end=at(1800),
                         check_in_interval_s=600)).json()
    assert parse(visit["due_at"]) < parse(visit["expected_end"])
    checked = await api.post(f"/visits/{visit['id']}/check-in",
                             json={"position": {"lat": 60.0, "lon": 11.0}},
                             headers=org["staff"].headers)
    assert checked.status_code == 200, checked.text
    after = checked.json()
    assert parse(after["due_at"]) > parse(visit["due_at"])
    assert parse(after["due_at"]) <= parse(visit["expected_end"])
    assert after["position"]["lat"] == 60.0 and after["last_check_in_at"] is not None
    # Without an interval the end stays due.
    plain = (await start(api, org["staff"])).json()
    same = (await api.post(f"/visits/{plain['id']}/check-in", json={},
                           headers=org["staff"].headers)).json()
    assert same["due_at"] == plain["due_at"]


async def test_extend_moves_the_end_and_end_closes_the_visit(api, org):
    visit = (await start(api, org["staff"])).json()
    later = at(7200)
    extended = await api.post(f"/visits/{visit['id']}/extend", json={"expected_end": later},
                              headers=org["staff"].headers)
    assert extended.status_code == 200, extended.text
    assert parse(extended.json()["due_at"]) == parse(later)
    ended = await api.post(f"/visits/{visit['id']}/end", headers=org["staff"].headers)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert ended.json()["ended_at"] is not None
    types = [e["type"] for e in await events_of(api, org["staff"], visit["id"])]
    assert types == ["visit.started", "visit.extended", "visit.ended"]


async def test_bad_input_is_refused_and_changes_nothing(api, org):
    staff = org["staff"]
    for body in ({"expected_end": at(-60)}, {"expected_end": at(0)},
                 {"expected_end": "2030-01-01T10:00:00"}, {"place": ""},
                 {"expected_end": at(3600), "check_in_interval_s": 5},
                 {"expected_end": at(3600), "extra": 1}):
        response = await start(api, staff, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"] in ("invalid_input", "malformed_json")
    visit = (await start(api, staff)).json()
    before = await events_of(api, staff, visit["id"])
    past = await api.post(f"/visits/{visit['id']}/extend", json={"expected_end": at(-10)},
                          headers=staff.headers)
    assert past.status_code == 422
    for person in (org["other_staff"], org["responder"], org["manager"]):
        for action, body in (("check-in", {}), ("extend", {"expected_end": at(9000)}),
                             ("end", {})):
            response = await api.post(f"/visits/{visit['id']}/{action}", json=body,
                                      headers=person.headers)
            assert response.status_code == 404, (person.full_name, action, response.text)
    assert await events_of(api, staff, visit["id"]) == before
    current = (await api.get(f"/visits/{visit['id']}", headers=staff.headers)).json()
    assert current["due_at"] == visit["due_at"] and current["status"] == "active"


async def test_check_in_extend_or_end_after_the_end_is_a_conflict(api, org):
    staff = org["staff"]
    visit = (await start(api, staff)).json()
    await api.post(f"/visits/{visit['id']}/end", headers=staff.headers)
    before = await events_of(api, staff, visit["id"])
    for action, body in (("check-in", {}), ("extend", {"expected_end": at(9000)}), ("end", {})):
        response = await api.post(f"/visits/{visit['id']}/{action}", json=body,
                                  headers=staff.headers)
        assert response.status_code == 409, (action, response.text)
        assert response.json()["error"] == "visit_ended"
    assert await events_of(api, staff, visit["id"]) == before


async def test_the_office_sees_its_visits_and_others_see_only_their_own(api, org):
    visit = (await start(api, org["staff"])).json()
    for person, sees in (("staff", True), ("responder", True), ("manager", True),
                         ("other_responder", False), ("other_manager", False),
                         ("other_staff", False)):
        listed = (await api.get("/visits", params={"status": "active"},
                                headers=org[person].headers)).json()["items"]
        assert (visit["id"] in [v["id"] for v in listed]) is sees, person
        one = await api.get(f"/visits/{visit['id']}", headers=org[person].headers)
        assert one.status_code == (200 if sees else 404), person
    mine = (await api.get("/visits", headers=org["other_staff"].headers)).json()["items"]
    assert all(v["user_id"] == org["other_staff"].id for v in mine)


async def test_only_staff_start_visits(api, org):
    response = await start(api, org["responder"])
    assert response.status_code == 403


@pytest.mark.parametrize("grace", [29, 3601, None])
async def test_office_grace_is_validated(api, org, grace):
    response = await api.patch(f"/offices/{org.office['id']}", json={"visit_grace_s": grace},
                               headers=org.admin_headers)
    assert response.status_code == 422
    office = await api.get(f"/offices/{org.office['id']}", headers=org.admin_headers)
    assert office.json()["visit_grace_s"] == 120


async def test_office_grace_applies_to_new_visits(api, admin_token, fresh_org):
    response = await api.patch(f"/offices/{fresh_org.office['id']}", json={"visit_grace_s": 30},
                               headers=fresh_org.admin_headers)
    assert response.status_code == 200 and response.json()["visit_grace_s"] == 30
    visit = (await start(api, fresh_org["staff"])).json()
    assert visit["grace_s"] == 30
    assert parse(visit["alarm_at"]) - parse(visit["due_at"]) == timedelta(seconds=30)

