"""A server whose TRYGG_PUSH_ENDPOINTS lists the local push-service stand-in, and helpers."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from app.config import DEFAULT_PUSH_ENDPOINTS
from tests.conftest import LiveServer, create_admin_token, server_settings
from tests.helpers import Person, bearer, create_person
from tests.push.browser import BrowserSubscription
from tests.push.push_service import FakePushService, ReceivedPush


def push_endpoints(*services: FakePushService) -> str:
    """The default origins and the stand-ins' (plain http on 127.0.0.1 is allowed only because
    the setting lists it)."""
    return ",".join([DEFAULT_PUSH_ENDPOINTS, *(s.origin for s in services)])


@pytest.fixture(scope="session")
def push_service_session() -> FakePushService:
    with FakePushService() as service:
        yield service


@pytest.fixture
def push_service(push_service_session: FakePushService) -> FakePushService:
    """The stand-in, emptied for this test; every request must follow the RFCs."""
    push_service_session.reset()
    yield push_service_session
    assert push_service_session.violations == []


@pytest.fixture(scope="session")
async def push_server(new_database, tmp_path_factory,
                      push_service_session) -> AsyncIterator[LiveServer]:
    """Its own database, so no other server's dispatcher sends its pushes."""
    database_url = await new_database()
    live = LiveServer(server_settings(database_url, tmp_path_factory.mktemp("push"),
                                      heartbeat_interval_s=2,
                                      push_endpoints=push_endpoints(push_service_session)))
    await live.start()
    yield live
    await live.stop()


@pytest.fixture
async def push_api(push_server) -> AsyncIterator[httpx.AsyncClient]:
    # Generous: making users hashes passwords, which is slow on a busy machine.
    async with httpx.AsyncClient(base_url=push_server.api_url, timeout=30) as client:
        yield client


@dataclass
class PushOrg:
    office: dict
    room: dict
    staff: Person
    responders: list[Person]
    manager: Person
    outsider: Person  # a responder of another office
    admin_token: str
    browsers: dict[str, BrowserSubscription]  # person id -> their browser's subscription

    def browser(self, person: Person) -> BrowserSubscription:
        return self.browsers[person.id]


async def make_push_org(api: httpx.AsyncClient, admin_token: str, service: FakePushService, *,
                        responders: int = 2, subscribe: bool = True,
                        phones: list[str | None] | None = None,
                        long_names: bool = False) -> PushOrg:
    """An office with staff, responders, a manager and an outsider; with `subscribe`,
    everyone but the manager has a push subscription on the stand-in."""
    suffix = uuid.uuid4().hex[:8]
    headers = bearer(admin_token)
    office = (await api.post("/offices", json={"name": f"NAV Push {suffix}"},
                             headers=headers)).json()
    other = (await api.post("/offices", json={"name": f"NAV Push annet {suffix}"},
                            headers=headers)).json()
    room = (await api.post(f"/offices/{office['id']}/rooms", json={"name": "Samtalerom 3"},
                           headers=headers)).json()
    phones = phones or [None] * (responders + 1)
    making = [
        create_person(api, admin_token, roles=["staff"], office_id=office["id"],
                      name="Sara Staff", phone=phones[0]),
        *(create_person(api, admin_token, roles=["responder"], office_id=office["id"],
                        name=f"Rune Responder{i}" + (" Langnavn" * 20 if long_names else ""),
                        phone=phones[i + 1])
          for i in range(responders)),
        create_person(api, admin_token, roles=["manager"], office_id=office["id"],
                      name="Mia Manager"),
        create_person(api, admin_token, roles=["responder"], office_id=other["id"],
                      name="Olav Outsider"),
    ]
    people = []
    for start in range(0, len(making), 4):
        people += await asyncio.gather(*making[start:start + 4])
    staff, *rs, manager, outsider = people
    org = PushOrg(office=office, room=room, staff=staff, responders=rs, manager=manager,
                  outsider=outsider, admin_token=admin_token, browsers={})
    if subscribe:
        for person in (staff, *rs, outsider):
            await subscribe_browser(api, org, person, service)
    return org


async def subscribe_browser(api: httpx.AsyncClient, org: PushOrg, person: Person,
                            service: FakePushService) -> BrowserSubscription:
    browser = service.subscription()
    response = await api.post("/push/subscriptions", json=browser.to_json(),
                              headers=person.headers)
    assert response.status_code == 201, response.text
    org.browsers[person.id] = browser
    return browser


@pytest.fixture
async def push_admin_token(push_server) -> str:
    return await create_admin_token(push_server)


@pytest.fixture(scope="module")
async def push_org(push_server, push_service_session) -> PushOrg:
    """Shared by the tests of one module (each counts only what arrives after its start)."""
    token = await create_admin_token(push_server)
    async with httpx.AsyncClient(base_url=push_server.api_url, timeout=30) as client:
        return await make_push_org(client, token, push_service_session)


async def wait_pushes(service: FakePushService, count: int, timeout: float = 10,
                      **kwargs) -> list[ReceivedPush]:
    return await asyncio.to_thread(service.wait_for, count, timeout=timeout, **kwargs)


async def timeline(api: httpx.AsyncClient, alarm_id: str, person: Person) -> list[dict]:
    response = await api.get(f"/alarms/{alarm_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()["events"]


async def wait_events(api: httpx.AsyncClient, alarm_id: str, person: Person, type_: str,
                      count: int, timeout: float = 10) -> list[dict]:
    """Poll the alarm's timeline until `count` events of `type_` are in it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = [e for e in await timeline(api, alarm_id, person) if e["type"] == type_]
        if len(found) >= count or loop.time() > deadline:
            assert len(found) >= count, f"{len(found)} of {count} {type_} events"
            return found
        await asyncio.sleep(0.1)
