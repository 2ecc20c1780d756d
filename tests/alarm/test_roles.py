"""Answering together: roles handed out in order, chosen, changed; an answer counts as a
delivery."""

from tests.helpers import create_person, raise_alarm


async def ack(api, alarm, person, **body):
    response = await api.post(f"/alarms/{alarm['id']}/acknowledge", json=body,
                              headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


def roles_of(alarm):
    return {r["user_id"]: r["role"] for r in alarm["responders"]}


async def test_red_alarm_hands_out_go_police_reception_then_go(api, org):
    third = await create_person(api, org.admin_token, roles=["responder"],
                                office_id=org.office["id"], name="Tor Third")
    fourth = await create_person(api, org.admin_token, roles=["manager"],
                                 office_id=org.office["id"], name="Frid Fourth")
    alarm = (await raise_alarm(api, org["staff"], level="red")).json()
    assert alarm["answer_summary"] is None
    answers = [org["responder"], org["responder2"], third, fourth]
    for person in answers:
        latest = await ack(api, alarm, person)
    assert [roles_of(latest)[p.id] for p in answers] == ["go", "police", "reception", "go"]
    assert latest["role_counts"] == {"go": 2, "police": 1, "reception": 1}
    assert latest["answer_summary"] == "2 kommer, politiet varslet, 1 tar resepsjonen"
    detail = (await api.get(f"/alarms/{alarm['id']}", headers=org["staff"].headers)).json()
    acked = [e for e in detail["events"] if e["type"] == "alarm.acknowledged"]
    assert [e["data"]["role"] for e in acked] == ["go", "police", "reception", "go"]


async def test_a_chosen_role_is_kept_and_the_next_gets_the_one_still_missing(api, org):
    alarm = (await raise_alarm(api, org["staff"], level="red")).json()
    first = await ack(api, alarm, org["responder"], role="police")
    assert roles_of(first)[org["responder"].id] == "police"
    second = await ack(api, alarm, org["responder2"])
    assert roles_of(second)[org["responder2"].id] == "go"
    assert second["answer_summary"] == "1 kommer, politiet varslet"


async def test_yellow_alarm_hands_out_go(api, org):
    alarm = (await raise_alarm(api, org["staff"], level="yellow")).json()
    await ack(api, alarm, org["responder"])
    latest = await ack(api, alarm, org["responder2"])
    assert set(roles_of(latest).values()) == {"go"}


async def test_repeating_keeps_the_role_and_another_role_is_a_new_event(api, org):
    alarm = (await raise_alarm(api, org["staff"], level="red")).json()
    await ack(api, alarm, org["responder"])
    again = await ack(api, alarm, org["responder"])
    assert roles_of(again)[org["responder"].id] == "go"
    changed = await ack(api, alarm, org["responder"], role="reception")
    assert roles_of(changed)[org["responder"].id] == "reception"
    events = (await api.get(f"/alarms/{alarm['id']}",
                            headers=org["staff"].headers)).json()["events"]
    types = [e["type"] for e in events]
    assert types.count("alarm.acknowledged") == 1
    change = [e for e in events if e["type"] == "alarm.role_changed"]
    assert len(change) == 1 and change[0]["data"]["from"] == "go"
    assert change[0]["data"]["to"] == "reception"
    # The first acknowledgement is not rewritten.
    assert [e for e in events if e["type"] == "alarm.acknowledged"][0]["data"]["role"] == "go"


async def test_an_unknown_role_is_refused_and_changes_nothing(api, org):
    alarm = (await raise_alarm(api, org["staff"], level="red")).json()
    for body in ({"role": "hero"}, {"role": None, "x": 1}, {"role": ""}):
        response = await api.post(f"/alarms/{alarm['id']}/acknowledge", json=body,
                                  headers=org["responder"].headers)
        assert response.status_code == 422, body
    stored = (await api.get(f"/alarms/{alarm['id']}", headers=org["staff"].headers)).json()
    assert stored["responders"] == [] and stored["status"] == "active"
    assert [e["type"] for e in stored["events"]] == ["alarm.raised"]


async def test_an_answer_counts_as_a_delivery_once(api, org):
    alarm = (await raise_alarm(api, org["staff"], level="red")).json()
    assert alarm["delivered_to"] == 0
    answered = await ack(api, alarm, org["responder"])
    assert answered["delivered_to"] == 1
    assert [(d["user_id"], d["channel"]) for d in answered["deliveries"]] == [
        (org["responder"].id, "websocket")]
    await ack(api, alarm, org["responder"], role="police")
    events = (await api.get(f"/alarms/{alarm['id']}",
                            headers=org["staff"].headers)).json()["events"]
    delivered = [e for e in events if e["type"] == "alarm.delivered"]
    assert len(delivered) == 1 and delivered[0]["data"]["user_id"] == org["responder"].id


async def test_an_answer_after_a_recorded_delivery_adds_none(api, org, connect):
    alarm = (await raise_alarm(api, org["staff"], level="red")).json()
    listener = await connect(org["responder"].token)
    await listener.send({"type": "received", "alarm_id": alarm["id"]})
    await listener.event("alarm.delivered")
    answered = await ack(api, alarm, org["responder"])
    assert len(answered["deliveries"]) == 1 and answered["delivered_to"] == 1
