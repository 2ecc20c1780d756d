"""The desktop application in a real, offscreen Qt, against a real server."""

import os
from pathlib import Path

import httpx
import pytest

from tests.clients.conftest import HEARTBEAT_S
from tests.helpers import PASSWORD

try:
    from PySide6.QtCore import Qt
    from trygg_desktop.i18n import Texts
    from trygg_desktop.setup_dialog import SetupDialog
except ImportError:  # PySide6 (or its system libraries) missing: `_need_qt` skips
    pass

pytestmark = pytest.mark.usefixtures("_need_qt")


def api_get(site, path: str, who: str = "staff") -> dict:
    response = httpx.get(f"{site.server.api_url}{path}", headers=site[who].headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def api_post(site, path: str, body: dict, who: str = "staff") -> dict:
    response = httpx.post(f"{site.server.api_url}{path}", json=body, headers=site[who].headers,
                          timeout=10)
    assert response.status_code in (200, 201), response.text
    return response.json()


def screenshot(widget, name: str, tmp_path: Path) -> None:
    """Grab a widget; kept in TRYGG_SCREENSHOT_DIR when set (docs/screenshots is made so)."""
    folder = Path(os.environ.get("TRYGG_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    image = widget.grab()
    assert not image.isNull() and image.width() > 50
    assert image.save(str(folder / name))


def test_button_click_raises_yellow_that_a_responder_desktop_shows_and_answers(
        site, desktop, qtbot, tmp_path):
    staff = desktop(site, "staff")
    responder = desktop(site, "responder")
    for app in (staff, responder):
        qtbot.waitUntil(lambda app=app: app.button.status.text() == "Beskyttet", timeout=15000)
    screenshot(staff.button, "floating-button.png", tmp_path)

    qtbot.mouseClick(staff.button.button, Qt.MouseButton.LeftButton)
    alarm_id = staff.button.last_raise
    assert alarm_id and staff.button.cancel.isVisible()
    assert not staff.window.isVisible()  # silent: nothing pops up at the raiser's desk

    qtbot.waitUntil(lambda: alarm_id in responder.window.cards, timeout=15000)
    window = responder.window
    card = window.cards[alarm_id]
    assert window.isVisible()
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert card.title.text() == "Alarm – trenger bistand"
    assert "Samtalerom 2" in card.details.text() and "Siri Staff" in card.details.text()
    assert card.coming.text() == "Jeg kommer"
    assert window.sound.playing
    # The responder's client confirmed that it showed the alarm.
    qtbot.waitUntil(lambda: api_get(site, f"/alarms/{alarm_id}")["delivered_to"] == 1,
                    timeout=10000)
    screenshot(window, "alarm-window.png", tmp_path)

    qtbot.mouseClick(card.coming, Qt.MouseButton.LeftButton)
    assert not window.sound.playing
    qtbot.waitUntil(lambda: api_get(site, f"/alarms/{alarm_id}")["status"] == "responding",
                    timeout=10000)
    alarm = api_get(site, f"/alarms/{alarm_id}")
    assert alarm["level"] == "yellow"
    assert [r["full_name"] for r in alarm["responders"]] == ["Rune Responder"]
    qtbot.waitUntil(lambda: "Rune Responder" in staff.button.raise_line.text(), timeout=10000)
    assert "Nådd 1" in staff.button.raise_line.text()
    api_post(site, f"/alarms/{alarm_id}/resolve", {})
    qtbot.waitUntil(lambda: card.state.text() == "Avsluttet", timeout=10000)
    assert card.dismiss.isVisible()


def test_holding_the_button_two_seconds_raises_red(site, desktop, qtbot):
    staff = desktop(site, "staff")
    qtbot.mousePress(staff.button.button, Qt.MouseButton.LeftButton)
    qtbot.wait(2300)
    qtbot.mouseRelease(staff.button.button, Qt.MouseButton.LeftButton)
    alarm_id = staff.button.last_raise
    assert alarm_id
    qtbot.waitUntil(lambda: "Lagret på serveren" in staff.button.raise_line.text(), timeout=10000)
    alarm = api_get(site, f"/alarms/{alarm_id}")
    assert alarm["level"] == "red" and alarm["mode"] == "real" and alarm["silent"] is True
    assert alarm["room"]["id"] == site.room["id"]
    api_post(site, f"/alarms/{alarm_id}/resolve", {})


def test_held_hotkey_raises_and_a_bumped_one_does_not(site, desktop, qtbot):
    staff = desktop(site, "staff")
    keys = staff.hotkeys.detector
    for key in ("ctrl_l", "shift", "f9"):
        keys.press(key)
    keys.release("f9")  # bumped: released at once
    qtbot.wait(800)
    assert staff.button.last_raise is None

    for key in ("f12",):
        keys.press(key)
    qtbot.waitUntil(lambda: staff.button.last_raise is not None, timeout=3000)
    for key in ("f12", "shift", "ctrl_l"):
        keys.release(key)
    alarm_id = staff.button.last_raise
    qtbot.waitUntil(lambda: "Lagret på serveren" in staff.button.raise_line.text(), timeout=10000)
    assert api_get(site, f"/alarms/{alarm_id}")["level"] == "red"
    api_post(site, f"/alarms/{alarm_id}/resolve", {})


def test_cancel_false_alarm_shows_cancelled_please_check_to_responders(site, desktop, qtbot):
    staff = desktop(site, "staff")
    responder = desktop(site, "responder")
    qtbot.mouseClick(staff.button.button, Qt.MouseButton.LeftButton)
    alarm_id = staff.button.last_raise
    qtbot.waitUntil(lambda: alarm_id in responder.window.cards, timeout=15000)
    qtbot.mouseClick(staff.button.cancel, Qt.MouseButton.LeftButton)
    card = responder.window.cards[alarm_id]
    qtbot.waitUntil(lambda: card.state.text() == "Avlyst, sjekk likevel", timeout=10000)
    assert api_get(site, f"/alarms/{alarm_id}")["status"] == "cancelled"
    assert not responder.window.sound.playing


def test_window_lists_several_alarms_and_follows_upgrades_in_english(site, desktop, qtbot):
    responder = desktop(site, "responder2", language="en")
    qtbot.waitUntil(lambda: responder.bridge.client.connection.connected, timeout=15000)
    first = api_post(site, "/alarms", {"level": "yellow"})
    second = api_post(site, "/alarms", {"level": "yellow", "mode": "drill"})
    window = responder.window
    qtbot.waitUntil(lambda: {first["id"], second["id"]} <= set(window.cards), timeout=15000)
    assert window.cards[second["id"]].title.text() == "DRILL: Alarm – need assistance"
    assert window.cards[first["id"]].coming.text() == "I'm coming"

    api_post(site, f"/alarms/{first['id']}/upgrade", {"level": "red"})
    card = window.cards[first["id"]]
    qtbot.waitUntil(lambda: card.title.text() == "Danger – call 112", timeout=10000)
    assert card.state.text().startswith("Upgraded to RED")
    api_post(site, f"/alarms/{first['id']}/acknowledge", {}, who="responder")
    qtbot.waitUntil(lambda: "Rune Responder" in card.coming_line.text(), timeout=10000)
    for alarm in (first, second):
        api_post(site, f"/alarms/{alarm['id']}/resolve", {})


def test_status_shows_degraded_then_unprotected_when_the_server_stops(own_site, desktop, qtbot):
    site = own_site
    httpx.patch(f"{site.server.api_url}/offices/{site.office['id']}",
                json={"min_responders_online": 2}, timeout=10,
                headers={"Authorization": f"Bearer {site.admin_token}"}).raise_for_status()
    responder = desktop(site, "responder")
    status = responder.button.status
    qtbot.waitUntil(lambda: status.text() == "1 av 2 respondenter pålogget", timeout=15000)

    site.server.kill()
    qtbot.waitUntil(lambda: status.text() == "IKKE BESKYTTET", timeout=(2 * HEARTBEAT_S + 3) * 1000)
    assert responder.tray.icon.toolTip() == "Trygg: IKKE BESKYTTET"
    site.server.start_sync()
    qtbot.waitUntil(lambda: status.text() == "1 av 2 respondenter pålogget", timeout=20000)


def test_first_start_dialog_logs_in_lists_rooms_and_enrolls(site, qtbot):
    dialog = SetupDialog(Texts("nb"), server_url=site.server.server_url)
    qtbot.addWidget(dialog)
    dialog.username.setText(site["staff"].username)
    dialog.password.setText(PASSWORD)
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    assert dialog.rooms.count() == 1 and dialog.rooms.currentText() == "Samtalerom 2"
    qtbot.mouseClick(dialog.enroll_button, Qt.MouseButton.LeftButton)
    assert dialog.config is not None
    assert dialog.config.room_id == site.room["id"] and dialog.config.token
