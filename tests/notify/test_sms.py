"""Tier 0 texts, escalation tiers 1 and 2, retries and final failures, through the real
twilio library talking to the local Twilio stand-in."""

import asyncio

from tests.helpers import WsClient
from tests.notify.conftest import SENDER, make_sms_org


async def texts_to(fake, n, timeout=10):
    return await asyncio.to_thread(fake.wait_for, n, kind="sms", timeout=timeout)


async def timeline(api, alarm_id, person):
    response = await api.get(f"/alarms/{alarm_id}", headers=person.headers)
    return response.json()


async def test_red_alarm_texts_every_responder_with_a_phone(
    sms_server, sms_api, sms_org, fake, raise_tracked
):
    org = sms_org
    alarm = (await raise_tracked(org.staff, level="red", room_id=org.room["id"])).json()
    texts = await texts_to(fake, 2)
    await asyncio.sleep(0.5)
    assert sorted(t.params["To"] for t in fake.messages) == sorted(r.phone for r in org.responders)
    for text in texts:
        params = text.params
        assert params["From"] == SENDER
        assert int(params["ValidityPeriod"]) <= 300
        assert params["StatusCallback"] == f"{sms_server.base_url}/api/v1/twilio/status"
        assert params["Body"].startswith("RØD ALARM: Akutt fare, ring 112.")
        assert org.office["name"] in params["Body"] and "Samtalerom 2" in params["Body"]
        assert "Stine Staff" in params["Body"]
        assert params["Body"].endswith(f"Svar 1 = Jeg kommer. {sms_server.base_url}/m/")
        assert len(params["Body"]) <= 160
    await asyncio.sleep(0.3)
    events = (await timeline(sms_api, alarm["id"], org.staff))["events"]
    accepted = [e for e in events if e["type"] == "sms.accepted"]
    assert sorted(e["data"]["sid"] for e in accepted) == sorted(t.sid for t in texts)
    assert {e["data"]["status"] for e in accepted} == {"accepted"}


async def test_yellow_alarm_texts_only_responders_without_a_live_connection(
    sms_server, sms_api, sms_org, fake, raise_tracked
):
    org = sms_org
    online = await WsClient.connect(sms_server.ws_url, org.responders[0].token)
    await online.wait_hello()
    await raise_tracked(org.staff, level="yellow")
    texts = await texts_to(fake, 1)
    await asyncio.sleep(1.0)
    assert [t.params["To"] for t in fake.messages] == [org.responders[1].phone]
    assert texts[0].params["Body"].startswith("GUL ALARM: Trenger bistand.")
    await online.close()


async def test_drill_texts_start_with_ovelse(sms_api, sms_org, fake, raise_tracked):
    await raise_tracked(sms_org.staff, level="red", mode="drill")
    texts = await texts_to(fake, 2)
    assert all(t.params["Body"].startswith("ØVELSE: RØD ALARM") for t in texts)


async def test_test_alarm_texts_nobody(sms_api, sms_org, fake, raise_tracked):
    await raise_tracked(sms_org.staff, level="red", mode="test")
    await asyncio.sleep(1.5)
    assert fake.messages == [] and fake.calls == []


async def test_unacknowledged_alarm_escalates_to_texts_then_calls(
    sms_server, sms_api, sms_admin_token, fake, raise_tracked
):
    org = await make_sms_org(sms_api, sms_admin_token, ack_timeout_s=5)
    raiser = await WsClient.connect(sms_server.ws_url, org.staff.token)
    await raiser.wait_hello()
    alarm = (await raise_tracked(org.staff, level="yellow")).json()
    await texts_to(fake, 2)  # tier 0: both responders are offline

    tier1 = await raiser.event("alarm.escalated", timeout=10)
    assert tier1["event"]["data"] == {"tier": 1, "reason": "no_acknowledgement"}
    texts = await texts_to(fake, 3)
    assert texts[-1].params["To"] == org.managers[0].phone

    tier2 = await raiser.event("alarm.escalated", timeout=10)
    assert tier2["event"]["data"]["tier"] == 2
    calls = await asyncio.to_thread(fake.wait_for, 1, kind="call", timeout=10)
    assert calls[0].params["To"] == org.managers[0].phone
    twiml = calls[0].params["Twiml"]
    assert twiml.count('<Say language="nb-NO">') >= 2 and "<Gather" in twiml
    assert f"alarm_id={alarm['id']}" in twiml
    await raiser.close()


async def test_acknowledgement_stops_escalation(sms_api, sms_admin_token, fake, raise_tracked):
    org = await make_sms_org(sms_api, sms_admin_token, ack_timeout_s=5)
    alarm = (await raise_tracked(org.staff, level="red")).json()
    ack = await sms_api.post(f"/alarms/{alarm['id']}/acknowledge", json={}, headers=org.responders[0].headers)
    assert ack.status_code == 200
    await asyncio.sleep(7)
    events = [e["type"] for e in (await timeline(sms_api, alarm["id"], org.staff))["events"]]
    assert "alarm.escalated" not in events
    assert org.managers[0].phone not in [t.params["To"] for t in fake.messages]
    assert fake.calls == []


async def test_retries_through_500s_and_429s_send_every_text_once(sms_api, sms_org, fake, raise_tracked):
    fake.fail_next(500, count=2)
    fake.fail_next(429, count=1)
    fake.fail_next(503, count=1)
    alarm = (await raise_tracked(sms_org.staff, level="red")).json()
    texts = await texts_to(fake, 2, timeout=30)
    await asyncio.sleep(1)
    assert len(fake.messages) == 2
    assert sorted(t.params["To"] for t in texts) == sorted(r.phone for r in sms_org.responders)
    events = (await timeline(sms_api, alarm["id"], sms_org.staff))["events"]
    retries = [e for e in events if e["type"] == "sms.retry"]
    assert len(retries) == 4
    assert sorted(e["data"]["http_status"] for e in retries) == [429, 500, 500, 503]
    assert len([e for e in events if e["type"] == "sms.accepted"]) == 2


async def test_invalid_number_is_a_final_failure(sms_api, sms_org, fake, raise_tracked):
    fake.fail_next(400, code=21211, message="The 'To' number is not a valid phone number.")
    alarm = (await raise_tracked(sms_org.staff, level="red")).json()
    await texts_to(fake, 1)
    await asyncio.sleep(2.5)
    assert len(fake.requests) == 2  # one refused for good, one accepted; no retry
    events = (await timeline(sms_api, alarm["id"], sms_org.staff))["events"]
    failed = [e for e in events if e["type"] == "sms.failed"]
    assert len(failed) == 1
    assert failed[0]["data"]["error_code"] == "21211"
    assert failed[0]["data"]["http_status"] == 400
