"""Incident follow-up endpoints: who may use them, bad input, and the audit log of reads."""

import uuid

import pytest

from tests.helpers import raise_alarm


async def closed_alarm(api, org, *, mode: str = "real", level: str = "yellow") -> str:
    alarm_id = str(uuid.uuid4())
    response = await raise_alarm(api, org["staff"], id=alarm_id, level=level, mode=mode,
                                 room_id=org.room["id"])
    assert response.status_code == 201, response.text
    await api.post(f"/alarms/{alarm_id}/acknowledge", json={}, headers=org["responder"].headers)
    response = await api.post(f"/alarms/{alarm_id}/resolve", json={},
                              headers=org["responder"].headers)
    assert response.status_code == 200, response.text
    return alarm_id


def entry(alarm: dict, **changes) -> dict:
    body = {"occurred_at": alarm["raised_at"], "work_activity": "Samtale ved skranken",
            "sequence_of_events": "Kunden truet saksbehandler.", "presumed_causes": "Avslag",
            "injury": "none", "police_notified": False, "deviation_ref": "AV-1"}
    return {**body, **changes}


async def audit_reads(api, org, alarm_id: str) -> list[dict]:
    response = await api.get(f"/audit?object_id={alarm_id}", headers=org.admin_headers)
    assert response.status_code == 200, response.text
    return [e for e in response.json() if e["action"] == "incident.read"]


async def test_manager_records_incident_and_every_read_is_audited(api, org):
    alarm_id = await closed_alarm(api, org)
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    manager = org["manager"]

    blank = await api.get(f"/alarms/{alarm_id}/incident", headers=manager.headers)
    assert blank.status_code == 200
    assert blank.json()["recorded"] is False and blank.json()["debriefs"] == []

    saved = await api.put(f"/alarms/{alarm_id}/incident", json=entry(alarm), headers=manager.headers)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["recorded"] and body["deviation_ref"] == "AV-1"
    assert body["updated_by"]["id"] == manager.id
    assert body["notification_duty"] == {"required": False, "labour_inspection_done": False,
                                         "police_done": False, "outstanding": False}

    await api.get(f"/alarms/{alarm_id}/incident", headers=org.admin_headers)
    reads = await audit_reads(api, org, alarm_id)  # newest first
    admin = (await api.get("/me", headers=org.admin_headers)).json()
    assert [r["actor_id"] for r in reads] == [admin["id"], manager.id]
    assert reads[1]["actor_name"] == manager.full_name
    assert all(r["object_type"] == "incident" and r["office_id"] == org.office["id"] for r in reads)
    # A manager sees their own office's access log; changes are logged too.
    own = (await api.get(f"/audit?object_id={alarm_id}", headers=manager.headers)).json()
    assert sorted(e["action"] for e in own) == ["alarm.read", "incident.read", "incident.read",
                                                "incident.update"]
    assert (await api.get("/audit", headers=org["staff"].headers)).status_code == 403


async def test_serious_injury_tracks_the_duty_to_notify(api, org):
    alarm_id = await closed_alarm(api, org, level="red")
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    url = f"/alarms/{alarm_id}/incident"
    body = (await api.put(url, json=entry(alarm, injury="serious"),
                          headers=org["manager"].headers)).json()
    assert body["notification_duty"] == {"required": True, "labour_inspection_done": False,
                                         "police_done": False, "outstanding": True}
    body = (await api.put(url, json=entry(alarm, injury="serious",
                                          labour_inspection_notified_at=alarm["closed_at"],
                                          police_notified_at=alarm["closed_at"]),
                          headers=org["manager"].headers)).json()
    assert body["notification_duty"]["outstanding"] is False
    assert body["police_notified"] is True


async def test_debriefs_and_tasks(api, org):
    alarm_id = await closed_alarm(api, org)
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    headers = org["manager"].headers
    base = f"/alarms/{alarm_id}/incident"

    early = await api.post(f"{base}/debriefs", json={"participants": "Siri"}, headers=headers)
    assert early.status_code == 409 and early.json()["error"] == "incident_not_recorded"
    await api.put(base, json=entry(alarm), headers=headers)

    debrief = await api.post(f"{base}/debriefs", json={"participants": "Siri, Rune"},
                             headers=headers)
    assert debrief.status_code == 201, debrief.text
    assert debrief.json()["held_at"] is None and debrief.json()["overdue"] is False
    held = await api.patch(f"{base}/debriefs/{debrief.json()['id']}",
                           json={"held_at": alarm["closed_at"], "notes": "Greit"}, headers=headers)
    assert held.status_code == 200 and held.json()["notes"] == "Greit"

    task = await api.post(f"{base}/tasks", json={"title": "Ny alarmknapp",
                                                  "owner_id": org["manager"].id}, headers=headers)
    assert task.status_code == 201, task.text
    assert task.json()["owner"]["full_name"] == org["manager"].full_name
    done = await api.patch(f"{base}/tasks/{task.json()['id']}", json={"done": True},
                           headers=headers)
    assert done.status_code == 200 and done.json()["done_at"] is not None

    incident = (await api.get(base, headers=headers)).json()
    assert incident["debrief_overdue"] is False
    assert len(incident["debriefs"]) == 1 and len(incident["tasks"]) == 1

    missing = await api.patch(f"{base}/tasks/{uuid.uuid4()}", json={"done": True}, headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


@pytest.mark.parametrize("who,status", [
    ("staff", 403), ("responder", 403), ("other_manager", 404), ("other_responder", 404),
])
async def test_only_the_offices_managers_and_admins_follow_up(api, org, who, status):
    alarm_id = await closed_alarm(api, org)
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    person = org[who]
    for method, path, body in (
        ("GET", "incident", None), ("PUT", "incident", entry(alarm)),
        ("POST", "incident/debriefs", {"participants": "x"}),
        ("POST", "incident/tasks", {"title": "x", "owner_id": org["manager"].id}),
    ):
        response = await api.request(method, f"/alarms/{alarm_id}/{path}", json=body,
                                     headers=person.headers)
        assert response.status_code == status, (who, method, path, response.text)
        assert set(response.json()) == {"error", "detail"}
    assert await audit_reads(api, org, alarm_id) == []
    unauthenticated = await api.get(f"/alarms/{alarm_id}/incident")
    assert unauthenticated.status_code == 401


async def test_open_alarms_and_drills_have_no_incident(api, org):
    open_id = str(uuid.uuid4())
    await raise_alarm(api, org["staff"], id=open_id)
    response = await api.get(f"/alarms/{open_id}/incident", headers=org["manager"].headers)
    assert response.status_code == 409 and response.json()["error"] == "alarm_open"
    drill_id = await closed_alarm(api, org, mode="drill")
    response = await api.get(f"/alarms/{drill_id}/incident", headers=org["manager"].headers)
    assert response.status_code == 409 and response.json()["error"] == "not_a_real_alarm"
    await api.post(f"/alarms/{open_id}/cancel", json={"reason": "test"},
                   headers=org["staff"].headers)


@pytest.mark.parametrize("change", [
    {"injury": "dead"},
    {"occurred_at": "yesterday"},
    {"occurred_at": "2026-01-01T10:00:00"},  # no offset
    {"occurred_at": "2999-01-01T10:00:00+00:00"},  # in the future
    {"work_activity": "a\x00b"},
    {"deviation_ref": "x" * 201},
    {"police_notified_at": "2000-01-01T00:00:00+00:00"},  # long before the alarm
    {"surprise": 1},
])
async def test_bad_incident_input_is_422_and_stores_nothing(api, org, change):
    alarm_id = await closed_alarm(api, org)
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    url = f"/alarms/{alarm_id}/incident"
    response = await api.put(url, json=entry(alarm, **change), headers=org["manager"].headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert isinstance(response.json()["detail"], list) and response.json()["detail"][0]["field"]
    assert (await api.get(url, headers=org["manager"].headers)).json()["recorded"] is False


async def test_bad_debrief_and_task_input_is_422_and_stores_nothing(api, org, fresh_org):
    alarm_id = await closed_alarm(api, org)
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    headers = org["manager"].headers
    base = f"/alarms/{alarm_id}/incident"
    await api.put(base, json=entry(alarm), headers=headers)
    for path, body in (
        ("debriefs", {"participants": ""}),
        ("debriefs", {"participants": "x", "scheduled_at": "not a time"}),
        ("tasks", {"title": "", "owner_id": org["manager"].id}),
        ("tasks", {"title": "x", "owner_id": "nope"}),
        ("tasks", {"title": "x", "owner_id": fresh_org["manager"].id}),  # another office
        ("tasks", {"title": "x", "owner_id": str(uuid.uuid4())}),
    ):
        response = await api.post(f"{base}/{path}", json=body, headers=headers)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["error"] == "invalid_input"
    incident = (await api.get(base, headers=headers)).json()
    assert incident["debriefs"] == [] and incident["tasks"] == []


async def test_incident_endpoints_are_in_the_openapi_schema(api, server):
    paths = (await api.get(server.base_url + "/openapi.json")).json()["paths"]
    for path in ("/api/v1/alarms/{alarm_id}/incident", "/api/v1/alarms/{alarm_id}/incident/debriefs",
                 "/api/v1/alarms/{alarm_id}/incident/tasks/{task_id}", "/api/v1/stats",
                 "/api/v1/offices/{office_id}/readiness", "/api/v1/users", "/api/v1/audit",
                 "/api/v1/exports/alarms.csv"):
        assert path in paths, path
    assert "IncidentRead" in str(paths["/api/v1/alarms/{alarm_id}/incident"]["get"])
