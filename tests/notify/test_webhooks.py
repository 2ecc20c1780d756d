"""Twilio's callbacks: signed status updates, replies to texts, keypresses in calls."""

import asyncio

import httpx

from tests.notify.conftest import make_sms_org


async def first_text(fake, timeout=10):
    return (await asyncio.to_thread(fake.wait_for, 1, kind="sms", timeout=timeout))[0]


async def alarm_events(api, alarm_id, person):
    return (await api.get(f"/alarms/{alarm_id}", headers=person.headers)).json()["events"]


async def post_form(url, params, signature=None) -> httpx.Response:
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    async with httpx.AsyncClient() as client:
        return await client.post(url, data=params, headers=headers)


async def test_status_callback_without_a_valid_signature_is_refused_and_stores_nothing(
        sms_api, sms_org, fake, raise_tracked):
    alarm = (await raise_tracked(sms_org.staff, level="red")).json()
    text = await first_text(fake)
    await asyncio.sleep(0.5)
    before = await alarm_events(sms_api, alarm["id"], sms_org.staff)
    callback = fake.status_callback(text, "delivered")
    for signature in (None, "bm90IGEgc2lnbmF0dXJl", fake.sign(callback.url + "x", callback.params)):
        response = await post_form(callback.url, callback.params, signature)
        assert response.status_code == 403
        assert response.json()["error"] == "invalid_signature"
    assert await alarm_events(sms_api, alarm["id"], sms_org.staff) == before


async def test_delivered_callback_is_recorded_once(sms_api, sms_org, fake, raise_tracked):
    alarm = (await raise_tracked(sms_org.staff, level="red")).json()
    text = await first_text(fake)
    await asyncio.sleep(0.5)
    callback = fake.status_callback(text, "delivered")
    for _ in range(2):
        response = await post_form(callback.url, callback.params, callback.headers["X-Twilio-Signature"])
        assert response.status_code == 204
    events = await alarm_events(sms_api, alarm["id"], sms_org.staff)
    delivered = [e for e in events if e["type"] == "sms.delivered"]
    assert len(delivered) == 1
    assert delivered[0]["data"]["status"] == "delivered"
    assert delivered[0]["data"]["sid"] == text.sid
    receipts = [e for e in events if e["type"] == "alarm.delivered"]
    assert [e["data"]["channel"] for e in receipts] == ["sms"]
    snapshot = (await sms_api.get(f"/alarms/{alarm['id']}", headers=sms_org.staff.headers)).json()
    assert {d["channel"] for d in snapshot["deliveries"]} == {"sms"}


async def test_undelivered_text_reaches_the_raiser_as_an_event(
        sms_server, sms_api, sms_org, fake, raise_tracked):
    from tests.helpers import WsClient

    raiser = await WsClient.connect(sms_server.ws_url, sms_org.staff.token)
    await raiser.wait_hello()
    await raise_tracked(sms_org.staff, level="red")
    text = await first_text(fake)
    await asyncio.sleep(0.5)
    callback = fake.status_callback(text, "undelivered", error_code="30003")
    response = await post_form(callback.url, callback.params, callback.headers["X-Twilio-Signature"])
    assert response.status_code == 204
    frame = await raiser.event("sms.undelivered")
    assert frame["event"]["data"]["status"] == "undelivered"
    assert frame["event"]["data"]["error_code"] == "30003"
    await raiser.close()


async def test_reply_1_to_the_text_acknowledges(sms_server, sms_api, sms_org, fake, raise_tracked):
    alarm = (await raise_tracked(sms_org.staff, level="red")).json()
    await first_text(fake)
    await asyncio.sleep(0.5)
    responder = sms_org.responders[0]
    url = f"{sms_server.base_url}/api/v1/twilio/sms"
    params = {"From": responder.phone, "To": "+4759440000", "Body": " kommer ",
              "MessageSid": "SM" + "1" * 32, "AccountSid": fake.account_sid}
    unsigned = await post_form(url, params)
    assert unsigned.status_code == 403
    response = await post_form(url, params, fake.sign(url, params))
    assert response.status_code == 200
    assert "Registrert" in response.text and response.text.startswith("<Response>")
    snapshot = (await sms_api.get(f"/alarms/{alarm['id']}", headers=sms_org.staff.headers)).json()
    assert snapshot["status"] == "responding"
    assert [(r["user_id"], r["channel"]) for r in snapshot["responders"]] == [(responder.id, "sms")]
    acks = [e for e in snapshot["events"] if e["type"] == "alarm.acknowledged"]
    assert acks[0]["data"]["channel"] == "sms"


async def test_pressing_1_in_the_call_acknowledges(sms_server, sms_api, sms_admin_token, fake,
                                                   raise_tracked):
    org = await make_sms_org(sms_api, sms_admin_token, ack_timeout_s=5)
    alarm = (await raise_tracked(org.staff, level="yellow")).json()
    call = (await asyncio.to_thread(fake.wait_for, 1, kind="call", timeout=20))[0]
    gather_url = call.params["Twiml"].split('action="')[1].split('"')[0].replace("&amp;", "&")
    params = {"CallSid": call.sid, "Digits": "1", "AccountSid": fake.account_sid}
    response = await post_form(gather_url, params, fake.sign(gather_url, params))
    assert response.status_code == 200, response.text
    assert "Registrert" in response.text
    snapshot = (await sms_api.get(f"/alarms/{alarm['id']}", headers=org.staff.headers)).json()
    assert [(r["user_id"], r["channel"]) for r in snapshot["responders"]] == [
        (org.managers[0].id, "voice")]
