"""Home visits and answering together on the phone page, in a real Chromium, against a real
server."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

try:
    from playwright.async_api import expect
except ImportError:  # the `browser` fixture skips (or fails under TRYGG_TEST_REQUIRE_ALL=1)
    expect = None

from tests.conftest import LiveServer, create_admin_token, server_settings
from tests.helpers import make_org
from tests.web.conftest import PHONE
from tests.web.test_browser import console_login, hold, phone_login

OSLO = {"latitude": 59.91273, "longitude": 10.74609, "accuracy": 12}
# Browser APIs we cannot observe from outside are recorded where the page calls them.
RECORD_VIBRATE = ("window.__vibrations = [];"
                  " navigator.vibrate = (p) => { window.__vibrations.push(p); return true; };")


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


async def visits_of(api, person) -> list[dict]:
    response = await api.get("/visits", headers=person.headers)
    assert response.status_code == 200, response.text
    return [v for v in response.json()["items"] if v["user_id"] == person.id]


@pytest.fixture
async def roomy_org(server, admin_token):
    """`fresh_org` with more patience: seven password hashes at once are slow on a busy machine."""
    async with httpx.AsyncClient(base_url=server.api_url, timeout=60) as client:
        return await make_org(client, admin_token)


@pytest.fixture
async def short_grace(new_database, tmp_path) -> AsyncIterator[tuple[LiveServer, object]]:
    """A server whose visits alarm 2 s after they are due (a test-only setting), and an org."""
    live = LiveServer(server_settings(await new_database(), tmp_path, heartbeat_interval_s=2,
                                      environment="test", visit_grace_override_s=2))
    await live.start()
    try:
        async with httpx.AsyncClient(base_url=live.api_url, timeout=60) as client:
            org = await make_org(client, await create_admin_token(live))
        yield live, org
    finally:
        await live.stop()


async def test_phone_starts_checks_in_extends_and_ends_a_visit_stored_on_the_server(
        server, roomy_org, api, new_context, connect, shot):
    org = roomy_org
    staff = org["staff"]
    watcher = await connect(org["manager"].token)
    context = await new_context(PHONE, permissions=["geolocation"], geolocation=OSLO)
    page = await phone_login(context, server, staff)
    await expect(page.locator("#visit")).to_be_visible()
    assert await visits_of(api, staff) == []

    await page.click("#visit-open")
    await page.fill("#visit-place", "Storgata 1, 2. etg.")
    await page.click("#visit-form .choice[data-minutes='90']")
    await page.select_option("#visit-interval", str(30 * 60))
    await page.check("#visit-share")
    await shot(page, "phone-visit-start")
    # Position is asked for only once the worker has said yes; wait until the phone has one.
    await page.wait_for_function("navigator.geolocation !== undefined")
    await page.wait_for_timeout(300)
    before = datetime.now(UTC)
    await page.click("#visit-start")
    await expect(page.locator("#visit-active")).to_be_visible()
    await expect(page.locator("#visit-where")).to_have_text("Storgata 1, 2. etg.")
    await expect(page.locator("#visit-check-in")).to_have_text("Jeg er trygg")

    [visit] = await visits_of(api, staff)
    assert visit["status"] == "active" and visit["place"] == "Storgata 1, 2. etg."
    assert visit["check_in_interval_s"] == 1800
    assert timedelta(minutes=89) < parse(visit["expected_end"]) - before < timedelta(minutes=91)
    assert parse(visit["due_at"]) < parse(visit["expected_end"])  # the first check-in comes first
    assert visit["position"]["lat"] == OSLO["latitude"]
    assert (await watcher.event("visit.started"))["visit"]["id"] == visit["id"]
    await shot(page, "phone-visit-active")

    await page.click("#visit-check-in")
    await expect(page.locator("#visit-note")).to_contain_text("Sjekket inn")
    checked = await watcher.event("visit.checked_in")
    assert checked["alarm"] is None and checked["visit"]["id"] == visit["id"]
    [visit] = await visits_of(api, staff)
    assert visit["last_check_in_at"] is not None

    end_before = parse(visit["expected_end"])
    await page.click("#visit-active [data-extend='15']")
    extended = (await watcher.event("visit.extended"))["visit"]
    assert abs(parse(extended["expected_end"]) - end_before - timedelta(minutes=15)) < timedelta(seconds=1)

    await page.click("#visit-end")
    await expect(page.locator("#visit-done")).to_contain_text("Besøket er avsluttet")
    assert (await watcher.event("visit.ended"))["visit"]["status"] == "ended"
    [visit] = await visits_of(api, staff)
    assert visit["status"] == "ended" and visit["ended_at"] is not None and visit["alarm_id"] is None

    # A new visit starts from a fresh form.
    await page.click("#visit-again")
    await expect(page.locator("#visit-form")).to_be_visible()
    await expect(page.locator("#visit-place")).to_have_value("")


async def test_phone_without_consent_sends_no_position_and_refuses_a_time_already_past(
        server, roomy_org, api, new_context):
    org = roomy_org
    context = await new_context(PHONE, permissions=["geolocation"], geolocation=OSLO)
    page = await phone_login(context, server, org["staff"])
    await page.click("#visit-open")
    await page.fill("#visit-place", "Kafé Sentrum")
    await page.fill("#visit-time", "00:00")
    await page.click("#visit-start")
    await expect(page.locator("#visit-error")).to_have_text("Tidspunktet har passert. Velg et senere.")
    assert await visits_of(api, org["staff"]) == []

    await page.click("#visit-form .choice[data-minutes='30']")
    await expect(page.locator("#visit-time")).to_have_value("")
    await page.click("#visit-start")
    await expect(page.locator("#visit-active")).to_be_visible()
    await expect(page.locator("#visit-note")).to_contain_text("Posisjon deles ikke")
    [visit] = await visits_of(api, org["staff"])
    assert visit["position"] is None and visit["check_in_interval_s"] is None


async def test_open_page_warns_with_vibration_when_the_visit_is_due_and_extending_clears_it(
        server, roomy_org, api, new_context, connect):
    org = roomy_org
    staff = org["staff"]
    context = await new_context(PHONE)
    await context.add_init_script(RECORD_VIBRATE)
    page = await phone_login(context, server, staff)
    watcher = await connect(staff.token)
    # Started elsewhere (the API) with an end a moment away; the open page follows it.
    end = datetime.now(UTC) + timedelta(seconds=2)
    created = await api.post("/visits", json={"place": "Tøyenbekken 5",
                                              "expected_end": end.isoformat()},
                             headers=staff.headers)
    assert created.status_code == 201, created.text
    await expect(page.locator("#visit-where")).to_have_text("Tøyenbekken 5")

    warning = page.locator("#visit-warning")
    await expect(warning).to_be_visible()
    await expect(warning).to_contain_text("Sjekk inn innen 2 min, ellers varsles kontoret")
    assert await page.evaluate("window.__vibrations.length") >= 1
    await expect(page).to_have_title("⚠ Jeg er trygg – Trygg alarm")
    due = await watcher.event("visit.due", timeout=30)
    assert due["visit"]["id"] == created.json()["id"] and due["visit"]["warned_at"] is not None

    await page.click("#visit-active [data-extend='30']")
    await expect(warning).to_be_hidden()
    await expect(page).to_have_title("Trygg alarm")
    [visit] = await visits_of(api, staff)
    assert visit["status"] == "active" and parse(visit["due_at"]) > datetime.now(UTC)


async def test_responder_answers_red_with_the_police_role_and_the_raiser_sees_who_does_what(
        server, roomy_org, api, new_context, shot):
    org = roomy_org
    responder_page = await phone_login(await new_context(PHONE), server, org["responder"])
    staff_page = await phone_login(await new_context(PHONE), server, org["staff"],
                                   room=org.room["name"])
    await hold(staff_page, "#btn-red")
    await expect(staff_page.locator("#mine-body")).to_contain_text("Alarmen er mottatt")

    card = responder_page.locator("#alarm-list .card").first
    buttons = card.locator(".roles button")
    await expect(buttons).to_have_text(["Jeg kommer", "Jeg ringer politiet", "Jeg tar resepsjonen"])
    alarm_id = await card.get_attribute("data-alarm-id")

    # A colleague answers without a role and is sent to the room: police is now the one missing.
    answered = await api.post(f"/alarms/{alarm_id}/acknowledge", json={},
                              headers=org["responder2"].headers)
    assert answered.status_code == 200
    await expect(buttons).to_have_text(["Jeg ringer politiet", "Jeg tar resepsjonen", "Jeg kommer"])
    await expect(card.locator(".who-does")).to_contain_text(f"{org['responder2'].full_name} – kommer")
    await shot(responder_page, "phone-responder-roles")

    await card.get_by_role("button", name="Jeg ringer politiet").click()
    await expect(card.locator(".you-coming")).to_have_text("Du: Ringer politiet")
    await expect(card.locator(".roles")).to_have_count(0)
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    roles = {r["user_id"]: r["role"] for r in alarm["responders"]}
    assert roles == {org["responder2"].id: "go", org["responder"].id: "police"}

    await expect(staff_page.locator("#mine-summary")).to_have_text("1 kommer, politiet varslet")
    await expect(staff_page.locator("#mine-coming")).to_contain_text(
        f"{org['responder'].full_name} – ringer politiet")
    await shot(staff_page, "phone-staff-roles")

    console = await console_login(await new_context(), server, org["manager"])
    await expect(console.locator(f"#board tr[data-alarm-id='{alarm_id}'] .roles-summary")).to_have_text(
        "1 kommer, politiet varslet")
    await console.goto(f"{server.base_url}/console/alarms/{alarm_id}")
    await expect(console.locator("#timeline")).to_contain_text(
        f"Svarte: ringer politiet – {org['responder'].full_name}")
    await expect(console.locator("#timeline")).to_contain_text(
        f"Svarte: kommer – {org['responder2'].full_name}")
    await expect(console.locator("#summary")).to_contain_text(
        f"{org['responder'].full_name} – ringer politiet")


async def test_yellow_alarm_offers_im_coming_first_and_a_silent_raiser_sees_a_discreet_line(
        server, roomy_org, api, new_context):
    org = roomy_org
    responder_page = await phone_login(await new_context(PHONE), server, org["responder"])
    staff_page = await phone_login(await new_context(PHONE), server, org["staff"])
    await staff_page.check("#silent")
    await hold(staff_page, "#btn-yellow")
    card = responder_page.locator("#alarm-list .card").first
    await expect(card.locator(".roles button").first).to_have_text("Jeg kommer")
    alarm_id = await card.get_attribute("data-alarm-id")
    await api.post(f"/alarms/{alarm_id}/acknowledge", json={}, headers=org["responder2"].headers)
    # Yellow: a second answer is still offered "I'm coming" first.
    await expect(card.locator(".roles button").first).to_have_text("Jeg kommer")
    await card.get_by_role("button", name="Jeg kommer").click()
    await expect(card.locator(".you-coming")).to_have_text("Du: Kommer")
    summary = staff_page.locator("#mine-summary")
    await expect(summary).to_have_text("Sendt. 2 kommer")
    await expect(staff_page.locator("#mine")).to_have_class("mine silent")
    await expect(staff_page.locator("#mine-coming")).to_have_count(0)  # no names on a silent screen


async def test_missed_check_in_alarms_the_office_the_phone_says_so_and_the_console_shows_it(
        short_grace, new_context, shot):
    live, org = short_grace
    staff = org["staff"]
    board = await console_login(await new_context(), live, org["manager"])
    await expect(board.locator("#visits-empty")).to_be_visible()
    responder = await phone_login(await new_context(PHONE), live, org["responder"])
    context = await new_context(PHONE)
    await context.add_init_script(RECORD_VIBRATE)
    page = await phone_login(context, live, staff)
    async with httpx.AsyncClient(base_url=live.api_url, timeout=10) as api:
        end = datetime.now(UTC) + timedelta(seconds=4)
        created = await api.post("/visits", json={
            "place": "Grønlandsleiret 9", "expected_end": end.isoformat(),
            "position": {"lat": 59.9122, "lon": 10.7600, "accuracy_m": 20}},
            headers=staff.headers)
        assert created.status_code == 201, created.text
        visit_id = created.json()["id"]
        await expect(page.locator("#visit-where")).to_have_text("Grønlandsleiret 9")
        row = board.locator(f"#visits tr[data-visit-id='{visit_id}']")
        await expect(row).to_contain_text("Grønlandsleiret 9")
        await expect(row).to_contain_text(staff.full_name)
        await page.click("#visit-check-in")  # no interval: the end stays due
        await expect(page.locator("#visit-note")).to_contain_text("Sjekket inn")

        await expect(page.locator("#visit-done")).to_contain_text(
            "Du sjekket ikke inn. Kontoret er varslet.", timeout=30_000)
        assert await page.evaluate("window.__vibrations.length") >= 1  # it warned first
        await expect(row).to_contain_text("Forfalt – alarm")
        await shot(board, "console-board-visit")
        card = responder.locator("#alarm-list .card").first
        await expect(card).to_contain_text("Akutt fare")
        await expect(card).to_contain_text("Hjemmebesøk: Grønlandsleiret 9")
        await expect(card.locator("a.map")).to_have_attribute(
            "href", "https://www.openstreetmap.org/?mlat=59.9122&mlon=10.76#map=17/59.9122/10.76")
        visit = (await api.get(f"/visits/{visit_id}", headers=staff.headers)).json()
        assert visit["status"] == "overdue" and visit["alarm_id"]
        alarm_id = visit["alarm_id"]

        # Safe after all: the worker calls the alarm off from the phone.
        await page.click("#visit-false")
        await expect(page.locator("#visit-false")).to_be_hidden()
        alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
        assert alarm["status"] == "cancelled" and alarm["visit_id"] == visit_id
        await expect(card).to_contain_text("Avlyst – sjekk likevel")

    await board.goto(f"{live.base_url}/console/alarms/{alarm_id}")
    timeline = board.locator("#timeline")
    for text in ("Besøk startet", "Sjekket inn", "Frist nådd", "Ikke sjekket inn – alarm",
                 "Alarm utløst", "Avlyst"):
        await expect(timeline).to_contain_text(text)
    await expect(board.locator("#summary")).to_contain_text("Grønlandsleiret 9")
    await shot(board, "console-visit-alarm", full_page=True)

    # Statistics: one visit, overdue, and a false alarm (called off by the worker).
    await board.goto(f"{live.base_url}/console/stats")
    row = board.locator("#table-visits tbody tr", has_text=org.office["name"])
    await expect(row.locator("td")).to_have_text(["1", "1", "1"])
    await expect(board.locator("#table-visits thead")).to_contain_text("Falsk alarm ved forfall")


async def test_visit_started_on_a_page_opened_offline_is_stored_once_the_server_is_back(
        short_grace, new_context):
    live, org = short_grace
    staff = org["staff"]
    page = await phone_login(await new_context(PHONE), live, staff)
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await live.stop()
    # With the server gone the service worker still opens the page, visit and all (the
    # browser's own HTTP cache is left out: it would hide a file the worker does not keep).
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    await page.reload()
    await expect(page.locator("#unprotected")).to_be_visible()
    await expect(page.locator("#raise")).to_be_visible()
    await page.click("#visit-open")
    await page.fill("#visit-place", "Hjemme hos bruker, Kampen")
    await page.click("#visit-start")
    await expect(page.locator("#visit-error")).to_have_text(
        "Sender … prøver igjen til serveren svarer.")
    await expect(page.locator("#visit-start")).to_be_disabled()
    pending = await page.evaluate("JSON.parse(localStorage.getItem('trygg.m.visit_pending'))")
    assert pending["kind"] == "start"

    again = LiveServer(live.settings, port=live.port)
    await again.start()
    try:
        await expect(page.locator("#visit-active")).to_be_visible(timeout=20_000)
        await expect(page.locator("#visit-where")).to_have_text("Hjemme hos bruker, Kampen")
        async with httpx.AsyncClient(base_url=again.api_url, timeout=10) as api:
            visits = await visits_of(api, staff)
        assert [v["id"] for v in visits] == [pending["id"]]  # retried with its id: one visit
        assert await page.evaluate("localStorage.getItem('trygg.m.visit_pending')") == "null"
    finally:
        await again.stop()


async def test_visit_section_speaks_english_when_asked(server, roomy_org, new_context):
    page = await phone_login(await new_context(PHONE), server, roomy_org["staff"])
    await page.goto(server.base_url + "/m/?lang=en")
    await expect(page.locator("#visit-h")).to_have_text("Home visit")
    await page.click("#visit-open")
    await expect(page.locator("#visit-form .choice")).to_have_text(["+30 min", "+60 min", "+90 min"])
    await expect(page.locator("#visit-start")).to_have_text("Start the visit")
    await page.fill("#visit-place", "Café Sentrum")
    await page.click("#visit-start")
    await expect(page.locator("#visit-check-in")).to_have_text("I'm safe")
    await page.click("#visit-end")
    await expect(page.locator("#visit-done")).to_contain_text("The visit has ended.")
