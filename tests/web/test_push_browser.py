"""Lock-screen alerts in a real Chromium: the phone page subscribes for real, and pushes are handed
to the real service worker with the DevTools protocol (`ServiceWorker.deliverPushMessage`).

Chromium's push service cannot be reached from here, so its check-in and registration are
answered by `tests/web/gcm_fake.py`; the subscription that results is real (keys made by the
browser) but its endpoint leads nowhere, so each test turns Chromium's push off again before it
raises an alarm, and nothing leaves this machine. What the server really sends is caught on
the local RFC 8030 push service of `tests/push/` (a second responder's subscription), decrypted
there, and handed to Chromium's worker as the browser would after decrypting it.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

try:
    from playwright.async_api import expect
except ImportError:  # the `chromium_profile` fixture skips (or fails under TRYGG_TEST_REQUIRE_ALL=1)
    expect = None

from tests.conftest import LiveServer, create_admin_token, server_settings, skip_or_fail
from tests.helpers import PASSWORD, make_org, raise_alarm
from tests.push.push_service import FakePushService
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_FOUND, PHONE
from tests.web.gcm_fake import FakeGcm

# Where Chromium says its subscriptions live when its registration server is not Google's own.
GCM_ENDPOINT_ORIGIN = "https://jmt17.google.com"


@pytest.fixture(scope="module")
def wire() -> FakePushService:
    """The local RFC 8030 push service (tests/push/): what the server really sends, decrypted."""
    with FakePushService() as service:
        yield service


@pytest.fixture(scope="module")
async def push_server(new_database, tmp_path_factory, wire) -> AsyncIterator[LiveServer]:
    """A server that accepts the endpoints Chromium makes against the GCM stand-in, and the
    local push service's."""
    live = LiveServer(server_settings(await new_database(), tmp_path_factory.mktemp("push-web"),
                                      heartbeat_interval_s=2,
                                      push_endpoints=f"{GCM_ENDPOINT_ORIGIN},{wire.origin}"))
    await live.start()
    yield live
    await live.stop()


@pytest.fixture
async def push_org(push_server):
    async with httpx.AsyncClient(base_url=push_server.api_url, timeout=30) as client:
        return await make_org(client, await create_admin_token(push_server))


@pytest.fixture
async def push_api(push_server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=push_server.api_url, timeout=30) as client:
        yield client


@pytest.fixture
async def chromium_profile(tmp_path, push_server) -> AsyncIterator:
    """Chromium with a profile on disk: push is refused in the off-the-record contexts that
    `browser.new_context()` makes, so this one is a persistent context. Notifications are
    allowed for the server's origin, as if the person had said yes to the prompt."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        skip_or_fail("browser tests need Playwright's Python package (pip install playwright)")
    if not CHROMIUM_FOUND:
        skip_or_fail(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    gcm = FakeGcm().start()
    try:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"), executable_path=CHROMIUM,
                args=CHROMIUM_ARGS + gcm.chromium_args(), **PHONE)
            context.set_default_timeout(15_000)
            context.on("page", lambda page: (
                page.on("pageerror", lambda err: print(f"[page error] {page.url}: {err}")),
                page.on("console", lambda msg: print(f"[console] {page.url}: {msg.text}")),
            ))
            await context.grant_permissions(["notifications"], origin=push_server.base_url)
            context.gcm = gcm
            yield context
            await context.close()
    finally:
        gcm.stop()


async def phone_login(context, server, person):
    page = context.pages[0] if context.pages else await context.new_page()
    await page.goto(server.base_url + "/m/")
    await page.fill("#username", person.username)
    await page.fill("#password", PASSWORD)
    await page.click("#login button[type=submit]")
    await expect(page.locator("#conn")).to_be_visible()
    return page


class Worker:
    """The phone page's service worker, seen through the DevTools protocol."""

    def __init__(self, context, page, cdp, origin: str) -> None:
        self.context, self.page, self.cdp, self.origin = context, page, cdp, origin
        self.registrations: dict[str, str] = {}
        cdp.on("ServiceWorker.workerRegistrationUpdated", self._updated)

    def _updated(self, params: dict) -> None:
        for reg in params["registrations"]:
            if not reg["isDeleted"]:
                self.registrations[reg["scopeURL"]] = reg["registrationId"]

    @classmethod
    async def attach(cls, context, page, server) -> "Worker":
        cdp = await context.new_cdp_session(page)
        worker = cls(context, page, cdp, server.base_url)
        await cdp.send("ServiceWorker.enable")
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        for _ in range(50):
            if server.base_url + "/m/" in worker.registrations:
                break
            await asyncio.sleep(0.1)
        return worker

    async def push(self, payload: dict[str, Any]) -> None:
        await self.cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": self.origin, "registrationId": self.registrations[self.origin + "/m/"],
            "data": json.dumps(payload, ensure_ascii=False)})

    def script(self):
        return next(w for w in self.context.service_workers if w.url.endswith("/m/sw.js"))

    async def notifications(self, tag: str) -> list[dict]:
        return await self.script().evaluate("""(tag) => registration.getNotifications({tag})
          .then((ns) => ns.map((n) => ({title: n.title, body: n.body, tag: n.tag, icon: n.icon,
            requireInteraction: n.requireInteraction, renotify: n.renotify, vibrate: n.vibrate,
            data: n.data, actions: n.actions.map((a) => a.action + ":" + a.title)})))""", tag)

    async def notification_changes(self, tag: str, title: str) -> dict:
        for _ in range(100):
            shown = await self.notifications(tag)
            if shown and shown[-1]["title"] == title:
                return shown[-1]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no notification {title!r} for {tag}; shown: {shown}")

    async def click(self, tag: str, action: str) -> None:
        """What the browser does when the person taps the notification's button: the worker's
        own `notificationclick` handler, given the notification on screen and the action."""
        await self.script().evaluate("""([tag, action]) => registration.getNotifications({tag})
          .then((ns) => handleNotificationClick(ns[0], action)).then(() => true)""", [tag, action])


async def pushed(server, alarm_id: str, event_type: str) -> dict:
    """What the server pushes for the alarm's newest event of that type (its own payload code,
    on the stored event), as the browser hands it to the worker after decryption."""
    from sqlalchemy import select

    from app.alarm.models import AlarmEvent
    from app.push.service import alarm_payload

    async with server.app.state.sessionmaker() as session:
        event = (await session.scalars(
            select(AlarmEvent).where(AlarmEvent.alarm_id == uuid.UUID(alarm_id),
                                     AlarmEvent.type == event_type)
            .order_by(AlarmEvent.seq.desc()))).first()
        assert event is not None, f"no {event_type} for {alarm_id}"
        return json.loads(json.dumps(alarm_payload(event), default=str))


async def sent_over_the_wire(wire: FakePushService, token: str, event_type: str) -> dict:
    """The decrypted body of the server's real push of that event to the local push service."""
    for _ in range(100):
        found = [p for p in wire.pushes(token) if p.event_type == event_type]
        if found:
            assert wire.violations == []
            return found[-1].payload
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {event_type} push arrived; violations: {wire.violations}")


async def subscriptions(api, person) -> list[dict]:
    response = await api.get("/push/subscriptions", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def turn_push_on(page) -> None:
    await expect(page.locator("#push-state")).to_contain_text("Av:")
    await page.get_by_role("button", name="Slå på varsler på låst skjerm").click()
    await expect(page.locator("#push-state")).to_contain_text("På:")


async def turn_push_off(page) -> None:
    await page.get_by_role("button", name="Slå av varsler på låst skjerm").click()
    await expect(page.locator("#push-state")).to_contain_text("Av:")


async def test_responder_turns_push_on_and_jeg_kommer_on_the_notification_acknowledges(
        push_server, push_org, push_api, chromium_profile, wire, shot):
    org, api = push_org, push_api
    responder = org["responder"]
    page = await phone_login(chromium_profile, push_server, responder)
    # Nothing is asked on its own: the page waits for the button.
    assert await subscriptions(api, responder) == []
    await shot(page, "phone-push-off")
    await turn_push_on(page)
    await shot(page, "phone-push-on")

    mine = await subscriptions(api, responder)
    assert len(mine) == 1
    endpoint = await page.evaluate(
        "navigator.serviceWorker.ready.then((r) => r.pushManager.getSubscription())"
        ".then((s) => s.endpoint)")
    assert mine[0]["endpoint"] == endpoint
    assert endpoint.startswith(GCM_ENDPOINT_ORIGIN + "/")
    # Pressed again after a reload: the same subscription, still one on the server.
    await page.reload()
    await expect(page.locator("#push-state")).to_contain_text("På:")
    assert [s["id"] for s in await subscriptions(api, responder)] == [mine[0]["id"]]

    await turn_push_off(page)
    assert await subscriptions(api, responder) == []
    assert await page.evaluate(
        "navigator.serviceWorker.ready.then((r) => r.pushManager.getSubscription())") is None

    # What the server sends is taken from a second responder's subscription on the local push
    # service (encrypted there by the server, decrypted by the stand-in) and handed to Chromium.
    relay = wire.subscription()
    stored = await api.post("/push/subscriptions", json=relay.to_json(),
                            headers=org["responder2"].headers)
    assert stored.status_code == 201, stored.text

    alarm_id = str(uuid.uuid4())
    raised = await raise_alarm(api, org["staff"], id=alarm_id, level="red",
                               room_id=org.room["id"], location_note="Kunden har en kniv")
    assert raised.status_code == 201, raised.text
    worker = await Worker.attach(chromium_profile, page, push_server)
    await page.goto("about:blank")  # the phone page is closed: only the worker is left
    payload = await sent_over_the_wire(wire, relay.token, "alarm.raised")
    payload["alarm"]["location_note"] = "Kunden har en kniv"  # even if the server sent it
    await worker.push(payload)

    shown = await worker.notification_changes(alarm_id, "Akutt fare – ring 112")
    assert shown["requireInteraction"] is True and shown["renotify"] is True
    assert shown["tag"] == alarm_id and shown["vibrate"]
    assert shown["icon"].endswith("/static/web/alarm-red.png")
    assert shown["actions"] == ["ack:Jeg kommer", "open:Åpne"]
    assert org.room["name"] in shown["body"] and org["staff"].full_name in shown["body"]
    assert "kniv" not in shown["title"] + shown["body"]

    await worker.click(alarm_id, "ack")
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    assert [r["user_id"] for r in alarm["responders"]] == [responder.id]
    assert alarm["status"] == "responding"
    acks = [e for e in alarm["events"] if e["type"] == "alarm.acknowledged"]
    assert len(acks) == 1 and acks[0]["actor"]["id"] == responder.id
    # The same notification now says so, with no second "Jeg kommer"; and so does the push of
    # the acknowledgement that the server sends next.
    shown = await worker.notification_changes(alarm_id, "Du kommer")
    assert shown["actions"] == ["open:Åpne"]
    await worker.push(await sent_over_the_wire(wire, relay.token, "alarm.acknowledged"))
    await asyncio.sleep(0.5)
    shown = await worker.notification_changes(alarm_id, "Du kommer")
    assert shown["actions"] == ["open:Åpne"]
    assert len(await worker.notifications(alarm_id)) == 1

    # A push that comes late (older than what is on screen) changes nothing.
    await worker.push(payload)
    await asyncio.sleep(0.5)
    assert (await worker.notifications(alarm_id))[0]["title"] == "Du kommer"

    # The raiser calls it off: the same notification says "Avblåst".
    cancelled = await api.post(f"/alarms/{alarm_id}/cancel", json={"reason": "Feiltrykk, beklager"},
                               headers=org["staff"].headers)
    assert cancelled.status_code == 200, cancelled.text
    await worker.push(await sent_over_the_wire(wire, relay.token, "alarm.cancelled"))
    shown = await worker.notification_changes(alarm_id, "Avblåst")
    assert shown["icon"].endswith("/static/web/alarm-closed.png")
    assert "Feiltrykk" not in shown["body"]
    assert len(await worker.notifications(alarm_id)) == 1


async def test_drill_is_marked_ovelse_and_apne_brings_the_page_to_the_alarm(
        push_server, push_org, push_api, chromium_profile):
    org, api = push_org, push_api
    page = await phone_login(chromium_profile, push_server, org["responder"])
    alarm_id = str(uuid.uuid4())
    assert (await raise_alarm(api, org["staff"], id=alarm_id, level="yellow", mode="drill",
                              room_id=org.room["id"])).status_code == 201
    await expect(page.locator(f"#alarm-list [data-alarm-id='{alarm_id}']")).to_be_visible()
    worker = await Worker.attach(chromium_profile, page, push_server)
    await worker.push(await pushed(push_server, alarm_id, "alarm.raised"))
    shown = await worker.notification_changes(alarm_id, "ØVELSE – Trenger bistand")
    assert shown["icon"].endswith("/static/web/alarm-yellow.png")

    # Another responder answers: the notification says who is coming, and still offers mine.
    await api.post(f"/alarms/{alarm_id}/acknowledge", json={}, headers=org["responder2"].headers)
    await worker.push(await pushed(push_server, alarm_id, "alarm.acknowledged"))
    shown = await worker.notification_changes(
        alarm_id, f"ØVELSE – {org['responder2'].full_name} kommer")
    assert shown["actions"] == ["ack:Jeg kommer", "open:Åpne"]

    await worker.click(alarm_id, "open")
    await expect(page.locator(f"#alarm-list [data-alarm-id='{alarm_id}']")).to_have_class(
        "card level-yellow status-responding focus")
    assert await worker.notifications(alarm_id) == []  # tapped away
    alarm = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    assert [r["user_id"] for r in alarm["responders"]] == [org["responder2"].id]


async def test_a_rotated_subscription_is_stored_again_and_logout_forgets_it(
        push_server, push_org, push_api, chromium_profile):
    org, api = push_org, push_api
    responder = org["responder"]
    page = await phone_login(chromium_profile, push_server, responder)
    await turn_push_on(page)
    before = await subscriptions(api, responder)
    assert len(before) == 1
    worker = await Worker.attach(chromium_profile, page, push_server)
    # What the browser does when its push service drops the subscription: the old one is gone
    # and `pushsubscriptionchange` comes with no new one; the worker's own handler runs.
    await worker.script().evaluate("""() => registration.pushManager.getSubscription()
      .then((old) => old.unsubscribe().then(() => renewSubscription(old, null))).then(() => true)""")
    after = await subscriptions(api, responder)
    endpoint = await page.evaluate(
        "navigator.serviceWorker.ready.then((r) => r.pushManager.getSubscription())"
        ".then((s) => s.endpoint)")
    assert [s["endpoint"] for s in after] == [endpoint]
    assert endpoint != before[0]["endpoint"]
    await page.reload()
    await expect(page.locator("#push-state")).to_contain_text("På:")

    # Logging out turns push off too, and the worker forgets the device token.
    await page.click("#logout")
    await expect(page.locator("#login")).to_be_visible()
    assert await subscriptions(api, responder) == []
    assert await worker.script().evaluate("TryggKV.get('device').then((d) => d === undefined)")


async def test_readiness_page_says_who_is_reachable_by_which_channel(
        push_server, push_org, chromium_profile):
    from tests.web.test_browser import console_login

    org = push_org
    page = await phone_login(chromium_profile, push_server, org["responder"])
    await turn_push_on(page)
    console = await console_login(chromium_profile, push_server, org["manager"])
    await console.goto(push_server.base_url + "/console/readiness")
    online = console.locator(f"#r-reach tr[data-user-id='{org['responder'].id}']")
    away = console.locator(f"#r-reach tr[data-user-id='{org['responder2'].id}']")
    await expect(online).to_contain_text("app åpen")
    await expect(away).to_contain_text("kan ikke nås nå")  # no page open, no push, no phone
    await expect(online).to_contain_text("app åpen, varsel på låst skjerm")
    await turn_push_off(page)
    await expect(online).not_to_contain_text("varsel på låst skjerm", timeout=20_000)
    await expect(online).to_contain_text("app åpen")
    await console.close()


async def test_blocked_notifications_say_so_and_subscribe_nothing(
        push_server, push_org, push_api, chromium_profile):
    org, api = push_org, push_api
    page = await phone_login(chromium_profile, push_server, org["responder"])
    cdp = await chromium_profile.new_cdp_session(page)
    await cdp.send("Browser.setPermission", {"permission": {"name": "notifications"},
                                             "setting": "denied", "origin": push_server.base_url})
    await page.reload()
    await expect(page.locator("#push-state")).to_contain_text("Blokkert")
    await page.get_by_role("button", name="Slå på varsler på låst skjerm").click()
    await expect(page.locator("#push-state")).to_contain_text("Blokkert")
    assert await subscriptions(api, org["responder"]) == []
