"""Statistics, readiness, the CSV export and the user list."""

import csv
import io
import uuid

from tests.helpers import raise_alarm


async def alarm(api, org, *, level="yellow", mode="real", ack=True) -> str:
    alarm_id = str(uuid.uuid4())
    assert (await raise_alarm(api, org["staff"], id=alarm_id, level=level, mode=mode,
                              room_id=org.room["id"])).status_code == 201
    if ack:
        await api.post(f"/alarms/{alarm_id}/acknowledge", json={}, headers=org["responder"].headers)
    await api.post(f"/alarms/{alarm_id}/resolve", json={}, headers=org["staff"].headers)
    return alarm_id


async def test_stats_count_by_month_and_level_with_drills_apart_and_tests_left_out(api, fresh_org):
    org = fresh_org
    await alarm(api, org, level="yellow")
    await alarm(api, org, level="red")
    await alarm(api, org, level="red", ack=False)
    await alarm(api, org, mode="drill")
    await alarm(api, org, mode="test", ack=False)
    response = await api.get("/stats", headers=org["manager"].headers)
    assert response.status_code == 200, response.text
    data = response.json()
    by_mode = {m["mode"]: m for m in data["months"]}
    assert set(by_mode) == {"real", "drill"}
    assert (by_mode["real"]["yellow"], by_mode["real"]["red"]) == (1, 2)
    assert (by_mode["drill"]["yellow"], by_mode["drill"]["red"]) == (1, 0)
    real = next(a for a in data["ack_times"] if a["mode"] == "real")
    assert (real["alarms"], real["acknowledged"]) == (3, 2)
    assert real["office_id"] == org.office["id"]
    assert 0 <= real["median_s"] <= real["p90_s"] < 30


async def test_stats_roles(api, org):
    assert (await api.get("/stats", headers=org["staff"].headers)).status_code == 403
    assert (await api.get("/stats", headers=org["responder"].headers)).status_code == 403
    other = await api.get(f"/stats?office_id={org.other_office['id']}", headers=org["manager"].headers)
    assert other.status_code == 403 and set(other.json()) == {"error", "detail"}
    assert (await api.get("/stats", headers=org.admin_headers)).status_code == 200
    bad = await api.get("/stats?since=yesterday", headers=org["manager"].headers)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_input"


async def test_readiness_lists_every_device_and_who_is_online(api, fresh_org, connect):
    org = fresh_org
    enrolled = await api.post("/devices", json={"user_id": org["responder"].id, "kind": "mobile",
                                                "label": "Runes telefon"},
                              headers=org["responder"].headers)
    assert enrolled.status_code == 201
    idle = await api.post("/devices", json={"user_id": org["staff"].id, "kind": "desktop",
                                            "room_id": org.room["id"]}, headers=org.admin_headers)
    # A function test from the desktop counts as its last passed test.
    await api.post("/alarms", json={"level": "yellow", "mode": "test"},
                   headers={"Authorization": f"Bearer {idle.json()['token']}"})
    await connect(enrolled.json()["token"])
    url = f"/offices/{org.office['id']}/readiness"
    response = await api.get(url, headers=org["manager"].headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["test_interval_days"] == 30 and data["responders_online"] == 1
    devices = {d["id"]: d for d in data["devices"]}
    phone, desk = devices[enrolled.json()["id"]], devices[idle.json()["id"]]
    assert phone["online"] and phone["test_overdue"] and phone["last_seen_at"]
    assert not desk["online"] and not desk["test_overdue"] and desk["room"] == org.room["name"]
    online = {r["full_name"]: r["online"] for r in data["responders"]}
    assert online == {org["responder"].full_name: True, org["responder2"].full_name: False}

    policy = await api.put(f"/offices/{org.office['id']}/readiness-policy",
                           json={"test_interval_days": 7}, headers=org.admin_headers)
    assert policy.status_code == 200
    assert (await api.get(url, headers=org["manager"].headers)).json()["test_interval_days"] == 7
    for body in ({"test_interval_days": 0}, {"test_interval_days": "x"}, {}):
        bad = await api.put(f"/offices/{org.office['id']}/readiness-policy", json=body,
                            headers=org.admin_headers)
        assert bad.status_code == 422 and bad.json()["error"] == "invalid_input"
    assert (await api.get(url, headers=org["manager"].headers)).json()["test_interval_days"] == 7
    denied = await api.put(f"/offices/{org.office['id']}/readiness-policy",
                           json={"test_interval_days": 3}, headers=org["manager"].headers)
    assert denied.status_code == 403
    assert (await api.get(url, headers=org["responder"].headers)).status_code == 403
    assert (await api.get(url, headers=org["other_manager"].headers)).status_code == 404


async def test_csv_export_follows_the_filters_and_defuses_formulas(api, fresh_org):
    org = fresh_org
    red = await alarm(api, org, level="red")
    await alarm(api, org, level="yellow")
    cancelled = str(uuid.uuid4())
    await raise_alarm(api, org["staff"], id=cancelled, level="red")
    await api.post(f"/alarms/{cancelled}/cancel", json={"reason": "=HYPERLINK(\"x\")"},
                   headers=org["staff"].headers)
    response = await api.get("/exports/alarms.csv?level=red", headers=org["manager"].headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["id"] for r in rows} == {red, cancelled}
    by_id = {r["id"]: r for r in rows}
    assert by_id[cancelled]["close_reason"].startswith("'=")
    assert by_id[red]["responders"] == org["responder"].full_name
    assert (await api.get("/exports/alarms.csv", headers=org["staff"].headers)).status_code == 403
    bad = await api.get("/exports/alarms.csv?level=green", headers=org["manager"].headers)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_input"


async def test_user_list_and_role_changes(api, fresh_org):
    org = fresh_org
    listed = await api.get("/users", headers=org["manager"].headers)
    assert listed.status_code == 200
    assert {u["office_id"] for u in listed.json()} == {org.office["id"]}
    assert (await api.get("/users", headers=org["staff"].headers)).status_code == 403
    assert (await api.get(f"/users?office_id={org.other_office['id']}",
                          headers=org["manager"].headers)).status_code == 403
    staff = org["staff"]
    changed = await api.patch(f"/users/{staff.id}", json={"roles": ["responder", "staff"]},
                              headers=org.admin_headers)
    assert changed.status_code == 200 and changed.json()["roles"] == ["staff", "responder"]
    for body in ({"roles": []}, {"roles": ["boss"]}, {"phone": "12345"}, {"is_active": None},
                 {"office_id": None}):
        bad = await api.patch(f"/users/{staff.id}", json=body, headers=org.admin_headers)
        assert bad.status_code == 422, (body, bad.text)
        assert bad.json()["error"] == "invalid_input"
    assert (await api.patch(f"/users/{staff.id}", json={"roles": ["admin"]},
                            headers=org["manager"].headers)).status_code == 403
    users = {u["id"]: u for u in (await api.get("/users", headers=org["manager"].headers)).json()}
    assert users[staff.id]["roles"] == ["staff", "responder"] and users[staff.id]["is_active"]
