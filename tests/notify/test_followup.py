"""After a cancel or resolve, one short text to everyone who was texted about the alarm."""

import asyncio
from datetime import UTC, datetime

from app.notify import texts
from tests.helpers import WsClient

AT = datetime(2026, 11, 26, 9, 5, tzinfo=UTC)


async def texts_to(fake, n, timeout=15):
    return await asyncio.to_thread(fake.wait_for, n, kind="sms", timeout=timeout)


async def timeline(api, alarm_id, person):
    return (await api.get(f"/alarms/{alarm_id}", headers=person.headers)).json()["events"]


def test_follow_up_says_cancelled_or_resolved_in_one_segment():
    cancelled = texts.followup_sms(closed="cancelled", level="red", mode="real",
                                   office="NAV Grorud", room="Samtalerom 1", raised_at=AT)
    assert cancelled == ("Avblåst: Rød alarm kl 10:05, NAV Grorud, Samtalerom 1. "
                         "Du trenger ikke komme.")
    resolved = texts.followup_sms(closed="resolved", level="yellow", mode="drill",
                                  office="NAV Grorud", room=None, raised_at=AT)
    assert resolved == "ØVELSE: Avsluttet: Gul alarm kl 10:05, NAV Grorud. Situasjonen er løst."
    for text in (cancelled, resolved):
        assert texts.is_gsm7(text) and len(text) <= 160


def test_follow_up_with_long_names_still_fits_one_segment():
    body = texts.followup_sms(closed="cancelled", level="red", mode="drill",
                              office="NAV " + "Vestre " * 20, room="Rom " * 40, raised_at=AT)
    assert len(body) <= texts.sms_limit(body)
    assert body.startswith("ØVELSE: Avblåst: Rød alarm kl 10:05")


async def test_cancel_texts_everyone_who_was_texted_and_nobody_else(
        sms_server, sms_api, sms_org, fake, raise_tracked):
    org = sms_org
    online = await WsClient.connect(sms_server.ws_url, org.responders[0].token)
    await online.wait_hello()
    alarm = (await raise_tracked(org.staff, level="yellow", room_id=org.room["id"])).json()
    await texts_to(fake, 1)  # only the responder without a live connection
    await asyncio.sleep(0.5)
    texted = org.responders[1].phone
    reason = "Falsk alarm: Ola Nordmann gikk"
    cancel = await sms_api.post(f"/alarms/{alarm['id']}/cancel", json={"reason": reason},
                                headers=org.staff.headers)
    assert cancel.status_code == 200
    messages = await texts_to(fake, 2)
    await asyncio.sleep(1)
    assert [m.params["To"] for m in fake.messages] == [texted, texted]
    body = messages[1].params["Body"]
    assert body.startswith("Avblåst: Gul alarm kl ")
    assert org.office["name"] in body and "Samtalerom 2" in body
    assert "Nordmann" not in body and len(body) <= 160
    assert int(messages[1].params["ValidityPeriod"]) <= 300
    events = await timeline(sms_api, alarm["id"], org.staff)
    follow_ups = [e for e in events if e["type"] == "sms.accepted"
                  and e["data"].get("kind") == "followup"]
    assert [e["data"]["user_id"] for e in follow_ups] == [org.responders[1].id]
    await online.close()


async def test_resolving_a_drill_sends_an_ovelse_follow_up(sms_api, sms_org, fake, raise_tracked):
    org = sms_org
    alarm = (await raise_tracked(org.staff, level="red", mode="drill")).json()
    await texts_to(fake, 2)
    await asyncio.sleep(0.5)
    await sms_api.post(f"/alarms/{alarm['id']}/resolve", json={"summary": "Ferdig"},
                       headers=org.responders[0].headers)
    messages = await texts_to(fake, 4)
    follow_ups = [m for m in messages[2:]]
    assert sorted(m.params["To"] for m in follow_ups) == sorted(r.phone for r in org.responders)
    assert all(m.params["Body"].startswith("ØVELSE: Avsluttet: Rød alarm") for m in follow_ups)


async def test_an_alarm_nobody_was_texted_about_sends_no_follow_up(
        sms_server, sms_api, sms_org, fake, raise_tracked):
    org = sms_org
    clients = [await WsClient.connect(sms_server.ws_url, r.token) for r in org.responders]
    for client in clients:
        await client.wait_hello()
    alarm = (await raise_tracked(org.staff, level="yellow")).json()
    await asyncio.sleep(1)
    await sms_api.post(f"/alarms/{alarm['id']}/cancel", json={"reason": "Feil"},
                       headers=org.staff.headers)
    await asyncio.sleep(1.5)
    assert fake.messages == []
    for client in clients:
        await client.close()
