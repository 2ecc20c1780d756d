"""A server with Twilio configured, talking to the local Twilio stand-in."""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import LiveServer, create_admin_token, free_port, server_settings
from tests.helpers import Person, bearer, create_person
from tests.twilio_fake import FakeTwilio

SENDER = "+4759440000"


def twilio_settings(database_url: str, data_dir, fake: FakeTwilio, port: int):
    return server_settings(
        database_url, data_dir, heartbeat_interval_s=2,
        twilio_account_sid=fake.account_sid, twilio_auth_token=fake.auth_token,
        twilio_from=SENDER, twilio_base_url=fake.base_url,
        public_url=f"http://127.0.0.1:{port}",
    )


@pytest.fixture(scope="session")
async def sms_server(new_database, tmp_path_factory, twilio) -> AsyncIterator[LiveServer]:
    """Its own database: every process on one database must share one configuration."""
    port = free_port()
    database_url = await new_database()
    live = LiveServer(twilio_settings(database_url, tmp_path_factory.mktemp("sms"), twilio, port),
                      port=port)
    await live.start()
    yield live
    await live.stop()


def mobile() -> str:
    return f"+479{random.randrange(1_000_000, 9_999_999)}"


@dataclass
class SmsOrg:
    office: dict
    room: dict
    staff: Person
    responders: list[Person]
    offline_responder: Person  # no phone
    managers: list[Person]
    outsider: Person  # a responder of another office, with a phone
    admin_token: str


async def make_sms_org(api: httpx.AsyncClient, admin_token: str, *, ack_timeout_s: int = 30) -> SmsOrg:
    suffix = uuid.uuid4().hex[:8]
    headers = bearer(admin_token)
    office = (await api.post("/offices", json={"name": f"NAV Sms {suffix}",
                                               "ack_timeout_s": ack_timeout_s},
                             headers=headers)).json()
    other = (await api.post("/offices", json={"name": f"NAV Sms annet {suffix}"},
                            headers=headers)).json()
    room = (await api.post(f"/offices/{office['id']}/rooms", json={"name": "Samtalerom 2"},
                           headers=headers)).json()
    people = await asyncio.gather(
        create_person(api, admin_token, roles=["staff"], office_id=office["id"],
                      name="Stine Staff", phone=mobile()),
        create_person(api, admin_token, roles=["responder"], office_id=office["id"],
                      name="Rolf Responder", phone=mobile()),
        create_person(api, admin_token, roles=["responder"], office_id=office["id"],
                      name="Rita Responder", phone=mobile()),
        create_person(api, admin_token, roles=["responder"], office_id=office["id"],
                      name="Nils Nophone"),
        create_person(api, admin_token, roles=["manager"], office_id=office["id"],
                      name="Marit Manager", phone=mobile()),
        create_person(api, admin_token, roles=["responder"], office_id=other["id"],
                      name="Otto Outsider", phone=mobile()),
    )
    staff, r1, r2, nophone, manager, outsider = people
    return SmsOrg(office=office, room=room, staff=staff, responders=[r1, r2],
                  offline_responder=nophone, managers=[manager], outsider=outsider,
                  admin_token=admin_token)


@pytest.fixture
async def sms_api(sms_server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sms_server.api_url, timeout=30) as client:
        yield client


@pytest.fixture
async def sms_admin_token(sms_server) -> str:
    return await create_admin_token(sms_server)


@pytest.fixture
async def sms_org(sms_api, sms_admin_token) -> SmsOrg:
    return await make_sms_org(sms_api, sms_admin_token)


@pytest.fixture
async def raise_tracked(sms_api) -> AsyncIterator:
    """Raise alarms that are resolved when the test ends, so no escalation of this test's
    alarms reaches the Twilio stand-in during a later test."""
    raised: list[tuple[str, Person]] = []

    async def _raise(person: Person, **body) -> httpx.Response:
        body.setdefault("level", "yellow")
        response = await sms_api.post("/alarms", json=body, headers=person.headers)
        if response.status_code in (200, 201):
            raised.append((response.json()["id"], person))
        return response

    yield _raise
    for alarm_id, person in raised:
        await sms_api.post(f"/alarms/{alarm_id}/resolve", json={}, headers=person.headers)
