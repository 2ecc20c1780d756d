"""WebSocket limits: frame size, how often a connection may resume, `received` coalesced."""

import json

import websockets

from tests.helpers import raise_alarm

MESSAGE_TOO_BIG = 1009


async def test_a_frame_over_64_kib_closes_the_connection_with_1009(connect, org):
    client = await connect(org["responder"].token)
    padding = "x" * (64 * 1024)
    try:
        await client.ws.send(json.dumps({"type": "heartbeat", "pad": padding}))
    except websockets.ConnectionClosed:
        pass
    assert await client.closed_code() == MESSAGE_TOO_BIG


async def test_a_frame_just_under_the_limit_is_read(connect, org):
    client = await connect(org["responder"].token)
    await client.send({"type": "heartbeat", "pad": "x" * (60 * 1024)})
    await client.next_of("heartbeat_ack")


async def test_a_second_resume_within_seconds_is_refused_and_replays_nothing(connect, api, org):
    client = await connect(org["staff"].token)
    before = client.hello["seq"]
    alarm = (await raise_alarm(api, org["staff"])).json()
    await client.event("alarm.raised")
    await client.send({"type": "resume", "after_seq": before})
    first = await client.events_for(1.0)
    assert alarm["id"] in {f["alarm"]["id"] for f in first}
    await client.send({"type": "resume", "after_seq": 0})
    error = await client.next_of("error")
    assert error["error"] == "too_many_resumes"
    assert await client.events_for(0.8) == []
    # Live events carry on.
    await api.post(f"/alarms/{alarm['id']}/resolve", json={}, headers=org["staff"].headers)
    assert (await client.event("alarm.resolved"))["alarm"]["id"] == alarm["id"]


async def test_resume_on_a_new_connection_is_answered_at_once(connect, api, org):
    first = await connect(org["staff"].token)
    before = first.hello["seq"]
    await first.send({"type": "resume", "after_seq": before})
    await first.close()
    alarm = (await raise_alarm(api, org["staff"])).json()
    again = await connect(org["staff"].token)
    await again.send({"type": "resume", "after_seq": before})
    replayed = await again.events_for(1.0)
    assert alarm["id"] in {f["alarm"]["id"] for f in replayed}


async def test_a_burst_of_received_from_several_connections_stores_one_delivery(
        connect, api, org):
    clients = [await connect(org["responder2"].token) for _ in range(3)]
    alarm = (await raise_alarm(api, org["staff"])).json()
    for client in clients:
        await client.event("alarm.raised")
    for _ in range(40):
        for client in clients:
            await client.ws.send(json.dumps({"type": "received", "alarm_id": alarm["id"]}))
    for client in clients:
        await client.send({"type": "heartbeat"})
        await client.next_of("heartbeat_ack")
    await clients[0].events_for(0.5)
    timeline = (await api.get(f"/alarms/{alarm['id']}", headers=org["staff"].headers)).json()
    assert [e["data"]["user_id"] for e in timeline["events"]
            if e["type"] == "alarm.delivered"] == [org["responder2"].id]


async def test_every_received_for_an_invisible_alarm_is_answered_with_an_error(
        connect, api, org):
    other = (await raise_alarm(api, org["other_staff"])).json()
    client = await connect(org["responder"].token)
    for _ in range(3):
        await client.send({"type": "received", "alarm_id": other["id"]})
        assert (await client.next_of("error"))["error"] == "not_found"
