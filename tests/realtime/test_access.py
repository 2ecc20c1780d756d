"""Access changes bite at once: a user's or device's open WebSockets close with 4401 when the
user is disabled or changes role or office, the device is revoked, the login token is logged
out or expires; a connection the change does not concern stays open."""

import httpx

from tests.conftest import LiveServer, server_settings
from tests.helpers import PASSWORD, WsClient, bearer, create_person, raise_alarm

UNAUTHORIZED = 4401


async def assert_open(client: WsClient) -> None:
    """Still served: a heartbeat is answered."""
    await client.send({"type": "heartbeat"})
    await client.next_of("heartbeat_ack")


async def person(api, org, roles=("responder",), office=None):
    return await create_person(api, org.admin_token, roles=list(roles),
                               office_id=(office or org.office)["id"], name="Petra Person")


async def second_login(api, who) -> str:
    response = await api.post("/auth/login", json={"username": who.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def test_disabling_a_user_closes_their_connections(api, connect, org):
    target = await person(api, org)
    first = await connect(target.token)
    second = await connect(await second_login(api, target))
    bystander = await connect(org["responder"].token)
    response = await api.patch(f"/users/{target.id}", json={"is_active": False},
                               headers=org.admin_headers)
    assert response.status_code == 200, response.text
    assert await first.closed_code() == UNAUTHORIZED
    assert await second.closed_code() == UNAUTHORIZED
    await assert_open(bystander)
    again = await connect(target.token, hello=False)
    assert await again.closed_code() == UNAUTHORIZED


async def test_a_changed_role_closes_connections_and_the_next_sees_the_new_role(api, connect, org):
    target = await person(api, org)
    client = await connect(target.token)
    response = await api.patch(f"/users/{target.id}", json={"roles": ["staff"]},
                               headers=org.admin_headers)
    assert response.status_code == 200, response.text
    assert await client.closed_code() == UNAUTHORIZED
    fresh = await connect(target.token)
    assert fresh.hello["user"]["roles"] == ["staff"]
    assert (await raise_alarm(api, org["staff"])).status_code == 201
    assert await fresh.events_for(1.0) == []  # a staff member no longer follows the office


async def test_a_changed_office_closes_connections(api, connect, org):
    target = await person(api, org)
    client = await connect(target.token)
    response = await api.patch(f"/users/{target.id}", json={"office_id": org.other_office["id"]},
                               headers=org.admin_headers)
    assert response.status_code == 200, response.text
    assert await client.closed_code() == UNAUTHORIZED


async def test_a_renamed_user_stays_connected(api, connect, org):
    target = await person(api, org)
    client = await connect(target.token)
    response = await api.patch(f"/users/{target.id}", json={"full_name": "Petra Nytt"},
                               headers=org.admin_headers)
    assert response.status_code == 200, response.text
    await assert_open(client)
    fresh = await connect(target.token)
    assert fresh.hello["user"]["full_name"] == "Petra Nytt"


async def test_logout_closes_that_tokens_connections_only(api, connect, org):
    target = await person(api, org)
    other_token = await second_login(api, target)
    logged_out = await connect(target.token)
    kept = await connect(other_token)
    response = await api.post("/auth/logout", headers=target.headers)
    assert response.status_code == 204, response.text
    assert await logged_out.closed_code() == UNAUTHORIZED
    await assert_open(kept)
    again = await connect(target.token, hello=False)
    assert await again.closed_code() == UNAUTHORIZED


async def test_revoking_a_device_closes_that_devices_connections_only(api, connect, org):
    target = await person(api, org)
    enrolled = await api.post("/devices", json={"user_id": target.id, "kind": "desktop"},
                              headers=target.headers)
    assert enrolled.status_code == 201, enrolled.text
    device = enrolled.json()
    on_device = await connect(device["token"])
    on_login = await connect(target.token)
    response = await api.post(f"/devices/{device['id']}/revoke", headers=target.headers)
    assert response.status_code == 200, response.text
    assert await on_device.closed_code() == UNAUTHORIZED
    await assert_open(on_login)
    again = await connect(device["token"], hello=False)
    assert await again.closed_code() == UNAUTHORIZED


async def test_a_connection_closes_when_its_login_token_expires(database_url, tmp_path, org):
    short = LiveServer(server_settings(database_url, tmp_path, heartbeat_interval_s=2,
                                       login_token_ttl_hours=4 / 3600))
    await short.start()
    try:
        async with httpx.AsyncClient(base_url=short.api_url, timeout=10) as api:
            target = await person(api, org)  # its login is on the short-lived server
            client = await WsClient.connect(short.ws_url, target.token)
            hello = await client.wait_hello()
            assert hello["type"] == "hello"
            assert await client.closed_code(timeout=20) == UNAUTHORIZED
            after = await api.get("/me", headers=bearer(target.token))
            assert after.status_code == 401
            await client.close()
    finally:
        await short.stop()

