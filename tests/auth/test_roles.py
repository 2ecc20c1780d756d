"""Login, logout and device tokens; GET /me, POST /users and POST /devices for every role."""

import uuid

import httpx
import pytest

from tests.helpers import PASSWORD, bearer

BAD_TOKEN = bearer("tl_" + "x" * 43)
PEOPLE = ["staff", "responder", "manager", "other_staff", "other_manager"]


def assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["error"], str) and body["error"]
    return body


def headers_of(org, caller: str) -> dict[str, str]:
    special = {"admin": org.admin_headers, "no_token": {}, "bad_token": BAD_TOKEN}
    return special[caller] if caller in special else org[caller].headers


async def login(api, username: str, password: str = PASSWORD) -> httpx.Response:
    return await api.post("/auth/login", json={"username": username, "password": password})


async def devices_of(api, org) -> list[dict]:
    response = await api.get("/devices", headers=org.admin_headers)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------------------------------------
# Login and logout

async def test_login_gives_a_bearer_token_that_works_on_me(api, org):
    response = await login(api, org["staff"].username)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["access_token"]
    me = await api.get("/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == org["staff"].id


@pytest.mark.parametrize(("who", "password"), [
    ("staff", "wrong-password"),
    ("staff", PASSWORD.upper()),
    ("nobody", PASSWORD),
], ids=["wrong-password", "password-in-wrong-case", "unknown-user"])
async def test_wrong_credentials_are_401(api, org, who, password):
    username = org[who].username if who != "nobody" else f"nobody-{uuid.uuid4().hex[:8]}"
    response = await login(api, username, password)
    assert_error(response, 401)
    assert "access_token" not in response.text


async def test_logout_revokes_only_the_token_it_was_sent_with(api, org):
    first = (await login(api, org["responder"].username)).json()["access_token"]
    second = (await login(api, org["responder"].username)).json()["access_token"]
    out = await api.post("/auth/logout", headers=bearer(first))
    assert 200 <= out.status_code < 300, out.text
    assert_error(await api.get("/me", headers=bearer(first)), 401)
    assert_error(await api.get("/alarms", headers=bearer(first)), 401)
    assert (await api.get("/me", headers=bearer(second))).status_code == 200
    assert (await api.get("/me", headers=org["responder"].headers)).status_code == 200
    assert_error(await api.post("/auth/logout", headers=bearer(first)), 401)


@pytest.mark.parametrize("caller", ["no_token", "bad_token"])
async def test_logout_needs_a_valid_token(api, org, caller):
    assert_error(await api.post("/auth/logout", headers=headers_of(org, caller)), 401)


@pytest.mark.parametrize("header", [
    "Bearer", "Basic dXNlcjpwYXNz", "tl_abc", "Bearer td_forged-device-token",
], ids=["empty-bearer", "basic-auth", "no-scheme", "forged-device-token"])
async def test_malformed_authorization_is_401(api, header):
    assert_error(await api.get("/me", headers={"Authorization": header}), 401)


# ---------------------------------------------------------------------------------------------
# Device tokens

async def enroll(api, org, owner: str, enrolled_by: str, **extra) -> httpx.Response:
    body = {"user_id": org[owner].id, "kind": "desktop", **extra}
    return await api.post("/devices", json=body, headers=headers_of(org, enrolled_by))


async def test_device_token_acts_as_its_user_until_revoked(api, org):
    enrolled = await enroll(api, org, "staff", "staff", room_id=org.room["id"],
                            label="Skranke 2")
    assert enrolled.status_code == 201, enrolled.text
    device = enrolled.json()
    token = bearer(device["token"])
    assert (await api.get("/me", headers=token)).json()["id"] == org["staff"].id
    raised = await api.post("/alarms", json={"level": "yellow", "mode": "test"}, headers=token)
    assert raised.status_code == 201, raised.text

    revoked = await api.post(f"/devices/{device['id']}/revoke", headers=org["staff"].headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert "token" not in revoked.json()
    assert_error(await api.get("/me", headers=token), 401)
    assert_error(await api.post("/alarms", json={"level": "red"}, headers=token), 401)
    assert_error(await api.get(f"/alarms/{raised.json()['id']}", headers=token), 401)
    again = await api.post(f"/devices/{device['id']}/revoke", headers=org["staff"].headers)
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert (await api.get("/me", headers=org["staff"].headers)).status_code == 200


async def test_an_admin_revokes_anyones_device(api, org):
    device = (await enroll(api, org, "responder", "responder", kind="mobile")).json()
    revoked = await api.post(f"/devices/{device['id']}/revoke", headers=org.admin_headers)
    assert revoked.status_code == 200, revoked.text
    assert_error(await api.get("/me", headers=bearer(device["token"])), 401)


@pytest.mark.parametrize("caller", ["responder", "manager", "other_manager"])
async def test_nobody_else_revokes_a_users_device(api, org, caller):
    device = (await enroll(api, org, "staff", "staff")).json()
    response = await api.post(f"/devices/{device['id']}/revoke", headers=org[caller].headers)
    assert response.status_code in (403, 404), response.text
    assert_error(response, response.status_code)
    me = await api.get("/me", headers=bearer(device["token"]))
    assert me.status_code == 200 and me.json()["id"] == org["staff"].id


@pytest.mark.parametrize("caller", PEOPLE + ["admin"])
async def test_anyone_enrolls_a_device_for_themself(api, org, caller):
    headers = headers_of(org, caller)
    me = (await api.get("/me", headers=headers)).json()
    response = await api.post("/devices", json={"user_id": me["id"], "kind": "mobile"},
                              headers=headers)
    assert response.status_code == 201, response.text
    device = response.json()
    assert device["id"] and device["token"] and device["user_id"] == me["id"]
    assert (await api.get("/me", headers=bearer(device["token"]))).json()["id"] == me["id"]


ENROLL_OTHER = [
    ("admin", "staff", 201), ("admin", "other_responder", 201),
    ("staff", "responder", 403), ("responder", "staff", 403), ("manager", "staff", 403),
    ("manager", "responder", 403), ("other_manager", "staff", 403),
    ("no_token", "staff", 401), ("bad_token", "staff", 401),
]


@pytest.mark.parametrize(("caller", "owner", "expected"), ENROLL_OTHER,
                         ids=[f"{c}-enrolls-for-{o}-{e}" for c, o, e in ENROLL_OTHER])
async def test_only_an_admin_enrolls_a_device_for_someone_else(api, org, caller, owner, expected):
    before = await devices_of(api, org)
    response = await enroll(api, org, owner, caller)
    after = await devices_of(api, org)
    if expected == 201:
        assert response.status_code == 201, response.text
        me = await api.get("/me", headers=bearer(response.json()["token"]))
        assert me.json()["id"] == org[owner].id
        assert len(after) == len(before) + 1
    else:
        assert_error(response, expected)
        assert after == before


# ---------------------------------------------------------------------------------------------
# GET /me

@pytest.mark.parametrize("caller", PEOPLE)
async def test_me_describes_the_caller(api, org, caller):
    person = org[caller]
    response = await api.get("/me", headers=person.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {**response.json(), "id": person.id, "username": person.username,
                               "full_name": person.full_name, "roles": person.roles,
                               "office_id": person.office_id, "phone": None}
    assert "password" not in response.text and "password_hash" not in response.json()


async def test_me_of_an_admin_shows_the_admin_role(api, org):
    response = await api.get("/me", headers=org.admin_headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) >= {"id", "username", "full_name", "roles", "office_id", "phone"}
    assert "admin" in response.json()["roles"]


@pytest.mark.parametrize("caller", ["no_token", "bad_token"])
async def test_me_needs_a_valid_token(api, org, caller):
    assert_error(await api.get("/me", headers=headers_of(org, caller)), 401)


# ---------------------------------------------------------------------------------------------
# POST /users

CREATE_USER = {"admin": 201, "staff": 403, "responder": 403, "manager": 403,
               "other_manager": 403, "no_token": 401, "bad_token": 401}


@pytest.mark.parametrize(("caller", "expected"), CREATE_USER.items(), ids=list(CREATE_USER))
async def test_only_an_admin_creates_a_user(api, org, caller, expected):
    username = f"ny-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": "secret-pass-1", "full_name": "Nina Ny",
            "office_id": org.office["id"], "roles": ["staff", "responder"],
            "phone": "+4791234567"}
    response = await api.post("/users", json=body, headers=headers_of(org, caller))
    if expected != 201:
        assert_error(response, expected)
        assert_error(await login(api, username, "secret-pass-1"), 401)
        return
    assert response.status_code == 201, response.text
    user = response.json()
    expected_user = {k: v for k, v in body.items() if k != "password"}
    assert {k: user[k] for k in expected_user} == expected_user
    uuid.UUID(user["id"])
    assert "secret-pass-1" not in response.text and "password" not in user
    token = (await login(api, username, "secret-pass-1")).json()["access_token"]
    assert (await api.get("/me", headers=bearer(token))).json() == user


async def test_a_user_may_have_no_phone_and_several_roles(api, org):
    body = {"username": f"to-{uuid.uuid4().hex[:8]}", "password": "secret-pass-2",
            "full_name": "Tor To Roller", "office_id": org.other_office["id"],
            "roles": ["responder", "manager"]}
    response = await api.post("/users", json=body, headers=org.admin_headers)
    assert response.status_code == 201, response.text
    assert response.json()["phone"] is None
    assert sorted(response.json()["roles"]) == ["manager", "responder"]
