"""`trygg export-person` gives one person's data and nobody else's; reads of personal data
leave one audit row per request."""

import json
import uuid

from tests.helpers import create_person, raise_alarm
from tests.privacy.helpers import NOTE, SEQUENCE, export_person, incident_alarm, trygg


async def audit(api, org, **params) -> list[dict]:
    response = await api.get("/audit", params=params, headers=org.admin_headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_export_person_holds_their_data_and_not_anothers(api, fresh_org, database_url,
                                                                tmp_path):
    org = fresh_org
    staff, responder = org["staff"], org["responder"]
    alarm = await incident_alarm(api, org, participants=f"{staff.full_name} og en kollega")
    other_alarm = str(uuid.uuid4())
    assert (await raise_alarm(api, org["other_staff"], id=other_alarm,
                              location_note="Ola sin note")).status_code == 201
    device = await api.post("/devices", json={"user_id": staff.id, "kind": "desktop",
                                              "label": "Siris PC"}, headers=staff.headers)
    assert device.status_code == 201
    await api.get(f"/alarms/{alarm['id']}", headers=staff.headers)  # an audited read of hers

    data = await export_person(database_url, tmp_path, staff.username)
    assert data["user"]["id"] == staff.id and data["user"]["full_name"] == staff.full_name
    assert [d["label"] for d in data["devices"]] == ["Siris PC"]
    [raised] = data["alarms_raised"]
    assert raised["id"] == alarm["id"] and raised["location_note"] == NOTE
    assert {e["type"] for e in data["events"]} >= {"alarm.raised"}
    assert all(e["alarm_id"] == alarm["id"] for e in data["events"])
    assert [i["alarm_id"] for i in data["incidents"]] == [alarm["id"]]
    assert data["incidents"][0]["sequence_of_events"] == SEQUENCE
    assert [d["alarm_id"] for d in data["debriefs"]] == [alarm["id"]]
    assert data["acknowledgements"] == [] and data["tasks"] == []
    reads = [(e["action"], e["object_id"]) for e in data["audit"]]
    assert ("alarm.read", alarm["id"]) in reads and ("person.export", staff.id) in reads
    assert len(data["logins"]) == 1 and "token_hash" not in data["logins"][0]

    text = json.dumps(data, ensure_ascii=False)
    for absent in ("password_hash", "token_hash", "$argon2", device.json()["token"], staff.token,
                   other_alarm, "Ola sin note", org["other_staff"].id, org["manager"].token):
        assert absent not in text, absent

    # The responder's export has their acknowledgement and nothing of what staff raised.
    theirs = await export_person(database_url, tmp_path, responder.username)
    assert [a["alarm_id"] for a in theirs["acknowledgements"]] == [alarm["id"]]
    assert theirs["alarms_raised"] == [] and theirs["devices"] == []
    # An answer also counts as a delivery to the one who answered.
    assert {e["type"] for e in theirs["events"]} == {"alarm.acknowledged", "alarm.delivered",
                                                     "alarm.resolved"}
    assert NOTE not in json.dumps(theirs, ensure_ascii=False)

    # The export itself is audited, by the command line.
    [entry] = await audit(api, org, object_id=staff.id, action="person.export")
    assert entry["actor_id"] is None and entry["office_id"] == org.office["id"]


async def test_export_person_of_an_unknown_user_fails(database_url, tmp_path):
    import asyncio
    import os

    from tests.privacy.helpers import TRYGG

    proc = await asyncio.create_subprocess_exec(
        TRYGG, "export-person", "nobody-" + uuid.uuid4().hex[:6],
        env={**os.environ, "TRYGG_DATABASE_URL": database_url, "TRYGG_DATA_DIR": str(tmp_path)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 1 and out == b"" and b"no user named" in err


async def test_reads_of_personal_data_leave_one_audit_row_per_request(api, fresh_org):
    org = fresh_org
    manager = org["manager"]
    office = org.office["id"]
    rep = await create_person(api, org.admin_token, roles=["safety_rep"], office_id=office,
                              name="Vera Verneombud")
    first = await incident_alarm(api, org)
    await incident_alarm(api, org)

    detail = await api.get(f"/alarms/{first['id']}", headers=manager.headers)
    assert detail.status_code == 200
    [read] = await audit(api, org, object_id=first["id"], action="alarm.read")
    assert (read["actor_id"], read["object_type"], read["office_id"]) == (
        manager.id, "alarm", office)

    history = await api.get("/alarms?limit=1", headers=manager.headers)
    assert history.status_code == 200 and history.json()["next_cursor"]
    [listed] = await audit(api, org, office_id=office, action="alarms.list")
    assert listed["actor_id"] == manager.id and listed["detail"] == {"alarms": 1}
    board = await api.get("/alarms?status=active", headers=manager.headers)  # the live board
    assert board.status_code == 200
    assert len(await audit(api, org, office_id=office, action="alarms.list")) == 1

    csv = await api.get("/exports/alarms.csv", headers=manager.headers)
    assert csv.status_code == 200 and csv.text.count("\n") == 3
    [export] = await audit(api, org, office_id=office, action="alarms.export")
    assert export["actor_id"] == manager.id and export["detail"] == {"alarms": 2}
    assert export["object_id"] == office

    users = await api.get("/users", headers=manager.headers)
    assert users.status_code == 200
    [listed] = await audit(api, org, office_id=office, action="users.list")
    assert listed["actor_id"] == manager.id and listed["detail"] == {"users": len(users.json())}
    assert "Anonymisert" not in users.text

    await api.get(f"/offices/{office}/incident-register", headers=rep.headers)
    [register] = await audit(api, org, office_id=office, action="incident_register.read")
    assert register["actor_id"] == rep.id and register["detail"] == {"entries": 2}
    assert register["actor_name"] == rep.full_name

    await api.get(f"/alarms/{first['id']}/incident", headers=manager.headers)
    assert len(await audit(api, org, object_id=first["id"], action="incident.read")) == 1

    # An admin's export across every office is one row for the whole organisation.
    admin_csv = await api.get("/exports/alarms.csv?mode=real", headers=org.admin_headers)
    assert admin_csv.status_code == 200
    every = [e for e in await audit(api, org, action="alarms.export") if e["office_id"] is None]
    assert every[0]["object_id"] is None and every[0]["detail"]["mode"] == "real"
    # A manager sees their office's entries, not the organisation-wide ones.
    own = (await api.get("/audit", params={"action": "alarms.export"},
                         headers=manager.headers)).json()
    assert [e["office_id"] for e in own] == [office]


async def test_the_cli_retention_run_counts_as_todays_run(database_url, tmp_path, server):
    from app.privacy import retention

    await trygg(database_url, tmp_path, "retention", "run")
    async with server.app.state.sessionmaker() as session:
        before = (await retention.last_run(session)).runs
    assert await server.app.state.retention.run_if_due() is False
    async with server.app.state.sessionmaker() as session:
        assert (await retention.last_run(session)).runs == before
