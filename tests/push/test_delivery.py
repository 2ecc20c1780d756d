"""Who is pushed about an alarm, what the request and its decrypted body say, and the outcome
events, through the local push-service stand-in."""

import asyncio
import json

from tests.push.conftest import (
    make_push_org,
    subscribe_browser,
    timeline,
    wait_events,
    wait_pushes,
)


async def raise_alarm(api, person, **body):
    body.setdefault("level", "red")
    response = await api.post("/alarms", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_raise_pushes_every_responder_of_the_office_but_the_raiser(
        push_server, push_api, push_org, push_service):
    org = push_org
    alarm = await raise_alarm(push_api, org.staff, room_id=org.room["id"])
    pushes = await wait_pushes(push_service, 2)
    await asyncio.sleep(0.5)
    assert sorted(p.token for p in push_service.pushes()) == sorted(
        org.browser(r).token for r in org.responders)
    key = (await push_api.get("/push/key", headers=org.staff.headers)).json()["public_key"]
    for push in pushes:
        assert push.headers["content-encoding"] == "aes128gcm"
        assert push.headers["ttl"] == "300"
        assert push.headers["urgency"] == "high"
        assert push.headers["topic"] == alarm["id"].replace("-", "")[:32]
        assert push.claims["aud"] == push_service.origin
        assert push.claims["sub"] == push_server.settings.public_url
        assert push.vapid_key == key
        assert push.payload["type"] == "event"
        assert push.payload["event"]["type"] == "alarm.raised"
        assert push.payload["seq"] == push.payload["event"]["seq"]
        assert push.payload["alarm"]["id"] == alarm["id"]
        assert push.payload["alarm"]["level"] == "red"
        assert push.payload["alarm"]["room"]["name"] == "Samtalerom 3"


async def test_outcomes_are_events_with_the_user_and_subscription_and_no_endpoint(
        push_api, push_org, push_service):
    org = push_org
    alarm = await raise_alarm(push_api, org.staff)
    accepted = await wait_events(push_api, alarm["id"], org.staff, "push.accepted", 2)
    subscriptions = {}
    for responder in org.responders:
        mine = (await push_api.get("/push/subscriptions", headers=responder.headers)).json()
        subscriptions[responder.id] = mine[0]["id"]
    assert {(e["data"]["user_id"], e["data"]["subscription_id"]) for e in accepted} == set(
        subscriptions.items())
    assert all(e["data"]["http_status"] == 201 for e in accepted)
    everything = json.dumps(await timeline(push_api, alarm["id"], org.staff))
    for browser in org.browsers.values():
        assert browser.token not in everything and push_service.origin not in everything


async def test_yellow_alarm_is_pushed_too_and_the_note_never(push_api, push_org, push_service):
    note = "Besøkende Ola Nordmann er sint"
    alarm = await raise_alarm(push_api, push_org.staff, level="yellow", location_note=note)
    pushes = await wait_pushes(push_service, 2)
    for push in pushes:
        assert push.payload["alarm"]["level"] == "yellow"
        assert push.payload["alarm"]["location_note"] is None
        assert "Nordmann" not in json.dumps(push.payload, ensure_ascii=False)
    assert alarm["location_note"] == note


async def test_function_test_pushes_nobody(push_api, push_org, push_service):
    await raise_alarm(push_api, push_org.staff, mode="test")
    await asyncio.sleep(1.5)
    assert push_service.pushes() == []


async def test_drill_is_pushed_as_a_drill(push_api, push_org, push_service):
    await raise_alarm(push_api, push_org.staff, mode="drill")
    pushes = await wait_pushes(push_service, 2)
    assert {p.payload["alarm"]["mode"] for p in pushes} == {"drill"}


async def test_answers_and_the_close_are_pushed_to_the_same_people_with_the_same_topic(
        push_api, push_org, push_service):
    org = push_org
    first, second = org.responders
    alarm = await raise_alarm(push_api, org.staff, level="yellow")
    await wait_pushes(push_service, 2)
    # Someone who subscribes after the raise is not one of the people pushed about it.
    await subscribe_browser(push_api, org, org.manager, push_service)

    steps = [
        (first, "acknowledge", {}, "alarm.acknowledged"),
        (org.staff, "upgrade", {"level": "red"}, "alarm.upgraded"),
        (org.staff, "cancel", {"reason": "Falsk alarm, Ola Nordmann gikk"}, "alarm.cancelled"),
    ]
    for n, (person, action, body, event_type) in enumerate(steps, start=2):
        response = await push_api.post(f"/alarms/{alarm['id']}/{action}", json=body,
                                       headers=person.headers)
        assert response.status_code == 200, response.text
        pushes = await wait_pushes(push_service, 2 * n)
        latest = pushes[-2:]
        assert sorted(p.token for p in latest) == sorted(
            org.browser(r).token for r in (first, second))
        assert {p.event_type for p in latest} == {event_type}
    await asyncio.sleep(0.5)
    pushes = push_service.pushes()
    assert len(pushes) == 8
    assert {p.headers["topic"] for p in pushes} == {alarm["id"].replace("-", "")}
    cancelled = pushes[-1].payload
    assert cancelled["alarm"]["status"] == "cancelled"
    assert cancelled["alarm"]["close_reason"] is None
    assert "reason" not in cancelled["event"]["data"]
    acknowledged = [p.payload for p in pushes if p.event_type == "alarm.acknowledged"][0]
    assert [r["user_id"] for r in acknowledged["alarm"]["responders"]] == [first.id]
    assert org.browser(org.manager).token not in {p.token for p in pushes}


async def test_resolve_is_pushed(push_api, push_org, push_service):
    alarm = await raise_alarm(push_api, push_org.staff)
    await wait_pushes(push_service, 2)
    await push_api.post(f"/alarms/{alarm['id']}/resolve", json={"summary": "Ordnet"},
                        headers=push_org.responders[0].headers)
    pushes = await wait_pushes(push_service, 4)
    assert {p.event_type for p in pushes[2:]} == {"alarm.resolved"}
    assert all(p.payload["alarm"]["status"] == "resolved" for p in pushes[2:])


async def test_payload_stays_under_3800_bytes_with_many_long_named_responders(
        push_api, push_admin_token, push_service):
    org = await make_push_org(push_api, push_admin_token, push_service, responders=10,
                              long_names=True)
    alarm = await raise_alarm(push_api, org.staff)
    await wait_pushes(push_service, 10)
    for responder in org.responders:
        response = await push_api.post(f"/alarms/{alarm['id']}/acknowledge", json={},
                                       headers=responder.headers)
        assert response.status_code == 200
    pushes = await wait_pushes(push_service, 110, timeout=30)
    assert max(p.plaintext_bytes for p in pushes) <= 3800
    last = max((p.payload for p in pushes if p.event_type == "alarm.acknowledged"),
               key=lambda payload: payload["seq"])
    assert last["trimmed"] is True
    assert 1 <= len(last["alarm"]["responders"]) < 10
    full = (await push_api.get(f"/alarms/{alarm['id']}", headers=org.staff.headers)).json()
    assert len(full["responders"]) == 10
