"""The lone-worker timer on a real server: warned when due, a red alarm when the grace has
passed too, nothing when the worker checked in, extended or ended in time."""

from datetime import datetime

from tests.visit.conftest import at, visit_frame


async def start(api, person, **body):
    body.setdefault("place", "Fjellveien 12, Bergen")
    response = await api.post("/visits", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def events_of(api, person, visit_id):
    return (await api.get(f"/visits/{visit_id}/events",
                          headers=person.headers)).json()["items"]


async def test_missed_check_in_warns_the_worker_then_raises_a_red_alarm_for_them(
        tapi, timer_org, tconnect):
    org = timer_org
    worker, responder = await tconnect(org["staff"].token), await tconnect(org["responder"].token)
    position = {"lat": 60.39, "lon": 5.32, "accuracy_m": 15.0}
    visit = await start(tapi, org["staff"], expected_end=at(1), position=position)

    due = await visit_frame(worker, visit["id"], "visit.due")
    assert due["alarm"] is None and due["visit"]["warned_at"] is not None
    assert due["visit"]["status"] == "active"
    raised = await visit_frame(responder, visit["id"], "alarm.raised")
    alarm = raised["alarm"]
    assert alarm["level"] == "red" and alarm["mode"] == "real"
    assert alarm["raised_by"]["id"] == org["staff"].id
    assert alarm["location_note"] == visit["place"] and alarm["position"] == position
    assert alarm["visit_id"] == visit["id"]
    overdue = await visit_frame(responder, visit["id"], "visit.overdue")
    assert overdue["alarm"] is None
    assert overdue["visit"]["status"] == "overdue" and overdue["visit"]["alarm_id"] == alarm["id"]
    assert overdue["event"]["data"] == {"visit_id": visit["id"], "alarm_id": alarm["id"]}
    assert overdue["seq"] > raised["seq"] > due["seq"]

    stored = (await tapi.get(f"/visits/{visit['id']}", headers=org["manager"].headers)).json()
    assert stored["status"] == "overdue" and stored["alarm_id"] == alarm["id"]
    # The alarm's timeline tells the visit's story.
    timeline = (await tapi.get(f"/alarms/{alarm['id']}", headers=org["manager"].headers)).json()
    types = [e["type"] for e in timeline["events"]]
    assert types[:4] == ["visit.started", "visit.due", "alarm.raised", "visit.overdue"]
    seqs = [e["seq"] for e in timeline["events"]]
    assert seqs == sorted(seqs)
    # Once overdue, the worker's own buttons are too late: the office handles it.
    for action, body in (("check-in", {}), ("extend", {"expected_end": at(3600)}), ("end", {})):
        late = await tapi.post(f"/visits/{visit['id']}/{action}", json=body,
                               headers=org["staff"].headers)
        assert late.status_code == 409 and late.json()["error"] == "visit_overdue", action
    assert [e["type"] for e in await events_of(tapi, org["staff"], visit["id"])] == [
        "visit.started", "visit.due", "visit.overdue"]


async def test_check_in_during_the_warning_stops_the_alarm_and_asks_again_later(
        tapi, timer_org, tconnect):
    org = timer_org
    worker = await tconnect(org["staff"].token)
    visit = await start(tapi, org["staff"], expected_end=at(1))
    await visit_frame(worker, visit["id"], "visit.due")
    checked = await tapi.post(f"/visits/{visit['id']}/check-in", json={},
                              headers=org["staff"].headers)
    assert checked.status_code == 200, checked.text
    after = checked.json()
    assert after["warned_at"] is None and after["status"] == "active"
    assert datetime.fromisoformat(after["due_at"]) > datetime.fromisoformat(visit["due_at"])
    # Past its end with no interval, the worker is asked again, not alarmed: the next warning
    # comes after the old alarm time had passed.
    second = await visit_frame(worker, visit["id"], "visit.due")
    assert datetime.fromisoformat(second["visit"]["due_at"]) > datetime.fromisoformat(
        visit["alarm_at"])
    ended = await tapi.post(f"/visits/{visit['id']}/end", headers=org["staff"].headers)
    assert ended.status_code == 200 and ended.json()["alarm_id"] is None
    assert [e["type"] for e in await events_of(tapi, org["staff"], visit["id"])] == [
        "visit.started", "visit.due", "visit.checked_in", "visit.due", "visit.ended"]


async def test_extension_or_end_in_time_raises_nothing(tapi, timer_org, tconnect):
    org = timer_org
    worker = await tconnect(org["staff"].token)
    extended = await start(tapi, org["staff"], expected_end=at(1))
    ended = await start(tapi, org["staff"], expected_end=at(1))
    await tapi.post(f"/visits/{ended['id']}/end", headers=org["staff"].headers)
    await visit_frame(worker, extended["id"], "visit.due")
    response = await tapi.post(f"/visits/{extended['id']}/extend",
                               json={"expected_end": at(3600)}, headers=org["staff"].headers)
    assert response.status_code == 200 and response.json()["warned_at"] is None
    # A witness visit left alone goes overdue after both old deadlines: the timer has looked.
    witness = await start(tapi, org["staff"], expected_end=at(1))
    await visit_frame(worker, witness["id"], "visit.overdue", timeout=20)
    for visit, types in ((extended, ["visit.started", "visit.due", "visit.extended"]),
                         (ended, ["visit.started", "visit.ended"])):
        stored = (await tapi.get(f"/visits/{visit['id']}", headers=org["staff"].headers)).json()
        assert stored["alarm_id"] is None and stored["status"] != "overdue"
        assert [e["type"] for e in await events_of(tapi, org["staff"], visit["id"])] == types


async def test_visit_frames_reach_the_office_and_not_other_offices(tapi, timer_org, tconnect):
    org = timer_org
    watchers = {name: await tconnect(org[name].token)
                for name in ("responder", "manager", "other_responder", "other_manager",
                             "responder2")}
    visit = await start(tapi, org["staff"], expected_end=at(3600))
    for name in ("responder", "manager", "responder2"):
        frame = await visit_frame(watchers[name], visit["id"], "visit.started")
        assert frame["alarm"] is None and frame["visit"]["place"] == visit["place"]
        assert frame["event"]["visit_id"] == visit["id"] and frame["event"]["alarm_id"] is None
    # A later event of the office reaches the others only if it is theirs: nothing of this visit.
    await tapi.post(f"/visits/{visit['id']}/end", headers=org["staff"].headers)
    await visit_frame(watchers["responder"], visit["id"], "visit.ended")
    for name in ("other_responder", "other_manager"):
        seen = await watchers[name].events_for(1)
        assert not [f for f in seen if f.get("visit")], name


async def test_resume_replays_visit_events_to_the_office_only(tapi, timer_org, tconnect):
    org = timer_org
    responder = await tconnect(org["responder"].token)
    after = responder.hello["seq"]
    visit = await start(tapi, org["staff"], expected_end=at(3600))
    await tapi.post(f"/visits/{visit['id']}/check-in", json={}, headers=org["staff"].headers)
    await tapi.post(f"/visits/{visit['id']}/end", headers=org["staff"].headers)
    for name, expected in (("responder2", ["visit.started", "visit.checked_in", "visit.ended"]),
                           ("other_responder", [])):
        again = await tconnect(org[name].token)
        await again.send({"type": "resume", "after_seq": after})
        frames = await again.events_for(1.5)
        got = [f["event"]["type"] for f in frames if (f.get("visit") or {}).get("id") == visit["id"]]
        assert got == expected, name


async def test_hello_lists_the_open_visits_the_user_may_see(tapi, timer_org, tconnect):
    org = timer_org
    visit = await start(tapi, org["staff"], expected_end=at(3600))

    def listed(client):
        return [v["id"] for v in client.hello["open_visits"]]

    for name in ("staff", "responder", "manager"):
        assert visit["id"] in listed(await tconnect(org[name].token)), name
    for name in ("other_responder", "other_manager", "other_staff"):
        assert visit["id"] not in listed(await tconnect(org[name].token)), name
    watcher = await tconnect(org["responder"].token)
    await tapi.post(f"/visits/{visit['id']}/end", headers=org["staff"].headers)
    await visit_frame(watcher, visit["id"], "visit.ended")
    assert visit["id"] not in listed(await tconnect(org["responder"].token))


async def test_an_overdue_visit_stays_in_hello_until_its_alarm_closes(tapi, timer_org, tconnect):
    org = timer_org
    watcher = await tconnect(org["responder"].token)
    visit = await start(tapi, org["staff"], expected_end=at(1))
    overdue = await visit_frame(watcher, visit["id"], "visit.overdue")
    later = await tconnect(org["responder"].token)
    (shown,) = [v for v in later.hello["open_visits"] if v["id"] == visit["id"]]
    assert shown["status"] == "overdue"
    alarm_id = overdue["visit"]["alarm_id"]
    assert alarm_id in [a["id"] for a in later.hello["open_alarms"]]
    resolved = await tapi.post(f"/alarms/{alarm_id}/resolve", json={},
                               headers=org["responder"].headers)
    assert resolved.status_code == 200, resolved.text
    await watcher.event("alarm.resolved")
    assert visit["id"] not in [v["id"] for v in (await tconnect(org["responder"].token))
                               .hello["open_visits"]]
