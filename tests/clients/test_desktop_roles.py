"""The desktop alarm window's answers (go, police, reception) and a home visit's alarm, in a real
offscreen Qt against a real server."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.clients.conftest import new_server, serving
from tests.clients.test_desktop import api_get, api_post, screenshot

try:
    from PySide6.QtCore import Qt
except ImportError:  # PySide6 (or its system libraries) missing: `_need_qt` skips
    pass

GRACE_S = 2  # the server's test-only grace, so a missed check-in alarms within seconds
pytestmark = pytest.mark.usefixtures("_need_qt")


@pytest.fixture(scope="module")
async def site(tmp_path_factory):
    """A server of this module's own, with a short visit grace."""
    server = new_server(tmp_path_factory, TRYGG_ENVIRONMENT="test",
                        TRYGG_VISIT_GRACE_OVERRIDE_S=str(GRACE_S))
    async with serving(server) as site:
        yield site


def test_red_alarm_offers_the_missing_role_first_and_the_answer_is_stored_with_its_role(
        site, desktop, qtbot, tmp_path):
    staff = desktop(site, "staff")
    responder = desktop(site, "responder")
    qtbot.waitUntil(lambda: responder.bridge.client.connection.connected, timeout=15000)
    qtbot.mousePress(staff.button.button, Qt.MouseButton.LeftButton)
    qtbot.wait(2300)
    qtbot.mouseRelease(staff.button.button, Qt.MouseButton.LeftButton)
    alarm_id = staff.button.last_raise
    qtbot.waitUntil(lambda: alarm_id in responder.window.cards, timeout=15000)
    card = responder.window.cards[alarm_id]
    assert card.role_order == ["go", "police", "reception"]
    assert [card.role_buttons[r].text() for r in card.role_order] == [
        "Jeg kommer", "Jeg ringer politiet", "Jeg tar resepsjonen"]
    assert all(card.role_buttons[r].isVisible() for r in card.role_order)

    # A colleague answers without saying what: they go, so calling the police now leads.
    api_post(site, f"/alarms/{alarm_id}/acknowledge", {}, who="responder2")
    qtbot.waitUntil(lambda: card.role_order == ["police", "reception", "go"], timeout=10000)
    assert "Randi Responder kommer" in card.coming_line.text()
    assert card.role_buttons["police"].minimumHeight() > card.role_buttons["go"].minimumHeight()
    qtbot.wait(200)  # let the layout settle before the picture
    screenshot(responder.window, "alarm-window-roles.png", tmp_path)

    qtbot.mouseClick(card.role_buttons["police"], Qt.MouseButton.LeftButton)
    assert card.you_line.text() == "Du: Ringer politiet"
    assert not any(b.isVisible() for b in card.role_buttons.values())
    assert not responder.window.sound.playing
    qtbot.waitUntil(lambda: {r["role"] for r in api_get(
        site, f"/alarms/{alarm_id}")["responders"]} == {"go", "police"}, timeout=10000)
    roles = {r["full_name"]: r["role"] for r in api_get(site, f"/alarms/{alarm_id}")["responders"]}
    assert roles == {"Randi Responder": "go", "Rune Responder": "police"}
    qtbot.waitUntil(lambda: "Rune Responder ringer politiet" in card.coming_line.text(),
                    timeout=10000)
    # The raiser's discreet line says who does what.
    qtbot.waitUntil(lambda: "1 kommer, politiet varslet" in staff.button.raise_line.text(),
                    timeout=10000)
    api_post(site, f"/alarms/{alarm_id}/resolve", {})


def test_after_answering_two_clicks_on_another_role_change_it_on_the_server(
        site, desktop, qtbot, tmp_path):
    responder = desktop(site, "responder")
    qtbot.waitUntil(lambda: responder.bridge.client.connection.connected, timeout=15000)
    alarm_id = api_post(site, "/alarms", {"level": "red"})["id"]
    qtbot.waitUntil(lambda: alarm_id in responder.window.cards, timeout=15000)
    card = responder.window.cards[alarm_id]
    assert not any(b.isVisible() for b in card.switch_buttons.values())  # nothing to switch yet

    qtbot.mouseClick(card.role_buttons["go"], Qt.MouseButton.LeftButton)
    assert card.you_line.text() == "Du: Kommer"
    police, reception = card.switch_buttons["police"], card.switch_buttons["reception"]
    assert [police.text(), reception.text()] == [
        "Bytt til: Ringer politiet", "Bytt til: Tar resepsjonen"]
    assert police.isVisible() and reception.isVisible()
    assert not card.switch_buttons["go"].isVisible()
    assert police.minimumHeight() < card.role_buttons["go"].minimumHeight()
    qtbot.waitUntil(lambda: [r["role"] for r in api_get(
        site, f"/alarms/{alarm_id}")["responders"]] == ["go"], timeout=10000)

    # One click only arms the button: the server is told nothing.
    qtbot.mouseClick(police, Qt.MouseButton.LeftButton)
    assert police.text() == "Klikk igjen: Ringer politiet"
    qtbot.wait(200)  # let the layout settle before the picture
    screenshot(responder.window, "alarm-window-switch-role.png", tmp_path)
    qtbot.wait(800)
    assert [r["role"] for r in api_get(site, f"/alarms/{alarm_id}")["responders"]] == ["go"]
    qtbot.mouseClick(police, Qt.MouseButton.LeftButton)
    assert card.you_line.text() == "Du: Ringer politiet"
    qtbot.waitUntil(lambda: [r["role"] for r in api_get(
        site, f"/alarms/{alarm_id}")["responders"]] == ["police"], timeout=10000)
    alarm = api_get(site, f"/alarms/{alarm_id}")
    assert [e["data"]["to"] for e in alarm["events"] if e["type"] == "alarm.role_changed"] == [
        "police"]
    qtbot.waitUntil(lambda: "Rune Responder ringer politiet" in card.coming_line.text(),
                    timeout=10000)
    assert card.switch_buttons["go"].text() == "Bytt til: Kommer"
    assert card.switch_buttons["go"].isVisible() and not police.isVisible()
    assert card.you_line.text() == "Du: Ringer politiet"
    api_post(site, f"/alarms/{alarm_id}/resolve", {})
    qtbot.waitUntil(lambda: not card.open, timeout=10000)
    assert not any(b.isVisible() for b in card.switch_buttons.values())


def test_yellow_alarm_offers_im_coming_first_even_when_someone_is_going(site, desktop, qtbot):
    responder = desktop(site, "responder", language="en")
    qtbot.waitUntil(lambda: responder.bridge.client.connection.connected, timeout=15000)
    alarm = api_post(site, "/alarms", {"level": "yellow"})
    qtbot.waitUntil(lambda: alarm["id"] in responder.window.cards, timeout=15000)
    card = responder.window.cards[alarm["id"]]
    assert card.role_order == ["go", "police", "reception"]
    assert card.coming.text() == "I'm coming"
    api_post(site, f"/alarms/{alarm['id']}/acknowledge", {}, who="responder2")
    qtbot.waitUntil(lambda: "Randi Responder is coming" in card.coming_line.text(), timeout=10000)
    assert card.role_order == ["go", "police", "reception"]
    assert card.map_link.isHidden()  # no position, no map
    api_post(site, f"/alarms/{alarm['id']}/resolve", {})


def test_missed_check_in_shows_a_visit_alarm_with_the_place_and_a_map_link(
        site, desktop, qtbot, tmp_path):
    responder = desktop(site, "responder")
    qtbot.waitUntil(lambda: responder.bridge.client.connection.connected, timeout=15000)
    end = datetime.now(UTC) + timedelta(seconds=1)
    visit = api_post(site, "/visits", {
        "id": str(uuid.uuid4()), "place": "Storgata 1, 2. etg.", "expected_end": end.isoformat(),
        "position": {"lat": 59.91273, "lon": 10.74609, "accuracy_m": 12}})
    window = responder.window

    def visit_card():
        return next((c for c in window.cards.values() if c.alarm.get("visit_id") == visit["id"]),
                    None)

    qtbot.waitUntil(lambda: visit_card() is not None, timeout=30000)
    card = visit_card()
    assert card.title.text() == "Akutt fare – ring 112"
    assert "Hjemmebesøk: ikke sjekket inn" in card.details.text()
    assert "Sted: Storgata 1, 2. etg." in card.details.text()
    assert "Siri Staff" in card.details.text()
    assert card.map_link.isVisible()
    assert card.map_href == ("https://www.openstreetmap.org/?mlat=59.912730&mlon=10.746090"
                             "#map=17/59.912730/10.746090")
    assert 'href="https://www.openstreetmap.org/?mlat=59.912730&amp;mlon=' in card.map_link.text()
    assert card.map_link.openExternalLinks()
    assert card.role_order == ["go", "police", "reception"]
    qtbot.wait(200)
    screenshot(window, "alarm-window-visit.png", tmp_path)
    stored = api_get(site, f"/visits/{visit['id']}")
    assert stored["status"] == "overdue" and stored["alarm_id"] == card.alarm_id
    httpx.post(f"{site.server.api_url}/alarms/{card.alarm_id}/resolve", json={},
               headers=site["responder"].headers, timeout=10).raise_for_status()
