"""One visibility rule: the REST list, the details, `hello`, a resume and the live routing all
say what `app.alarm.policy` says, for every kind of viewer and alarm mode."""

import uuid

from app.alarm import policy
from app.alarm.policy import Target, Viewer
from tests.helpers import create_person, make_org, raise_alarm


def _viewer(person) -> Viewer:
    return Viewer(user_id=uuid.UUID(person.id),
                  office_id=uuid.UUID(person.office_id) if person.office_id else None,
                  roles=frozenset(person.roles))


async def test_every_surface_shows_what_the_policy_says(api, connect, admin_token):
    org = await make_org(api, admin_token)
    both = await create_person(api, admin_token, roles=["staff", "responder"],
                               office_id=org.office["id"], name="Berit Both")
    viewers = {name: org[name] for name in ("staff", "responder", "manager", "other_staff",
                                            "other_responder", "other_manager")}
    viewers["both"] = both
    clients = {name: await connect(person.token) for name, person in viewers.items()}
    start = max(c.hello["seq"] for c in clients.values())

    alarms: dict[str, Target] = {}
    raised_at = []
    for raiser in (org["staff"], both, org["other_staff"]):
        for mode in ("real", "drill", "test"):
            created = await raise_alarm(api, raiser, mode=mode)
            assert created.status_code == 201, created.text
            body = created.json()
            raised_at.append(body["raised_at"])
            alarms[body["id"]] = Target(office_id=uuid.UUID(body["office_id"]),
                                        raised_by_id=uuid.UUID(raiser.id), mode=mode)
    since = min(raised_at)

    for name, person in viewers.items():
        viewer = _viewer(person)
        seen = {a for a, t in alarms.items() if policy.can_see(viewer, t)}
        followed = {a for a, t in alarms.items() if policy.follows(viewer, t)}
        assert followed <= seen, name

        listed = await api.get("/alarms", params={"since": since, "limit": 100},
                               headers=person.headers)
        assert listed.status_code == 200, listed.text
        assert {a["id"] for a in listed.json()["items"]} & set(alarms) == seen, name
        for alarm_id in alarms:
            detail = await api.get(f"/alarms/{alarm_id}", headers=person.headers)
            assert detail.status_code == (200 if alarm_id in seen else 404), (name, alarm_id)

        live = clients[name]
        live_ids = set()
        for _ in followed:
            live_ids.add((await live.event("alarm.raised"))["alarm"]["id"])
        assert live_ids == followed, name

        fresh = await connect(person.token)
        assert {a["id"] for a in fresh.hello["open_alarms"]} & set(alarms) == followed, name
        await fresh.send({"type": "resume", "after_seq": start})
        replayed = {f["alarm"]["id"] for f in await fresh.events_for(1.0)
                    if f["event"]["type"] == "alarm.raised"}
        assert replayed & set(alarms) == followed, name
    # Nothing beyond what the policy allows arrived live either.
    for name, client in clients.items():
        extra = {f["alarm"]["id"] for f in await client.events_for(0.3)
                 if f["event"]["type"] == "alarm.raised"}
        assert not extra & set(alarms), name
