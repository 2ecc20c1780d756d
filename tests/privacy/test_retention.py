"""Retention: closed alarms older than their office's retention period lose their people;
newer ones and other offices' keep them; statistics and the § 5-1 register stay the same."""

import json
import uuid
from datetime import timedelta

from sqlalchemy import select

from app.alarm.models import Alarm, AlarmDelivery, AlarmEvent, AlarmResponder
from app.db import utcnow
from app.privacy.models import ANONYMOUS_USER_ID
from tests.helpers import create_person, raise_alarm
from tests.privacy.helpers import (
    DEBRIEF_NOTES,
    NOTE,
    SEQUENCE,
    export_person,
    incident_alarm,
    names_of,
    trygg,
)


async def backdate(server, alarm_id: str, days: int) -> None:
    """Move an alarm and its events `days` into the past (as if it were that old)."""
    delta = timedelta(days=days)
    async with server.app.state.sessionmaker() as session:
        alarm = await session.get(Alarm, uuid.UUID(alarm_id))
        alarm.raised_at -= delta
        alarm.closed_at -= delta
        if alarm.first_ack_at is not None:
            alarm.first_ack_at -= delta
        for event in (await session.scalars(
                select(AlarmEvent).where(AlarmEvent.alarm_id == alarm.id))).all():
            event.at -= delta
        await session.commit()


async def cancelled_alarm(api, org, reason: str) -> str:
    alarm_id = str(uuid.uuid4())
    assert (await raise_alarm(api, org["staff"], id=alarm_id, level="yellow",
                              location_note=NOTE)).status_code == 201
    response = await api.post(f"/alarms/{alarm_id}/cancel", json={"reason": reason},
                              headers=org["staff"].headers)
    assert response.status_code == 200, response.text
    return alarm_id


WINDOW = {"since": (utcnow() - timedelta(days=100)).isoformat(),
          "until": (utcnow() + timedelta(days=10)).isoformat()}


async def stats(api, org, office_id: str) -> dict:
    since, until = WINDOW["since"], WINDOW["until"]
    response = await api.get("/stats", params={"office_id": office_id, "since": since,
                                               "until": until}, headers=org.admin_headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_retention_run_anonymises_what_is_older_and_keeps_newer_and_statistics(
        api, fresh_org, server, database_url, tmp_path):
    org = fresh_org
    office, other = org.office["id"], org.other_office["id"]
    patched = await api.patch(f"/offices/{office}", json={"retention_days": 30},
                              headers=org.admin_headers)
    assert patched.status_code == 200 and patched.json()["retention_days"] == 30
    rep = await create_person(api, org.admin_token, roles=["safety_rep"], office_id=office,
                              name="Vera Verneombud")

    old = await incident_alarm(api, org)
    old_cancelled = await cancelled_alarm(api, org, "Trykket feil, Kari gikk")
    new = await incident_alarm(api, org)
    other_old = str(uuid.uuid4())
    assert (await raise_alarm(api, org["other_staff"], id=other_old,
                              location_note=NOTE)).status_code == 201
    await api.post(f"/alarms/{other_old}/resolve", json={}, headers=org["other_staff"].headers)
    for alarm_id in (old["id"], old_cancelled, other_old):
        await backdate(server, alarm_id, 40)  # past 30 days, well within the default 365

    before = {o: await stats(api, org, o) for o in (office, other)}
    as_was = (await api.get(f"/alarms/{old['id']}", headers=org["manager"].headers)).json()
    register_before = (await api.get(f"/offices/{office}/incident-register",
                                     headers=rep.headers)).json()
    out = await trygg(database_url, tmp_path, "retention", "run")
    assert out.startswith("anonymised ")

    # Statistics identical, for the office that was anonymised and for the other.
    assert {o: await stats(api, org, o) for o in (office, other)} == before

    manager = org["manager"].headers
    gone = (await api.get(f"/alarms/{old['id']}", headers=manager)).json()
    text = json.dumps(gone, ensure_ascii=False)
    for secret in [*names_of(org), NOTE, "Siri er ok", "59.95"]:
        assert secret not in text, secret
    for person in org.people.values():
        assert person.id not in text
    assert gone["raised_by"] == {"id": str(ANONYMOUS_USER_ID), "full_name": "Ansatt"}
    assert [r["full_name"] for r in gone["responders"]] == ["Responsperson"]
    assert gone["location_note"] is None and gone["position"] is None
    assert gone["close_reason"] is None and gone["device_id"] is None
    # Times, level, mode, office, room and the count of who got it stay.
    kept_fields = ("id", "office_id", "level", "mode", "status", "silent", "room", "raised_at",
                   "closed_at", "delivered_to")
    assert {k: gone[k] for k in kept_fields} == {k: as_was[k] for k in kept_fields}
    assert gone["room"] == {"id": org.room["id"], "name": org.room["name"]}
    assert ([r["acknowledged_at"] for r in gone["responders"]]
            == [r["acknowledged_at"] for r in as_was["responders"]])
    assert ([(e["seq"], e["type"]) for e in gone["events"]]
            == [(e["seq"], e["type"]) for e in as_was["events"]])
    assert {e["actor"]["full_name"] for e in gone["events"] if e["actor"]} <= {
        "Ansatt", "Responsperson"}
    assert all("user_id" not in e["data"] and "summary" not in e["data"] for e in gone["events"])

    cancelled = (await api.get(f"/alarms/{old_cancelled}", headers=manager)).json()
    assert cancelled["close_reason"] is None
    assert "Kari" not in json.dumps(cancelled, ensure_ascii=False)
    [cancel_event] = [e for e in cancelled["events"] if e["type"] == "alarm.cancelled"]
    assert cancel_event["data"] == {}

    # The § 5-1 register entry stays; debrief participants and notes, editor and owner go.
    incident = (await api.get(f"/alarms/{old['id']}/incident", headers=manager)).json()
    assert incident["sequence_of_events"] == SEQUENCE and incident["injury"] == "minor"
    assert incident["updated_by"]["full_name"] == "Anonymisert"
    assert [(d["participants"], d["notes"]) for d in incident["debriefs"]] == [("", "")]
    assert incident["debriefs"][0]["held_at"] is not None
    assert [t["owner"]["full_name"] for t in incident["tasks"]] == ["Anonymisert"]
    register_after = (await api.get(f"/offices/{office}/incident-register",
                                    headers=rep.headers)).json()
    assert [e["anonymised"] for e in register_after] == [False, True]
    for entry in register_before:
        entry["anonymised"] = entry["alarm_id"] == old["id"]
    assert register_after == register_before

    # Newer alarms, and the other office's (default 365 days), keep their people.
    kept = (await api.get(f"/alarms/{new['id']}", headers=manager)).json()
    assert kept["raised_by"]["full_name"] == org["staff"].full_name
    assert kept["location_note"] == NOTE
    new_incident = (await api.get(f"/alarms/{new['id']}/incident", headers=manager)).json()
    assert new_incident["debriefs"][0]["notes"] == DEBRIEF_NOTES
    other_kept = (await api.get(f"/alarms/{other_old}", headers=org.admin_headers)).json()
    assert other_kept["raised_by"]["full_name"] == org["other_staff"].full_name

    # No link to a person is left in the database, and the person export no longer has it.
    async with server.app.state.sessionmaker() as session:
        for model in (AlarmResponder, AlarmDelivery):
            rows = (await session.scalars(select(model).where(
                model.alarm_id == uuid.UUID(old["id"])))).all()
            assert rows == []
        events = (await session.scalars(select(AlarmEvent).where(
            AlarmEvent.alarm_id == uuid.UUID(old["id"])))).all()
        assert {e.actor_id for e in events} <= {ANONYMOUS_USER_ID, None}
    exported = await export_person(database_url, tmp_path, org["staff"].username)
    raised = {a["id"] for a in exported["alarms_raised"]}
    assert new["id"] in raised and old["id"] not in raised and old_cancelled not in raised

    # Anonymisation is recorded in the audit log, once per office and batch; a second run
    # finds nothing more to do.
    await trygg(database_url, tmp_path, "retention", "run")
    entries = (await api.get("/audit", params={"office_id": office,
                                               "action": "retention.anonymise"},
                             headers=org.admin_headers)).json()
    assert len(entries) == 1
    assert entries[0]["actor_id"] is None and entries[0]["detail"]["alarms"] == 2
    assert entries[0]["detail"]["retention_days"] == 30


async def test_retention_days_is_validated_and_may_go_back_to_the_default(api, fresh_org):
    org = fresh_org
    url = f"/offices/{org.office['id']}"
    for bad in (0, 29, 3651, "long"):
        response = await api.patch(url, json={"retention_days": bad}, headers=org.admin_headers)
        assert response.status_code == 422, bad
    assert (await api.patch(url, json={"retention_days": 90},
                            headers=org.admin_headers)).json()["retention_days"] == 90
    reset = await api.patch(url, json={"retention_days": None}, headers=org.admin_headers)
    assert reset.status_code == 200 and reset.json()["retention_days"] is None
    refused = await api.patch(url, json={"retention_days": 90}, headers=org["manager"].headers)
    assert refused.status_code == 403


async def test_texts_sent_about_an_old_alarm_leave_with_their_phone_numbers(
        api, fresh_org, server, database_url, tmp_path):
    from app.notify.models import ACCEPTED, Notification
    from app.privacy import retention

    org = fresh_org
    await api.patch(f"/offices/{org.office['id']}", json={"retention_days": 30},
                    headers=org.admin_headers)
    alarm = await incident_alarm(api, org)
    body = f"RØD ALARM: Akutt fare, ring 112. Fra {org['staff'].full_name} kl 10:00."
    async with server.app.state.sessionmaker() as session:
        session.add(Notification(alarm_id=uuid.UUID(alarm["id"]),
                                 user_id=uuid.UUID(org["responder"].id), kind="sms", tier=0,
                                 to="+4791234567", body=body, status=ACCEPTED,
                                 expires_at=utcnow() + timedelta(minutes=5)))
        await session.commit()
    before = await export_person(database_url, tmp_path, org["responder"].username)
    assert [(t["to"], t["body"]) for t in before["texts"]] == [("+4791234567", body)]

    await backdate(server, alarm["id"], 40)
    done = await retention.run(server.app.state.sessionmaker, default_days=365)
    assert done["offices"][org.office["id"]] == 1

    after = await export_person(database_url, tmp_path, org["responder"].username)
    assert after["texts"] == [] and after["acknowledgements"] == []
    assert "+4791234567" not in json.dumps(after)
    async with server.app.state.sessionmaker() as session:
        left = (await session.scalars(select(Notification).where(
            Notification.alarm_id == uuid.UUID(alarm["id"])))).all()
        assert left == []
