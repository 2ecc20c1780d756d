"""The worker's own home visit on the desktop (the button, the tray, the due warning with "Jeg er
trygg") and the office's visits for a responder, in a real offscreen Qt against a real server."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.clients.conftest import new_server, serving
from tests.clients.test_desktop import api_get, api_post, screenshot

try:
    from PySide6.QtCore import Qt
    from trygg_desktop.visits import clock
except ImportError:  # PySide6 (or its system libraries) missing: `_need_qt` skips
    pass

# Long enough that a click on "Jeg er trygg" always comes before the office is alarmed.
GRACE_S = 60
pytestmark = pytest.mark.usefixtures("_need_qt")


@pytest.fixture(scope="module")
async def site(tmp_path_factory):
    server = new_server(tmp_path_factory, TRYGG_ENVIRONMENT="test",
                        TRYGG_VISIT_GRACE_OVERRIDE_S=str(GRACE_S))
    async with serving(server) as site:
        yield site


def start_visit(site, place: str, seconds: float) -> dict:
    end = datetime.now(UTC) + timedelta(seconds=seconds)
    return api_post(site, "/visits", {"id": str(uuid.uuid4()), "place": place,
                                      "expected_end": end.isoformat()})


def test_a_visit_started_over_rest_shows_on_the_button_and_in_the_tray_and_ending_clears_it(
        site, desktop, qtbot):
    before = start_visit(site, "Kirkeveien 5", 3600)  # open before the app starts: from `hello`
    staff = desktop(site, "staff")
    responder = desktop(site, "responder")
    line = staff.button.visit_line
    qtbot.waitUntil(lambda: "Kirkeveien 5" in line.text(), timeout=15000)
    assert line.text() == f"Hjemmebesøk: Kirkeveien 5 · sjekk inn senest {clock(before['due_at'])}"
    assert line.isVisible() and staff.tray.visit_action.isVisible()
    assert "Kirkeveien 5" in staff.tray.icon.toolTip()

    api_post(site, f"/visits/{before['id']}/end", {})
    qtbot.waitUntil(lambda: not line.isVisible(), timeout=10000)
    visit = start_visit(site, "Storgata 1, 2. etg.", 1800)  # live: a visit.started frame
    qtbot.waitUntil(lambda: "Storgata 1" in line.text() and line.isVisible(), timeout=10000)
    assert line.text() == (f"Hjemmebesøk: Storgata 1, 2. etg. · sjekk inn senest "
                           f"{clock(visit['due_at'])}")
    assert staff.tray.visit_action.text() == line.text()
    assert not staff.visit_warning.isVisible()

    # The responder is not on a visit, and sees the colleague's in the tray.
    office = [f"Siri Staff: Storgata 1, 2. etg. · sjekk inn senest {clock(visit['due_at'])}"]
    qtbot.waitUntil(lambda: [a.text() for a in responder.tray.office_menu.actions()] == office,
                    timeout=10000)
    assert responder.tray.office_action.isVisible()
    assert responder.tray.office_action.text() == "Hjemmebesøk på kontoret (1)"
    assert not responder.button.visit_line.isVisible()
    api_post(site, f"/visits/{visit['id']}/end", {})
    qtbot.waitUntil(lambda: not responder.tray.office_action.isVisible(), timeout=10000)
    assert not line.isVisible()


def test_due_warning_takes_the_screen_and_its_button_checks_in_on_the_server(
        site, desktop, qtbot, tmp_path):
    staff = desktop(site, "staff")
    qtbot.waitUntil(lambda: staff.bridge.client.connection.connected, timeout=15000)
    visit = start_visit(site, "Parkveien 12", 1)
    warning = staff.visit_warning
    qtbot.waitUntil(lambda: warning.isVisible(), timeout=20000)
    assert warning.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert warning.title.text() == "Sjekk inn nå"
    assert "Parkveien 12" in warning.text.text()
    assert warning.safe.text() == "Jeg er trygg" and warning.safe.isEnabled()
    stored = api_get(site, f"/visits/{visit['id']}")
    assert stored["warned_at"] is not None and stored["last_check_in_at"] is None
    assert clock(stored["alarm_at"]) in warning.text.text()
    qtbot.wait(200)
    screenshot(warning, "visit-warning.png", tmp_path)

    qtbot.mouseClick(warning.safe, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not warning.isVisible(), timeout=10000)
    stored = api_get(site, f"/visits/{visit['id']}")
    assert stored["status"] == "active"
    assert stored["last_check_in_at"] is not None and stored["warned_at"] is None
    assert stored["alarm_id"] is None
    types = [e["type"] for e in api_get(site, f"/visits/{visit['id']}/events")["items"]]
    assert types.count("visit.checked_in") == 1
    assert "Parkveien 12" in staff.button.visit_line.text()
    api_post(site, f"/visits/{visit['id']}/end", {})
    qtbot.waitUntil(lambda: not staff.button.visit_line.isVisible(), timeout=10000)
