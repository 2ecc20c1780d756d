"""A raise is never lost: stored locally before the first send, retried with the same id
across restarts of the client and of the server, and reported honestly."""

from trygg_client import Protection, RaiseState
from trygg_client.store import Store

from tests.clients.conftest import eventually


async def test_raise_while_server_down_arrives_once_after_client_and_server_restart(
        own_site, enroll, start_client):
    site = own_site
    staff_config, staff_home = await enroll(site, site["staff"])
    responder_config, responder_home = await enroll(site, site["responder"])
    site.server.kill()

    responder, heard = await start_client(responder_config, responder_home, consumer="desk")
    raiser, raiser_told = await start_client(staff_config, staff_home)
    status = raiser.raise_alarm("yellow")

    # On disk before anything was sent, with the id the server will get.
    row = Store(staff_home / "client.sqlite3").get_raise(status.alarm_id)
    assert row is not None and row.body["id"] == status.alarm_id
    retrying = await eventually(lambda: [s for s in raiser_told.raises if s.attempts >= 2])
    assert retrying[-1].state is RaiseState.PENDING
    assert "not yet at the server, retrying" in retrying[-1].describe()

    # The application exits with the alarm still queued, and starts again.
    await start_client.stop(raiser)
    raiser, raiser_told = await start_client(staff_config, staff_home)
    await site.server.start()

    stored = await raiser.queue.wait_stored(status.alarm_id)
    assert stored.state is RaiseState.STORED and stored.alarm["id"] == status.alarm_id
    assert "stored at the server" in stored.describe()
    await eventually(lambda: heard.new_alarms(status.alarm_id))
    responder.mark_shown(status.alarm_id)

    # The raiser sees that it reached one responder, then who is coming.
    await eventually(lambda: any(s.alarm_id == status.alarm_id and s.delivered_to == 1
                                 for s in raiser_told.raises))
    async with site.http() as api:
        ack = await api.post(f"/alarms/{status.alarm_id}/acknowledge", json={},
                             headers=site["responder"].headers)
        assert ack.status_code == 200
        await eventually(lambda: any(s.coming == ["Rune Responder"] for s in raiser_told.raises))
        timeline = (await api.get(f"/alarms/{status.alarm_id}",
                                  headers=site["staff"].headers)).json()
    assert [e["type"] for e in timeline["events"]].count("alarm.raised") == 1
    assert len(heard.new_alarms(status.alarm_id)) == 1
    assert heard.event_types(status.alarm_id).count("alarm.raised") <= 1
    assert responder.protection is not Protection.UNPROTECTED


async def test_test_alarm_comes_back_to_the_sender_with_a_round_trip_time(
        site, enroll, start_client):
    config, home = await enroll(site, site["staff"])
    client, told = await start_client(config, home)
    await eventually(lambda: client.connection.connected)
    status = client.raise_alarm("yellow", mode="test")
    timed = await eventually(lambda: [s for s in told.raises
                                      if s.alarm_id == status.alarm_id and s.round_trip_s])
    assert 0 < timed[0].round_trip_s < 10
    assert timed[0].alarm["mode"] == "test"


async def test_a_raise_the_server_refuses_is_reported_not_retried(site, enroll, start_client):
    config, home = await enroll(site, site["responder"])  # not staff: may not raise
    client, told = await start_client(config, home, live=False)
    status = client.raise_alarm("red")
    final = await client.queue.wait_stored(status.alarm_id)
    assert final.state is RaiseState.REJECTED
    assert "refused by the server" in final.describe()
