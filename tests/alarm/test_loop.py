"""The core loop: raise, deliver to the office's responders only, acknowledge, timeline."""

import asyncio
import uuid

from tests.helpers import raise_alarm


async def test_alarm_reaches_each_office_responder_and_nobody_else(connect, api, org):
    responder = await connect(org["responder"].token)
    responder2 = await connect(org["responder2"].token)
    manager = await connect(org["manager"].token)
    outsider = await connect(org["other_responder"].token)
    bystander = await connect(org["other_staff"].token)

    response = await raise_alarm(api, org["staff"], level="red", room_id=org.room["id"])
    assert response.status_code == 201, response.text
    alarm = response.json()

    for client in (responder, responder2, manager):
        frame = await client.event("alarm.raised")
        assert frame["alarm"]["id"] == alarm["id"]
        assert frame["alarm"]["level"] == "red"
        assert frame["alarm"]["room"] == {"id": org.room["id"], "name": org.room["name"]}
        assert frame["seq"] == frame["event"]["seq"]
    assert await outsider.events_for(0.5) == []
    assert await bystander.events_for(0.1) == []


async def test_acknowledge_is_seen_by_the_raiser_and_timeline_is_in_order(connect, api, org):
    raiser = await connect(org["staff"].token)
    responder = await connect(org["responder"].token)

    alarm = (await raise_alarm(api, org["staff"], level="yellow")).json()
    raised = await responder.event("alarm.raised")
    await responder.send({"type": "received", "alarm_id": alarm["id"]})
    delivered = await raiser.event("alarm.delivered")
    assert delivered["alarm"]["delivered_to"] == 1
    assert delivered["event"]["data"] == {"user_id": org["responder"].id, "channel": "websocket"}

    ack = await api.post(f"/alarms/{alarm['id']}/acknowledge", json={},
                         headers=org["responder"].headers)
    assert ack.status_code == 200, ack.text
    assert ack.json()["status"] == "responding"
    seen = await raiser.event("alarm.acknowledged")
    assert seen["alarm"]["status"] == "responding"
    assert [r["full_name"] for r in seen["alarm"]["responders"]] == ["Rune Responder"]
    assert seen["event"]["actor"] == {"id": org["responder"].id, "full_name": "Rune Responder"}

    resolved = await api.post(f"/alarms/{alarm['id']}/resolve", json={"summary": "Rolig igjen"},
                              headers=org["responder"].headers)
    assert resolved.json()["status"] == "resolved"

    timeline = (await api.get(f"/alarms/{alarm['id']}", headers=org["manager"].headers)).json()
    types = [e["type"] for e in timeline["events"]]
    assert types == ["alarm.raised", "alarm.delivered", "alarm.acknowledged", "alarm.resolved"]
    seqs = [e["seq"] for e in timeline["events"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert seqs[0] == raised["seq"]
    assert timeline["close_reason"] == "Rolig igjen"


async def test_retry_with_same_id_notifies_nobody_twice(connect, api, org):
    responder = await connect(org["responder"].token)
    alarm_id = str(uuid.uuid4())
    first = await raise_alarm(api, org["staff"], id=alarm_id, level="red")
    second = await raise_alarm(api, org["staff"], id=alarm_id, level="red")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == alarm_id == first.json()["id"]
    raised = [f for f in await responder.events_for(1.0) if f["event"]["type"] == "alarm.raised"]
    assert [f["alarm"]["id"] for f in raised] == [alarm_id]
    timeline = (await api.get(f"/alarms/{alarm_id}", headers=org["staff"].headers)).json()
    assert [e["type"] for e in timeline["events"]] == ["alarm.raised"]


async def test_concurrent_retries_store_one_alarm(connect, api, org):
    alarm_id = str(uuid.uuid4())
    responses = await asyncio.gather(*(raise_alarm(api, org["staff"], id=alarm_id)
                                       for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    timeline = (await api.get(f"/alarms/{alarm_id}", headers=org["staff"].headers)).json()
    assert [e["type"] for e in timeline["events"]] == ["alarm.raised"]


async def test_same_id_from_another_user_is_a_conflict(api, org):
    alarm_id = str(uuid.uuid4())
    assert (await raise_alarm(api, org["staff"], id=alarm_id)).status_code == 201
    other = await raise_alarm(api, org["other_staff"], id=alarm_id)
    assert other.status_code == 409
    assert other.json()["error"] == "alarm_id_taken"


async def test_acting_on_a_closed_alarm_is_a_conflict(api, org):
    alarm = (await raise_alarm(api, org["staff"])).json()
    cancel = await api.post(f"/alarms/{alarm['id']}/cancel", json={"reason": "Falsk alarm"},
                            headers=org["staff"].headers)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    for action, body, person in (("acknowledge", {}, "responder"), ("upgrade", {"level": "red"}, "staff"),
                                 ("cancel", {"reason": "igjen"}, "staff"),
                                 ("resolve", {}, "responder")):
        response = await api.post(f"/alarms/{alarm['id']}/{action}", json=body,
                                  headers=org[person].headers)
        assert response.status_code == 409, (action, response.text)
        assert response.json()["error"] == "alarm_closed"


async def test_upgrade_yellow_to_red_is_logged_and_acknowledge_twice_is_harmless(api, org):
    alarm = (await raise_alarm(api, org["staff"], level="yellow")).json()
    up = await api.post(f"/alarms/{alarm['id']}/upgrade", json={"level": "red"},
                        headers=org["staff"].headers)
    assert up.status_code == 200 and up.json()["level"] == "red"
    again = await api.post(f"/alarms/{alarm['id']}/upgrade", json={"level": "red"},
                           headers=org["staff"].headers)
    assert again.status_code == 409
    for _ in range(2):
        ack = await api.post(f"/alarms/{alarm['id']}/acknowledge", json={},
                             headers=org["responder"].headers)
        assert ack.status_code == 200
    timeline = (await api.get(f"/alarms/{alarm['id']}", headers=org["staff"].headers)).json()
    types = [e["type"] for e in timeline["events"]]
    # The answer counts as a delivery too (once).
    assert types == ["alarm.raised", "alarm.upgraded", "alarm.delivered", "alarm.acknowledged"]
    assert timeline["events"][1]["data"] == {"from": "yellow", "to": "red"}
    assert len(timeline["responders"]) == 1


async def test_test_alarm_reaches_only_the_raiser_and_marks_the_device(connect, api, org):
    device = await api.post("/devices", json={"user_id": org["staff"].id, "kind": "desktop",
                                              "room_id": org.room["id"]},
                            headers=org["staff"].headers)
    assert device.status_code == 201, device.text
    token = device.json()["token"]
    assert device.json()["last_test_at"] is None
    raiser = await connect(token)
    responder = await connect(org["responder"].token)
    manager = await connect(org["manager"].token)
    response = await api.post("/alarms", json={"level": "yellow", "mode": "test"},
                              headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    alarm = response.json()
    assert alarm["device_id"] == device.json()["id"]
    assert alarm["room"]["id"] == org.room["id"]
    frame = await raiser.event("alarm.raised")
    assert frame["alarm"]["mode"] == "test"
    assert await responder.events_for(0.5) == []
    assert await manager.events_for(0.1) == []
    devices = (await api.get("/devices", headers=org["staff"].headers)).json()
    tested = next(d for d in devices if d["id"] == device.json()["id"])
    assert tested["last_test_at"] is not None


async def test_drill_reaches_responders_marked_as_drill(connect, api, org):
    responder = await connect(org["responder"].token)
    await raise_alarm(api, org["staff"], level="red", mode="drill")
    frame = await responder.event("alarm.raised")
    assert frame["alarm"]["mode"] == "drill"
    assert frame["event"]["data"]["mode"] == "drill"


async def test_raise_answers_and_sends_the_alarm_as_a_later_read_shows_it(connect, api, org):
    device = (await api.post("/devices", json={"user_id": org["staff"].id, "kind": "desktop",
                                               "room_id": org.room["id"]},
                             headers=org["staff"].headers)).json()
    responder = await connect(org["responder"].token)
    raised = [
        await raise_alarm(api, org["staff"], level="red", room_id=org.room["id"],
                          location_note="Ved resepsjonen",
                          position={"lat": 59.91, "lon": 10.75, "accuracy_m": 12}),
        await api.post("/alarms", json={"level": "yellow", "silent": True},
                       headers={"Authorization": f"Bearer {device['token']}"}),
    ]
    for response in raised:
        assert response.status_code == 201, response.text
        answer = response.json()
        frame = await responder.event("alarm.raised")
        stored = (await api.get(f"/alarms/{answer['id']}", headers=org["staff"].headers)).json()
        stored.pop("events")
        assert answer == frame["alarm"] == stored
        assert answer["room"] == {"id": org.room["id"], "name": org.room["name"]}
        assert answer["raised_by"] == {"id": org["staff"].id, "full_name": org["staff"].full_name}
        assert (answer["responders"], answer["deliveries"], answer["delivered_to"]) == ([], [], 0)
