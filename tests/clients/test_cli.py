"""`trygg-client` end to end, as a script would use it."""

import asyncio
import json
import os
import stat
import sys
from pathlib import Path

from tests.clients.conftest import eventually
from tests.helpers import PASSWORD

CLIENT = str(Path(sys.executable).with_name("trygg-client"))


async def run(home: Path, *args: str, timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        CLIENT, *args, env={**os.environ, "TRYGG_CLIENT_HOME": str(home)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode().strip(), err.decode().strip()


async def login(site, home: Path, person, *extra: str) -> None:
    code, out, err = await run(home, "login", "--server", site.server.server_url,
                               "--username", person.username, "--password", PASSWORD, *extra)
    assert code == 0, err
    assert "logged in as" in out


async def test_login_enrolls_a_device_and_keeps_its_token_for_the_user_only(site, tmp_path):
    home = tmp_path / "client"
    await login(site, home, site["staff"], "--room", site.room["id"])
    config = home / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    saved = json.loads(config.read_text())
    assert saved["token"] and saved["device_id"] and saved["room_id"] == site.room["id"]
    async with site.http() as api:
        me = await api.get("/me", headers={"Authorization": f"Bearer {saved['token']}"})
    assert me.json()["id"] == site["staff"].id


async def test_wrong_password_fails_with_a_message(site, tmp_path):
    code, _, err = await run(tmp_path, "login", "--server", site.server.server_url,
                             "--username", site["staff"].username, "--password", "nope-nope")
    assert code == 1 and "401" in err
    assert not (tmp_path / "config.json").exists()


async def test_raise_prints_the_id_once_stored_and_listen_and_ack_follow_it(site, tmp_path):
    staff_home, responder_home = tmp_path / "staff", tmp_path / "responder"
    await login(site, staff_home, site["staff"], "--room", site.room["id"])
    await login(site, responder_home, site["responder"])

    listen = await asyncio.create_subprocess_exec(
        CLIENT, "listen", "--json", env={**os.environ, "TRYGG_CLIENT_HOME": str(responder_home)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    lines: list[dict] = []

    async def read() -> None:
        while line := await listen.stdout.readline():
            lines.append(json.loads(line))

    reader = asyncio.create_task(read())
    try:
        await eventually(lambda: any(f["type"] == "hello" for f in lines))
        code, alarm_id, err = await run(staff_home, "raise", "--level", "red", "--drill")
        assert code == 0, err
        assert "stored at the server" in err

        def event(kind: str):
            return [f for f in lines if f["type"] == "event" and f["alarm"]["id"] == alarm_id
                    and f["event"]["type"] == kind]

        raised = (await eventually(lambda: event("alarm.raised")))[0]
        assert raised["alarm"]["level"] == "red" and raised["alarm"]["mode"] == "drill"
        assert raised["alarm"]["room"]["id"] == site.room["id"]

        code, out, err = await run(responder_home, "ack", alarm_id)
        assert code == 0, err
        assert json.loads(out)["status"] == "responding"
        await eventually(lambda: event("alarm.acknowledged"))
        # `listen` confirmed that it showed the alarm.
        await eventually(lambda: event("alarm.delivered"))
        assert len(event("alarm.raised")) == 1
    finally:
        listen.terminate()
        await listen.wait()
        reader.cancel()
    assert any(f["type"] == "client.state" and f["state"] == "protected" for f in lines)


async def test_raise_waits_for_a_server_that_is_down_and_exits_once_stored(own_site, tmp_path):
    site = own_site
    home = tmp_path / "staff"
    await login(site, home, site["staff"], "--room", site.room["id"])
    site.server.kill()

    proc = await asyncio.create_subprocess_exec(
        CLIENT, "raise", "--level", "yellow", env={**os.environ, "TRYGG_CLIENT_HOME": str(home)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    await asyncio.sleep(2)
    assert proc.returncode is None  # still trying
    await site.server.start()
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err
    assert "not yet at the server, retrying" in err.decode()
    alarm_id = out.decode().strip()
    async with site.http() as api:
        alarm = (await api.get(f"/alarms/{alarm_id}", headers=site["staff"].headers)).json()
    assert alarm["level"] == "yellow" and alarm["room"]["id"] == site.room["id"]


async def test_commands_without_login_say_what_to_do(tmp_path):
    code, _, err = await run(tmp_path, "raise", "--level", "yellow")
    assert code == 2 and "trygg-client login" in err
