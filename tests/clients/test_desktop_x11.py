"""The real `trygg-desktop` on a virtual X screen: a real hotkey, pressed with xdotool and held,
raises an alarm that the server stores."""

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.clients.conftest import enroll_sync
from tests.conftest import skip_or_fail

DESKTOP = str(Path(sys.executable).with_name("trygg-desktop"))


@pytest.fixture
def x_display():
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        skip_or_fail(f"the real-hotkey test needs {' and '.join(missing)} (apt: xvfb xdotool)")
    # pynput cannot be imported before there is a display: look for it without importing it.
    missing = [name for name in ("PySide6", "pynput") if importlib.util.find_spec(name) is None]
    if missing:
        skip_or_fail(f"the real-hotkey test needs {' and '.join(missing)}")
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    try:
        assert number, "Xvfb did not report its display"
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def _wait_for(check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"not reached within {timeout} s")


def test_real_hotkey_held_on_a_virtual_screen_raises_red(site, x_display, tmp_path):
    home = tmp_path / "staff"
    enroll_sync(site, site["staff"], home)
    admin = {"Authorization": f"Bearer {site.admin_token}"}

    def red_alarms() -> set[str]:
        page = httpx.get(f"{site.server.api_url}/alarms", headers=admin, timeout=10,
                         params={"office_id": site.office["id"], "level": "red"}).json()
        return {a["id"] for a in page["items"] if a["raised_by"]["id"] == site["staff"].id}

    before = red_alarms()
    log = tmp_path / "desktop.log"
    env = {**os.environ, "TRYGG_CLIENT_HOME": str(home), "DISPLAY": x_display,
           "QT_QPA_PLATFORM": "offscreen"}
    with log.open("wb") as out:
        app = subprocess.Popen([DESKTOP, "--verbose"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: "global hotkeys on" in log.read_text(), timeout=30)
        xdotool = {**os.environ, "DISPLAY": x_display}
        subprocess.run(["xdotool", "keydown", "ctrl+shift+F12"], env=xdotool, check=True)
        time.sleep(0.9)
        subprocess.run(["xdotool", "keyup", "ctrl+shift+F12"], env=xdotool, check=True)
        new = _wait_for(lambda: red_alarms() - before, timeout=15)
    finally:
        app.terminate()
        app.wait(10)
    assert len(new) == 1, log.read_text()[-2000:]
    alarm = httpx.get(f"{site.server.api_url}/alarms/{new.pop()}", headers=admin, timeout=10).json()
    assert alarm["mode"] == "real" and alarm["silent"] is True
    assert alarm["room"]["id"] == site.room["id"]
