"""Shared steps of the privacy tests: a closed alarm with a recorded incident, and the CLI."""

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

from tests.helpers import Org, raise_alarm

TRYGG = str(Path(sys.executable).with_name("trygg"))
NOTE = "Besøkende Kari Nordmann, skranke 2"
DEBRIEF_NOTES = "Rune fulgte Siri ut bakdøra"
SEQUENCE = "Besøkende ble sint på avslag og slo i bordet. Kollega kom etter ett minutt."


async def incident_alarm(api, org: Org, *, level: str = "red",
                         participants: str | None = None) -> dict:
    """A real alarm raised by staff (with a note and a position), acknowledged by a responder,
    resolved, with a § 5-1 entry, a held debrief and a task. Returns the alarm as the manager
    reads it."""
    alarm_id = str(uuid.uuid4())
    response = await raise_alarm(api, org["staff"], id=alarm_id, level=level,
                                 room_id=org.room["id"], location_note=NOTE,
                                 position={"lat": 59.95, "lon": 10.88, "accuracy_m": 12})
    assert response.status_code == 201, response.text
    ack = await api.post(f"/alarms/{alarm_id}/acknowledge", json={},
                         headers=org["responder"].headers)
    assert ack.status_code == 200, ack.text
    done = await api.post(f"/alarms/{alarm_id}/resolve", json={"summary": "Siri er ok"},
                          headers=org["responder"].headers)
    assert done.status_code == 200, done.text
    alarm = done.json()
    manager = org["manager"].headers
    base = f"/alarms/{alarm_id}/incident"
    saved = await api.put(base, json={
        "occurred_at": alarm["raised_at"], "work_activity": "Veiledningssamtale",
        "sequence_of_events": SEQUENCE, "presumed_causes": "Avslag på søknad",
        "injury": "minor", "deviation_ref": "AV-77"}, headers=manager)
    assert saved.status_code == 200, saved.text
    debrief = await api.post(f"{base}/debriefs", json={
        "participants": participants or f"{org['staff'].full_name}, {org['responder'].full_name}",
        "notes": DEBRIEF_NOTES}, headers=manager)
    assert debrief.status_code == 201, debrief.text
    held = await api.patch(f"{base}/debriefs/{debrief.json()['id']}",
                           json={"held_at": alarm["closed_at"]}, headers=manager)
    assert held.status_code == 200, held.text
    task = await api.post(f"{base}/tasks", json={"title": "Ny alarmknapp i skranke 2",
                                                  "owner_id": org["manager"].id}, headers=manager)
    assert task.status_code == 201, task.text
    return alarm


def names_of(org: Org) -> list[str]:
    return [person.full_name for person in org.people.values()]


async def trygg(database_url: str, data_dir: Path, *args: str) -> str:
    """Run the real `trygg` command against the test database; its stdout."""
    env = {**os.environ, "TRYGG_DATABASE_URL": database_url, "TRYGG_DATA_DIR": str(data_dir),
           "TRYGG_SECRET_KEY": "test-secret-key-" + "x" * 32}
    proc = await asyncio.create_subprocess_exec(
        TRYGG, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def export_person(database_url: str, data_dir: Path, username: str) -> dict:
    return json.loads(await trygg(database_url, data_dir, "export-person", username))
