"""`trygg-client visit …` and `ack --role` end to end, as a script would use them."""

import asyncio
import json
import os

from tests.clients.conftest import eventually
from tests.clients.test_cli import CLIENT, login, run


async def test_visit_start_check_in_extend_end_from_the_command_line(site, tmp_path):
    home = tmp_path / "staff"
    await login(site, home, site["staff"])
    code, out, err = await run(home, "visit", "start", "--place", "Kafé Nord, Tromsø",
                               "--minutes", "30", "--interval", "10", "--lat", "69.65",
                               "--lon", "18.96")
    assert code == 0, err
    visit = json.loads(out)
    assert visit["status"] == "active" and visit["place"] == "Kafé Nord, Tromsø"
    assert visit["check_in_interval_s"] == 600 and visit["position"]["lat"] == 69.65
    assert "check in, extend or end by" in err

    code, out, err = await run(home, "visit", "check-in")  # the active visit by default
    assert code == 0, err
    checked = json.loads(out)
    assert checked["id"] == visit["id"] and checked["last_check_in_at"] is not None

    code, out, err = await run(home, "visit", "extend", visit["id"], "--minutes", "90")
    assert code == 0, err
    assert json.loads(out)["expected_end"] > visit["expected_end"]

    code, out, err = await run(home, "visit", "end")
    assert code == 0, err
    assert json.loads(out)["status"] == "ended"
    code, _, err = await run(home, "visit", "end", visit["id"])
    assert code == 1 and "409" in err and "visit_ended" in err
    code, _, err = await run(home, "visit", "check-in")
    assert code == 1 and "no active visit" in err

    async with site.http() as api:
        events = (await api.get(f"/visits/{visit['id']}/events",
                                headers=site["staff"].headers)).json()["items"]
    assert [e["type"] for e in events] == ["visit.started", "visit.checked_in", "visit.extended",
                                           "visit.ended"]


async def test_bad_visit_times_are_refused_before_anything_is_sent(site, tmp_path):
    home = tmp_path / "staff"
    await login(site, home, site["staff"])
    for args in (["--minutes", "0"], [], ["--minutes", "5", "--until", "12:00"],
                 ["--until", "tomorrow"]):
        code, _, err = await run(home, "visit", "start", "--place", "X", *args)
        assert code == 2, (args, err)
    code, _, err = await run(home, "visit", "start", "--place", "X",
                             "--until", "2020-01-01T10:00:00+00:00")
    assert code == 1 and "422" in err


async def test_ack_with_a_role_and_listen_shows_visit_frames(site, tmp_path):
    staff_home, responder_home = tmp_path / "staff", tmp_path / "responder"
    await login(site, staff_home, site["staff"])
    await login(site, responder_home, site["responder"])
    listen = await asyncio.create_subprocess_exec(
        CLIENT, "listen", env={**os.environ, "TRYGG_CLIENT_HOME": str(responder_home)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    lines: list[str] = []

    async def read() -> None:
        while line := await listen.stdout.readline():
            lines.append(line.decode().strip())

    reader = asyncio.create_task(read())
    try:
        await eventually(lambda: any(line.startswith("connected") for line in lines))
        code, out, err = await run(staff_home, "visit", "start", "--place", "Parkveien 9",
                                   "--minutes", "45")
        assert code == 0, err
        visit_id = json.loads(out)["id"]
        await eventually(lambda: any("visit.started" in line and visit_id in line
                                     and "place=Parkveien 9" in line for line in lines))
        async with site.http() as api:
            alarm = (await api.post("/alarms", json={"level": "red"},
                                    headers=site["staff"].headers)).json()
        code, out, err = await run(responder_home, "ack", alarm["id"], "--role", "police")
        assert code == 0, err
        answered = json.loads(out)
        assert [r["role"] for r in answered["responders"]] == ["police"]
        assert answered["answer_summary"] == "politiet varslet"
        code, _, err = await run(responder_home, "ack", alarm["id"], "--role", "hero")
        assert code == 2
        await run(staff_home, "visit", "end")
    finally:
        listen.terminate()
        await listen.wait()
        reader.cancel()
