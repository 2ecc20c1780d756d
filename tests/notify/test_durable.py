"""Texts waiting to be sent survive a crash of the server."""

import asyncio

import httpx

from tests.notify.conftest import SENDER, make_sms_org
from tests.process import ServerProcess


async def test_texts_pending_at_a_sigkill_are_all_sent_after_the_restart(
        new_database, tmp_path, fake):
    database_url = await new_database()
    proc = ServerProcess(
        database_url, tmp_path, "test-secret-key-" + "y" * 32,
        TRYGG_TWILIO_ACCOUNT_SID=fake.account_sid, TRYGG_TWILIO_AUTH_TOKEN=fake.auth_token,
        TRYGG_TWILIO_FROM=SENDER, TRYGG_TWILIO_BASE_URL=fake.base_url)
    proc.cli("user", "create", "crashadmin", "--password", "admin-password-1", "--role", "admin")
    await proc.start()
    try:
        async with httpx.AsyncClient(base_url=proc.api_url, timeout=10) as api:
            login = await api.post("/auth/login", json={"username": "crashadmin",
                                                        "password": "admin-password-1"})
            org = await make_sms_org(api, login.json()["access_token"])
            fake.fail_next(503, count=10_000)  # Twilio is down: every text waits for a retry
            response = await api.post("/alarms", json={"level": "red"}, headers=org.staff.headers)
            assert response.status_code == 201
            alarm_id = response.json()["id"]
            await asyncio.sleep(1.5)
            assert fake.messages == []
            proc.kill()

            fake.reset()  # Twilio is back
            await proc.start()
            texts = await asyncio.to_thread(fake.wait_for, 2, kind="sms", timeout=75)
            await asyncio.sleep(2)
            assert sorted(t.params["To"] for t in fake.messages) == sorted(
                r.phone for r in org.responders)
            assert len(texts) == 2
            events = (await api.get(f"/alarms/{alarm_id}", headers=org.staff.headers)).json()
            accepted = [e for e in events["events"] if e["type"] == "sms.accepted"]
            assert len(accepted) == 2
            await api.post(f"/alarms/{alarm_id}/resolve", json={}, headers=org.staff.headers)
    finally:
        proc.kill()
