"""Changing one's role after answering, on the phone page in a real Chromium, against a real
server."""

try:
    from playwright.async_api import expect
except ImportError:  # the `browser` fixture skips (or fails under TRYGG_TEST_REQUIRE_ALL=1)
    expect = None

from tests.helpers import raise_alarm
from tests.web.conftest import PHONE
from tests.web.test_browser import phone_login


async def roles_of(api, org, alarm_id: str) -> dict[str, str]:
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    return {r["user_id"]: r["role"] for r in alarm["responders"]}


async def test_responder_changes_role_after_answering_with_two_taps_and_the_server_keeps_it(
        server, fresh_org, api, new_context, shot):
    org = fresh_org
    me = org["responder"]
    page = await phone_login(await new_context(PHONE), server, me)
    raised = await raise_alarm(api, org["staff"], level="red")
    assert raised.status_code == 201, raised.text
    alarm_id = raised.json()["id"]

    card = page.locator(f"#alarm-list .card[data-alarm-id='{alarm_id}']")
    await card.get_by_role("button", name="Jeg kommer").click()
    await expect(card.locator(".you-coming")).to_have_text("Du: Kommer")
    await expect(card.locator(".roles")).to_have_count(0)
    switches = card.locator(".switch-to button")
    await expect(switches).to_have_text(["Bytt til: Ringer politiet", "Bytt til: Tar resepsjonen"])
    assert await roles_of(api, org, alarm_id) == {me.id: "go"}

    # One tap only arms the button; left alone, it goes back and nothing changes.
    reception = card.locator(".switch-to button[data-role=reception]")
    await reception.click()
    await expect(reception).to_have_text("Trykk igjen: Tar resepsjonen")
    await expect(reception).to_have_text("Bytt til: Tar resepsjonen", timeout=8000)
    assert await roles_of(api, org, alarm_id) == {me.id: "go"}

    police = card.locator(".switch-to button[data-role=police]")
    await police.click()
    await expect(police).to_have_text("Trykk igjen: Ringer politiet")
    await shot(page, "phone-responder-switch-role")
    await police.click()
    await expect(card.locator(".you-coming")).to_have_text("Du: Ringer politiet")
    await expect(switches).to_have_text(["Bytt til: Kommer", "Bytt til: Tar resepsjonen"])
    await expect(card.locator(".who-does")).to_contain_text(f"{me.full_name} – ringer politiet")
    assert await roles_of(api, org, alarm_id) == {me.id: "police"}
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    [changed] = [e for e in alarm["events"] if e["type"] == "alarm.role_changed"]
    assert changed["data"]["from"] == "go" and changed["data"]["to"] == "police"
    assert alarm["role_counts"]["police"] == 1 and alarm["role_counts"]["go"] == 0


async def test_role_change_speaks_english_when_asked(server, fresh_org, api, new_context):
    org = fresh_org
    context = await new_context(PHONE)
    page = await context.new_page()
    await page.goto(server.base_url + "/m/?lang=en")  # the choice is kept in a cookie
    page = await phone_login(context, server, org["responder"])
    alarm_id = (await raise_alarm(api, org["staff"], level="yellow")).json()["id"]
    card = page.locator(f"#alarm-list .card[data-alarm-id='{alarm_id}']")
    await card.get_by_role("button", name="I'm coming").click()
    await expect(card.locator(".you-coming")).to_have_text("You: Coming")
    await expect(card.locator(".switch-to button")).to_have_text(
        ["Switch to: Calling the police", "Switch to: Clearing the reception"])
