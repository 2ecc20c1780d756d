"""Replies to alarm texts: each message is taken once, and a number is one person's."""

import asyncio
import uuid

import httpx

from tests.helpers import bearer, create_person
from tests.notify.conftest import mobile


async def post_signed(server, fake, params) -> httpx.Response:
    url = f"{server.base_url}/api/v1/twilio/sms"
    async with httpx.AsyncClient() as client:
        return await client.post(url, data=params,
                                 headers={"X-Twilio-Signature": fake.sign(url, params)})


def reply(fake, person, body="1", sid=None) -> dict:
    return {"From": person.phone, "To": "+4759440000", "Body": body,
            "MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": fake.account_sid}


async def events_of(api, alarm_id, person, kind):
    snapshot = (await api.get(f"/alarms/{alarm_id}", headers=person.headers)).json()
    return [e for e in snapshot["events"] if e["type"] == kind], snapshot


async def test_the_same_signed_reply_twice_acknowledges_once(sms_server, sms_api, sms_org,
                                                             fake, raise_tracked):
    alarm = (await raise_tracked(sms_org.staff, level="red")).json()
    await asyncio.to_thread(fake.wait_for, 1, kind="sms")
    responder = sms_org.responders[0]
    params = reply(fake, responder)
    first = await post_signed(sms_server, fake, params)
    assert first.status_code == 200 and "Registrert" in first.text
    again = await post_signed(sms_server, fake, params)
    assert again.status_code == 200 and "Registrert" not in again.text
    acks, _ = await events_of(sms_api, alarm["id"], sms_org.staff, "alarm.acknowledged")
    assert len(acks) == 1


async def test_a_replayed_reply_does_not_acknowledge_the_next_alarm(sms_server, sms_api, sms_org,
                                                                    fake, raise_tracked):
    responder = sms_org.responders[0]
    first = (await raise_tracked(sms_org.staff, level="red")).json()
    await asyncio.to_thread(fake.wait_for, 2, kind="sms")
    params = reply(fake, responder)
    assert "Registrert" in (await post_signed(sms_server, fake, params)).text
    resolved = await sms_api.post(f"/alarms/{first['id']}/resolve", json={},
                                  headers=sms_org.staff.headers)
    assert resolved.status_code == 200
    fake.reset()
    second = (await raise_tracked(sms_org.staff, level="red")).json()
    await asyncio.to_thread(fake.wait_for, 2, kind="sms")
    replayed = await post_signed(sms_server, fake, params)
    assert replayed.status_code == 200
    acks, snapshot = await events_of(sms_api, second["id"], sms_org.staff, "alarm.acknowledged")
    assert acks == [] and snapshot["status"] == "active"
    # A new message from the same person still counts.
    assert "Registrert" in (await post_signed(sms_server, fake, reply(fake, responder))).text


async def test_a_phone_number_belongs_to_one_active_user(sms_api, sms_org):
    admin = bearer(sms_org.admin_token)
    taken = sms_org.responders[0].phone
    body = {"username": f"dup-{uuid.uuid4().hex[:8]}", "password": "blue-kettle-harbour-7",
            "full_name": "Dag Duplikat", "office_id": sms_org.office["id"], "roles": ["responder"],
            "phone": taken}
    response = await sms_api.post("/users", json=body, headers=admin)
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "phone_taken"
    other = await create_person(sms_api, sms_org.admin_token, roles=["responder"],
                                office_id=sms_org.office["id"], name="Olga Other", phone=mobile())
    patch = await sms_api.patch(f"/users/{other.id}", json={"phone": taken}, headers=admin)
    assert patch.status_code == 409 and patch.json()["error"] == "phone_taken"
    me = (await sms_api.get("/me", headers=other.headers)).json()
    assert me["phone"] == other.phone
    # Once the first owner is disabled the number may move; the first may not come back with it.
    owner = sms_org.responders[0]
    assert (await sms_api.patch(f"/users/{owner.id}", json={"is_active": False},
                                headers=admin)).status_code == 200
    assert (await sms_api.patch(f"/users/{other.id}", json={"phone": taken},
                                headers=admin)).status_code == 200
    back = await sms_api.patch(f"/users/{owner.id}", json={"is_active": True}, headers=admin)
    assert back.status_code == 409 and back.json()["error"] == "phone_taken"
