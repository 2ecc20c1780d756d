"""The WebSocket contract: auth, hello, resume, received, heartbeat, readiness."""

import asyncio
import json

import websockets

from tests.helpers import raise_alarm


async def _close_code(server, *, headers=None, first_frame=None, timeout=10) -> int:
    async with websockets.connect(server.ws_url, additional_headers=headers) as ws:
        if first_frame is not None:
            await ws.send(first_frame)
        async with asyncio.timeout(timeout):
            try:
                while True:
                    await ws.recv()
            except websockets.ConnectionClosed:
                pass
        return ws.close_code


async def test_bad_header_token_is_accepted_then_closed_with_4401(server):
    assert await _close_code(server, headers={"Authorization": "Bearer tl_nope"}) == 4401


async def test_bad_first_frame_token_is_closed_with_4401(server):
    frame = json.dumps({"type": "auth", "token": "td_forged"})
    assert await _close_code(server, first_frame=frame) == 4401
    assert await _close_code(server, first_frame="not json") == 4401


async def test_missing_token_is_closed_with_4401_after_five_seconds(server):
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await _close_code(server) == 4401
    assert 4.5 <= loop.time() - started < 8


async def test_first_frame_auth_gets_hello_with_open_alarms(connect, api, org):
    alarm = (await raise_alarm(api, org["staff"], level="red")).json()
    client = await connect(org["responder"].token, header=False)
    hello = client.hello
    assert hello["heartbeat_interval_s"] == 2  # the test server announces 2 s
    assert alarm["id"] in [a["id"] for a in hello["open_alarms"]]
    assert hello["seq"] >= 1
    readiness = await client.next_of("readiness")
    assert readiness["office_id"] == org.office["id"]
    await api.post(f"/alarms/{alarm['id']}/resolve", json={}, headers=org["staff"].headers)


async def test_hello_lists_only_alarms_the_user_may_see(connect, api, org):
    mine = (await raise_alarm(api, org["staff"])).json()
    theirs = (await raise_alarm(api, org["other_staff"])).json()
    staff = await connect(org["staff"].token)
    responder = await connect(org["responder"].token)
    staff_ids = {a["id"] for a in staff.hello["open_alarms"]}
    responder_ids = {a["id"] for a in responder.hello["open_alarms"]}
    assert mine["id"] in staff_ids and theirs["id"] not in staff_ids
    assert mine["id"] in responder_ids and theirs["id"] not in responder_ids
    for alarm, person in ((mine, "staff"), (theirs, "other_staff")):
        await api.post(f"/alarms/{alarm['id']}/resolve", json={}, headers=org[person].headers)


async def test_resume_replays_missed_events_in_order_without_duplicates(connect, api, org):
    first = await connect(org["responder"].token)
    alarm = (await raise_alarm(api, org["staff"])).json()
    seen = await first.event("alarm.raised")
    await first.close()

    # Missed while disconnected:
    await api.post(f"/alarms/{alarm['id']}/upgrade", json={"level": "red"},
                   headers=org["staff"].headers)
    await api.post(f"/alarms/{alarm['id']}/acknowledge", json={},
                   headers=org["responder2"].headers)

    again = await connect(org["responder"].token)
    await again.send({"type": "resume", "after_seq": seen["seq"]})
    # Live while resuming:
    await api.post(f"/alarms/{alarm['id']}/resolve", json={}, headers=org["staff"].headers)
    frames = await again.events_for(1.5)
    types = [f["event"]["type"] for f in frames if f["alarm"]["id"] == alarm["id"]]
    # The acknowledgement counts as a delivery too.
    assert types == ["alarm.upgraded", "alarm.delivered", "alarm.acknowledged", "alarm.resolved"]
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(set(seqs))
    assert all(s > seen["seq"] for s in seqs)


async def test_resume_only_replays_events_the_user_may_see(connect, api, org):
    staff = await connect(org["staff"].token)
    before = staff.hello["seq"]
    mine = (await raise_alarm(api, org["staff"])).json()
    other = (await raise_alarm(api, org["other_staff"])).json()
    await staff.events_for(0.5)
    await staff.send({"type": "resume", "after_seq": before})
    replayed = await staff.events_for(1.0)
    ids = {f["alarm"]["id"] for f in replayed}
    assert mine["id"] in ids and other["id"] not in ids


async def test_received_records_one_delivery_per_user_and_alarm(connect, api, org):
    responder = await connect(org["responder"].token)
    second_device = await connect(org["responder"].token)
    alarm = (await raise_alarm(api, org["staff"])).json()
    await responder.event("alarm.raised")
    await second_device.event("alarm.raised")
    for client in (responder, second_device, responder):
        await client.send({"type": "received", "alarm_id": alarm["id"]})
    await responder.events_for(0.8)
    timeline = (await api.get(f"/alarms/{alarm['id']}", headers=org["staff"].headers)).json()
    delivered = [e for e in timeline["events"] if e["type"] == "alarm.delivered"]
    assert len(delivered) == 1
    assert delivered[0]["data"] == {"user_id": org["responder"].id, "channel": "websocket"}
    assert timeline["delivered_to"] == 1


async def test_received_for_an_invisible_alarm_gets_an_error_frame(connect, api, org):
    other = (await raise_alarm(api, org["other_staff"])).json()
    responder = await connect(org["responder"].token)
    await responder.send({"type": "received", "alarm_id": other["id"]})
    error = await responder.next_of("error")
    assert error["error"] == "not_found"
    timeline = (await api.get(f"/alarms/{other['id']}", headers=org["other_staff"].headers)).json()
    assert [e["type"] for e in timeline["events"]] == ["alarm.raised"]


async def test_heartbeat_is_acknowledged(connect, org):
    client = await connect(org["staff"].token)
    await client.send({"type": "heartbeat"})
    assert (await client.next_of("heartbeat_ack"))["type"] == "heartbeat_ack"


async def test_silent_connection_is_closed_after_two_intervals(connect, org):
    client = await connect(org["staff"].token, heartbeat=False)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await client.closed_code(timeout=10) == 4408
    assert 3.5 <= loop.time() - started < 7  # two intervals of 2 s


async def test_heartbeats_keep_a_connection_open(connect, org):
    client = await connect(org["staff"].token, heartbeat=False)
    for _ in range(5):
        await asyncio.sleep(1)
        await client.send({"type": "heartbeat"})
    await client.next_of("heartbeat_ack")
    assert client.ws.close_code is None


async def test_readiness_counts_responders_online(connect, api, fresh_org):
    org = fresh_org
    staff = await connect(org["staff"].token)
    first = await staff.next_of("readiness")
    assert (first["responders_online"], first["min_responders_online"]) == (0, 2)
    responder = await connect(org["responder"].token)
    assert (await staff.next_of("readiness"))["responders_online"] == 1
    second_device = await connect(org["responder"].token)  # same person: still one
    await connect(org["responder2"].token)
    assert (await staff.next_of("readiness"))["responders_online"] == 2
    await responder.close()
    await second_device.close()
    assert (await staff.next_of("readiness"))["responders_online"] == 1
    patch = await api.patch(f"/offices/{org.office['id']}", json={"min_responders_online": 3},
                            headers=org.admin_headers)
    assert patch.status_code == 200
    changed = await staff.next_of("readiness")
    assert (changed["responders_online"], changed["min_responders_online"]) == (1, 3)


async def test_a_silent_responder_stops_counting(connect, fresh_org):
    org = fresh_org
    staff = await connect(org["staff"].token, heartbeat=False)
    await staff.next_of("readiness")
    await connect(org["responder"].token, heartbeat=False)
    assert (await staff.next_of("readiness"))["responders_online"] == 1
    for _ in range(6):  # the staff client heartbeats, the responder's stays silent
        await staff.send({"type": "heartbeat"})
        await asyncio.sleep(1)
    readiness = [f async for f in _drain(staff) if f["type"] == "readiness"]
    assert readiness[-1]["responders_online"] == 0


async def _drain(client):
    while not client.frames.empty():
        yield client.frames.get_nowait()
