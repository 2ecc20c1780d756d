"""The safety representative (verneombud) reads the office's § 5-1 register and statistics,
with people by role and never by name, and nothing of other offices or alarm details."""

import json

from tests.helpers import create_person
from tests.privacy.helpers import DEBRIEF_NOTES, NOTE, SEQUENCE, incident_alarm, names_of


async def safety_rep(api, org, office_id=None):
    return await create_person(api, org.admin_token, roles=["safety_rep"],
                               office_id=office_id or org.office["id"], name="Vera Verneombud")


async def test_safety_rep_reads_the_register_of_their_office_by_role_not_name(api, fresh_org):
    org = fresh_org
    rep = await safety_rep(api, org)
    alarm = await incident_alarm(api, org)

    response = await api.get(f"/offices/{org.office['id']}/incident-register",
                             headers=rep.headers)
    assert response.status_code == 200, response.text
    [entry] = response.json()
    assert entry["alarm_id"] == alarm["id"] and entry["office_id"] == org.office["id"]
    assert (entry["work_activity"], entry["sequence_of_events"], entry["presumed_causes"],
            entry["injury"]) == ("Veiledningssamtale", SEQUENCE, "Avslag på søknad", "minor")
    assert entry["occurred_at"] == alarm["raised_at"] and entry["level"] == "red"
    assert entry["room"] == org.room["name"]
    assert [(p["role"], p["part"]) for p in entry["people"]] == [
        ("Ansatt", "raised"), ("Responsperson", "acknowledged")]
    assert entry["debriefs_held"] == 1 and entry["tasks_open"] == 1
    assert entry["anonymised"] is False
    text = json.dumps(response.json(), ensure_ascii=False)
    for secret in [*names_of(org), NOTE, DEBRIEF_NOTES, "Siri er ok", "59.95", "+47"]:
        assert secret not in text, secret
    for person in org.people.values():
        assert person.id not in text


async def test_safety_rep_sees_no_other_office_and_no_alarm_details(api, fresh_org):
    org = fresh_org
    rep = await safety_rep(api, org)
    other_rep = await safety_rep(api, org, office_id=org.other_office["id"])
    alarm = await incident_alarm(api, org)

    other = await api.get(f"/offices/{org.office['id']}/incident-register",
                          headers=other_rep.headers)
    assert other.status_code == 404 and other.json()["error"] == "not_found"
    own = await api.get(f"/offices/{org.other_office['id']}/incident-register",
                        headers=other_rep.headers)
    assert own.status_code == 200 and own.json() == []

    for path in (f"/alarms/{alarm['id']}", f"/alarms/{alarm['id']}/incident"):
        response = await api.get(path, headers=rep.headers)
        assert response.status_code == 404, (path, response.text)
    assert (await api.get("/alarms", headers=rep.headers)).json()["items"] == []
    for path in ("/exports/alarms.csv", "/users", "/audit",
                 f"/offices/{org.office['id']}/readiness"):
        response = await api.get(path, headers=rep.headers)
        assert response.status_code == 403, (path, response.text)
        assert set(response.json()) == {"error", "detail"}


async def test_safety_rep_reads_statistics_of_their_office_only(api, fresh_org):
    org = fresh_org
    rep = await safety_rep(api, org)
    await incident_alarm(api, org)
    mine = await api.get("/stats", headers=rep.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json() == (await api.get("/stats", headers=org["manager"].headers)).json() | {
        "since": mine.json()["since"], "until": mine.json()["until"]}
    [real] = [a for a in mine.json()["ack_times"] if a["mode"] == "real"]
    assert (real["office_id"], real["alarms"], real["acknowledged"]) == (org.office["id"], 1, 1)
    other = await api.get(f"/stats?office_id={org.other_office['id']}", headers=rep.headers)
    assert other.status_code == 403


async def test_register_is_not_for_staff_or_responders(api, fresh_org):
    org = fresh_org
    for who in ("staff", "responder"):
        response = await api.get(f"/offices/{org.office['id']}/incident-register",
                                 headers=org[who].headers)
        assert response.status_code == 403, who
    manager = await api.get(f"/offices/{org.office['id']}/incident-register",
                            headers=org["manager"].headers)
    assert manager.status_code == 200
    bad = await api.get(f"/offices/{org.office['id']}/incident-register?since=yesterday",
                        headers=org["manager"].headers)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_input"


async def test_admin_gives_the_safety_rep_role(api, fresh_org):
    org = fresh_org
    rep = await safety_rep(api, org)
    me = await api.get("/me", headers=rep.headers)
    assert me.json()["roles"] == ["safety_rep"]
    refused = await api.post("/users", json={
        "username": "vera-no-office", "password": "password-123", "full_name": "Vera",
        "roles": ["safety_rep"]}, headers=org.admin_headers)
    assert refused.status_code == 422
    assert (await api.get(f"/offices/{org.office['id']}/incident-register",
                          headers=rep.headers)).status_code == 200
