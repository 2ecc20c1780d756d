"""The web pages in a real Chromium, against a real server."""

import asyncio
import csv
import io
import uuid

import httpx

try:
    from playwright.async_api import expect
except ImportError:  # the `browser` fixture skips (or fails under TRYGG_TEST_REQUIRE_ALL=1)
    expect = None

from tests.conftest import ADMIN_PASSWORD, LiveServer, server_settings
from tests.helpers import PASSWORD, bearer, make_org, raise_alarm
from tests.web.conftest import PHONE


async def phone_login(context, server, person, *, room: str | None = None):
    page = await context.new_page()
    await page.goto(server.base_url + "/m/")
    await page.fill("#username", person.username)
    await page.fill("#password", PASSWORD)
    await page.click("#login button[type=submit]")
    if "staff" in person.roles:
        await expect(page.locator("#setup")).to_be_visible()
        if room:
            await page.select_option("#room", label=room)
        await page.click("#room-form button[type=submit]")
        await expect(page.locator("#raise")).to_be_visible()
    await expect(page.locator("#conn")).to_be_visible()
    await expect(page.locator("#unprotected")).to_be_hidden()
    return page


async def hold(page, selector: str, ms: int = 1700) -> None:
    await page.locator(selector).hover()
    await page.mouse.down()
    await page.wait_for_timeout(ms)
    await page.mouse.up()


async def test_staff_holds_red_responder_answers_raiser_sees_who_is_coming(
        server, fresh_org, api, new_context, shot):
    org = fresh_org
    responder_page = await phone_login(await new_context(PHONE), server, org["responder"])
    staff_page = await phone_login(await new_context(PHONE), server, org["staff"],
                                   room=org.room["name"])
    await shot(staff_page, "phone-staff")

    # A short press raises nothing.
    await hold(staff_page, "#btn-red", ms=300)
    await staff_page.wait_for_timeout(300)
    await expect(staff_page.locator("#mine")).to_be_hidden()

    await hold(staff_page, "#btn-red")
    await expect(staff_page.locator("#mine-body")).to_contain_text("Alarmen er mottatt")
    await expect(staff_page.locator("#false-alarm")).to_be_visible()

    card = responder_page.locator("#alarm-list .card").first
    await expect(card).to_contain_text("Akutt fare")
    await expect(card).to_contain_text(org.room["name"])
    await expect(card).to_contain_text(org["staff"].full_name)
    await shot(responder_page, "phone-responder-alarm")
    await card.get_by_role("button", name="Jeg kommer").click()
    await expect(card.locator(".you-coming")).to_have_text("Du: Kommer")

    await expect(staff_page.locator("#mine-coming")).to_contain_text(org["responder"].full_name)
    await shot(staff_page, "phone-staff-help-coming")

    listed = (await api.get("/alarms", headers=org["manager"].headers)).json()["items"]
    assert len(listed) == 1
    alarm = (await api.get(f"/alarms/{listed[0]['id']}", headers=org["manager"].headers)).json()
    assert alarm["level"] == "red" and alarm["status"] == "responding"
    assert alarm["room"]["id"] == org.room["id"]
    assert alarm["device_id"] is not None  # raised with the phone's own device token
    delivered = [e for e in alarm["events"] if e["type"] == "alarm.delivered"]
    assert [e["data"]["channel"] for e in delivered] == ["websocket"]


async def test_raiser_upgrades_then_cancels_and_responder_sees_both(server, fresh_org, new_context):
    org = fresh_org
    responder_page = await phone_login(await new_context(PHONE), server, org["responder"])
    staff_page = await phone_login(await new_context(PHONE), server, org["staff"])
    await hold(staff_page, "#btn-yellow")
    await expect(responder_page.locator("#alarm-list .card")).to_contain_text("Trenger bistand")
    await staff_page.click("#upgrade")
    await expect(responder_page.locator("#alarm-list .card")).to_contain_text("Oppgradert til rød")
    await expect(staff_page.locator("#upgrade")).to_be_hidden()
    await staff_page.click("#false-alarm")
    await expect(staff_page.locator("#mine-body")).to_contain_text("Avlyst")
    await expect(responder_page.locator("#alarm-list .card")).to_contain_text("Avlyst – sjekk likevel")


async def console_login(context, server, person):
    page = await context.new_page()
    await page.goto(server.base_url + "/console/login")
    await page.fill("#username", person.username)
    await page.fill("#password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url("**/console/")
    await expect(page.locator("#who-name")).to_have_text(person.full_name)
    return page


async def test_manager_console_follows_alarm_live_and_records_the_incident(
        server, fresh_org, api, new_context, shot, connect):
    org = fresh_org
    phone = (await api.post("/devices", json={"user_id": org["responder"].id, "kind": "mobile",
                                              "label": "Runes telefon"},
                            headers=org["responder"].headers)).json()
    desk = (await api.post("/devices", json={"user_id": org["staff"].id, "kind": "desktop",
                                             "room_id": org.room["id"], "label": "PC skranke"},
                           headers=org.admin_headers)).json()
    await api.post("/alarms", json={"level": "yellow", "mode": "test"},
                   headers=bearer(desk["token"]))
    await connect(phone["token"])
    page = await console_login(await new_context(), server, org["manager"])
    await expect(page.locator("#board-empty")).to_be_visible()
    await asyncio.sleep(0.5)  # let the board's socket say hello

    alarm_id = str(uuid.uuid4())
    assert (await raise_alarm(api, org["staff"], id=alarm_id, level="yellow",
                              room_id=org.room["id"])).status_code == 201
    row = page.locator(f"#board tr[data-alarm-id='{alarm_id}']")
    await expect(row).to_contain_text(org.room["name"])
    await expect(row).to_contain_text("Ingen har svart ennå")
    await api.post(f"/alarms/{alarm_id}/acknowledge", json={}, headers=org["responder"].headers)
    await expect(row.locator(".coming")).to_have_text(org["responder"].full_name)
    await shot(page, "console-board")
    await api.post(f"/alarms/{alarm_id}/resolve", json={"summary": "Kunden roet seg"},
                   headers=org["responder"].headers)
    await expect(row).to_be_hidden()

    await page.goto(f"{server.base_url}/console/alarms/{alarm_id}")
    await expect(page.locator("#timeline")).to_contain_text("Alarm utløst")
    await expect(page.locator("#timeline")).to_contain_text("Svarte: kommer")
    await expect(page.locator("#summary")).to_contain_text("Tid til første svar")
    await expect(page.locator("#incident")).to_be_visible()
    await page.fill("#i-work", "Samtale om ytelser")
    await page.fill("#i-seq", "Brukeren ble sint og kastet en stol. Kollega kom etter 20 s.")
    await page.fill("#i-causes", "Avslag på søknad")
    await page.check("#i-injury-serious")
    await expect(page.locator("#duty")).to_be_visible()
    await expect(page.locator("#duty")).to_contain_text("Arbeidstilsynet")
    await page.fill("#i-li-at", "2020-01-01T10:00")  # before the alarm: refused, nothing stored
    await page.click("#incident-form button[type=submit]")
    await expect(page.locator("#incident-msg")).to_contain_text("labour_inspection_notified_at")
    await page.fill("#i-li-at", "")
    await page.check("#i-police")
    await page.fill("#i-ref", "AVVIK-2026-17")
    await page.click("#incident-form button[type=submit]")
    await expect(page.locator("#incident-msg")).to_have_text("Lagret")
    await expect(page.locator("#duty-state")).to_have_text("Varsling gjenstår")

    await page.fill("#d-participants", f"{org['staff'].full_name}, {org['responder'].full_name}")
    await page.fill("#d-notes", "Gjennomgang av hendelsen")
    await page.click("#debrief-form button[type=submit]")
    await expect(page.locator("#debriefs")).to_contain_text(org["staff"].full_name)
    await page.fill("#t-title", "Flytte møtebord nærmere døren")
    await page.select_option("#t-owner", label=org["manager"].full_name)
    await page.click("#task-form button[type=submit]")
    await expect(page.locator("#tasks")).to_contain_text("Flytte møtebord")
    await shot(page, "console-alarm-incident", full_page=True)

    incident = (await api.get(f"/alarms/{alarm_id}/incident",
                              headers=org["manager"].headers)).json()
    assert incident["recorded"] and incident["injury"] == "serious"
    assert incident["deviation_ref"] == "AVVIK-2026-17" and incident["police_notified"]
    assert incident["labour_inspection_notified_at"] is None
    assert incident["notification_duty"]["outstanding"] is True
    assert len(incident["debriefs"]) == 1 and len(incident["tasks"]) == 1
    assert incident["tasks"][0]["owner"]["id"] == org["manager"].id

    await page.goto(server.base_url + "/console/alarms")
    await expect(page.locator(f"#alarms tr[data-alarm-id='{alarm_id}']")).to_be_visible()
    await page.select_option("#f-level", "yellow")
    await page.select_option("#f-mode", "real")
    await page.click("#filters button[type=submit]")
    await expect(page.locator("#alarms tbody tr")).to_have_count(1)
    await shot(page, "console-alarms")
    async with page.expect_download() as info:
        await page.click("#export")
    download = await info.value
    rows = list(csv.DictReader(io.StringIO(
        (await download.path()).read_text(encoding="utf-8-sig"))))
    assert [r["id"] for r in rows] == [alarm_id]
    assert rows[0]["responders"] == org["responder"].full_name

    await page.goto(server.base_url + "/console/stats")
    await expect(page.locator("#table-real")).to_contain_text("1")
    await expect(page.locator("#chart-real svg")).to_be_visible()
    await shot(page, "console-stats", full_page=True)
    await page.goto(server.base_url + "/console/readiness")
    await expect(page.locator("#r-responders")).to_contain_text(org["responder"].full_name)
    await expect(page.locator("#r-devices")).to_contain_text("Runes telefon")
    await expect(page.locator("#r-devices")).to_contain_text("Test forfalt")
    await shot(page, "console-readiness")


async def test_admin_page_lists_offices_users_and_devices(server, fresh_org, new_context, shot):
    org = fresh_org
    async with httpx.AsyncClient(base_url=server.api_url, timeout=30) as client:
        me = (await client.get("/me", headers=bearer(org.admin_token))).json()
    context = await new_context()
    page = await context.new_page()
    await page.goto(server.base_url + "/console/login")
    await page.evaluate("([t, me]) => { sessionStorage.setItem('trygg.c.token', t);"
                        " sessionStorage.setItem('trygg.c.me', JSON.stringify(me)); }",
                        [org.admin_token, me])
    await page.goto(f"{server.base_url}/console/admin?lang=en")
    await expect(page.locator("#admin-body")).to_be_visible()
    await page.select_option("#a-office", org.office["id"])
    await expect(page.locator("#users")).to_contain_text(org["manager"].full_name)
    await expect(page.locator("h2")).to_have_text("Administration")
    await shot(page, "console-admin-en")


async def test_unprotected_banner_when_server_stops_and_page_opens_offline(
        new_database, tmp_path, new_context, shot):
    from app.auth import service as auth_service
    from app.auth.schemas import UserCreate

    live = LiveServer(server_settings(await new_database(), tmp_path, heartbeat_interval_s=1))
    await live.start()
    try:
        async with live.app.state.sessionmaker() as session:
            await auth_service.create_user(session, payload=UserCreate(
                username="root", password=ADMIN_PASSWORD, full_name="Root", roles=["admin"]))
            await session.commit()
        async with httpx.AsyncClient(base_url=live.api_url, timeout=30) as client:
            token = (await client.post("/auth/login", json={"username": "root",
                                                            "password": ADMIN_PASSWORD})).json()
            org = await make_org(client, token["access_token"])
        context = await new_context(PHONE)
        page = await phone_login(context, live, org["staff"])
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await expect(page.locator("#readiness")).to_contain_text("0")
    finally:
        await live.stop()
    await expect(page.locator("#unprotected")).to_be_visible()
    await expect(page.locator("#unprotected")).to_contain_text("IKKE BESKYTTET")
    await shot(page, "phone-unprotected")
    await expect(page.locator("#readiness")).to_be_hidden()
    # With the server gone the service worker still opens the page, which says it is unprotected.
    await page.reload()
    await expect(page.locator("#unprotected")).to_be_visible()
    await expect(page.locator("#raise")).to_be_visible()

    # An alarm raised meanwhile is kept on the phone and sent once the server is back.
    await hold(page, "#btn-red")
    await expect(page.locator("#mine-body")).to_contain_text("Sender alarm")
    pending = await page.evaluate("JSON.parse(localStorage.getItem('trygg.m.pending'))")
    assert len(pending) == 1 and pending[0]["body"]["level"] == "red"
    again = LiveServer(live.settings, port=live.port)
    await again.start()
    try:
        await expect(page.locator("#unprotected")).to_be_hidden(timeout=20_000)
        await expect(page.locator("#mine-body")).to_contain_text("Alarmen er mottatt")
        async with httpx.AsyncClient(base_url=again.api_url, timeout=30) as client:
            stored = await client.get(f"/alarms/{pending[0]['body']['id']}",
                                      headers=org["staff"].headers)
        assert stored.status_code == 200 and stored.json()["level"] == "red"
        assert await page.evaluate("JSON.parse(localStorage.getItem('trygg.m.pending'))") == []
    finally:
        await again.stop()
