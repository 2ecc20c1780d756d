"""The connection heals itself and resumes without gaps or duplicates, and the client knows
whether it is protected."""

import asyncio

from trygg_client import Protection

from tests.clients.conftest import HEARTBEAT_S, eventually


async def _timeline_seqs(site, alarm_ids) -> list[int]:
    async with site.http() as api:
        seqs = []
        for alarm_id in alarm_ids:
            alarm = (await api.get(f"/alarms/{alarm_id}", headers=site["staff"].headers)).json()
            seqs += [e["seq"] for e in alarm["events"]]
    return sorted(seqs)


async def test_listener_resumes_after_server_sigkill_with_no_gap_and_no_duplicate(
        own_site, enroll, start_client):
    site = own_site
    config, home = await enroll(site, site["responder"])
    listener, heard = await start_client(config, home)
    await eventually(lambda: listener.connection.connected)
    async with site.http() as api:
        first = (await api.post("/alarms", json={"level": "yellow"},
                                headers=site["staff"].headers)).json()
        await eventually(lambda: heard.events(first["id"]))

        site.server.kill()
        await site.server.start()
        # Straight after the restart, while the listener is still backing off:
        second = (await api.post("/alarms", json={"level": "yellow"},
                                 headers=site["staff"].headers)).json()
        await api.post(f"/alarms/{second['id']}/upgrade", json={"level": "red"},
                       headers=site["staff"].headers)
        await api.post(f"/alarms/{first['id']}/acknowledge", json={},
                       headers=site["responder2"].headers)
        await api.post(f"/alarms/{first['id']}/resolve", json={}, headers=site["staff"].headers)

    expected = await _timeline_seqs(site, [first["id"], second["id"]])
    await eventually(lambda: len(heard.events()) >= len(expected), timeout=20)
    await asyncio.sleep(1)  # anything arriving twice would arrive now
    got = [f["seq"] for f in heard.events()]
    assert sorted(got) == expected
    assert len(got) == len(set(got))
    assert heard.event_types(first["id"]) == ["alarm.raised", "alarm.delivered",
                                              "alarm.acknowledged", "alarm.resolved"]
    assert heard.event_types(second["id"]) == ["alarm.raised", "alarm.upgraded"]
    assert len(heard.new_alarms(second["id"])) == 1


async def test_restarted_client_resumes_after_the_seq_kept_on_disk(site, enroll, start_client):
    config, home = await enroll(site, site["responder"])
    listener, heard = await start_client(config, home, consumer="desk")
    await eventually(lambda: listener.connection.connected)
    async with site.http() as api:
        alarm = (await api.post("/alarms", json={"level": "yellow"},
                                headers=site["staff"].headers)).json()
        await eventually(lambda: heard.events(alarm["id"]))
        await start_client.stop(listener)

        # Missed while the application was not running:
        await api.post(f"/alarms/{alarm['id']}/upgrade", json={"level": "red"},
                       headers=site["staff"].headers)
        await api.post(f"/alarms/{alarm['id']}/acknowledge", json={},
                       headers=site["responder2"].headers)

        again, heard_again = await start_client(config, home, consumer="desk")
        await eventually(lambda: len(heard_again.events(alarm["id"])) >= 3)
        await asyncio.sleep(1)
        assert heard_again.event_types(alarm["id"]) == ["alarm.upgraded", "alarm.delivered",
                                                        "alarm.acknowledged"]
        shown = heard_again.changes[-1].alarm
        assert shown["level"] == "red" and shown["status"] == "responding"
        await api.post(f"/alarms/{alarm['id']}/resolve", json={}, headers=site["staff"].headers)


async def test_unprotected_within_two_heartbeats_of_losing_the_server_and_protected_again(
        own_site, enroll, start_client):
    site = own_site
    config, home = await enroll(site, site["responder"])
    client, told = await start_client(config, home)
    await eventually(lambda: told.state is Protection.PROTECTED)

    loop = asyncio.get_running_loop()
    site.server.kill()
    gone_at = loop.time()
    await eventually(lambda: told.state is Protection.UNPROTECTED, timeout=4 * HEARTBEAT_S)
    # Two intervals, plus slack for a busy machine.
    assert loop.time() - gone_at <= 2 * HEARTBEAT_S + 2.5

    await site.server.start()
    await eventually(lambda: told.state is Protection.PROTECTED, timeout=20)


async def test_degraded_while_too_few_responders_are_online(own_site, enroll, start_client):
    site = own_site
    staff_config, staff_home = await enroll(site, site["staff"])
    staff, told = await start_client(staff_config, staff_home)
    await eventually(lambda: told.state is Protection.DEGRADED)
    readiness = told.states[-1][1]
    assert (readiness.responders_online, readiness.min_responders_online) == (0, 1)

    responder_config, responder_home = await enroll(site, site["responder"])
    await start_client(responder_config, responder_home)
    await eventually(lambda: told.state is Protection.PROTECTED)
