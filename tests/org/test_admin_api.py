"""Offices and rooms: admins configure them; everyone else sees only their own office."""

import asyncio
import uuid

import httpx
import pytest

from tests.helpers import bearer

BAD_TOKEN = bearer("tl_" + "x" * 43)
NON_ADMINS = ["staff", "responder", "manager", "other_manager"]
OFFICE_FIELDS = {"id", "name", "ack_timeout_s", "min_responders_online"}


def assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["error"], str) and body["error"]
    return body


def headers_of(org, caller: str) -> dict[str, str]:
    special = {"admin": org.admin_headers, "no_token": {}, "bad_token": BAD_TOKEN}
    return special[caller] if caller in special else org[caller].headers


async def all_offices(api, org) -> list[dict]:
    response = await api.get("/offices", headers=org.admin_headers)
    assert response.status_code == 200, response.text
    return response.json()


async def rooms_of(api, org, office_id: str) -> list[dict]:
    response = await api.get(f"/offices/{office_id}/rooms", headers=org.admin_headers)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------------------------------------
# POST /offices

CREATE_OFFICE = {"admin": 201, "staff": 403, "responder": 403, "manager": 403,
                 "no_token": 401, "bad_token": 401}


@pytest.mark.parametrize(("caller", "expected"), CREATE_OFFICE.items(), ids=list(CREATE_OFFICE))
async def test_only_an_admin_creates_an_office(api, org, caller, expected):
    name = f"NAV Ny {uuid.uuid4().hex[:8]}"
    before = await all_offices(api, org)
    response = await api.post("/offices", json={"name": name}, headers=headers_of(org, caller))
    after = await all_offices(api, org)
    if expected == 201:
        assert response.status_code == 201, response.text
        office = response.json()
        assert set(office) >= OFFICE_FIELDS
        assert office["name"] == name
        uuid.UUID(office["id"])
        assert isinstance(office["ack_timeout_s"], int) and office["ack_timeout_s"] >= 5
        assert isinstance(office["min_responders_online"], int)
        assert office in after and len(after) == len(before) + 1
    else:
        assert_error(response, expected)
        assert after == before


async def test_an_office_may_be_created_with_its_settings(api, org):
    body = {"name": f"NAV Innstilt {uuid.uuid4().hex[:8]}", "ack_timeout_s": 60,
            "min_responders_online": 3}
    response = await api.post("/offices", json=body, headers=org.admin_headers)
    assert response.status_code == 201, response.text
    assert {k: response.json()[k] for k in body} == body


# ---------------------------------------------------------------------------------------------
# GET /offices

SEES_OFFICES = {"staff": ["office"], "responder": ["office"], "manager": ["office"],
                "other_manager": ["other_office"]}


@pytest.mark.parametrize(("caller", "expected"), SEES_OFFICES.items(), ids=list(SEES_OFFICES))
async def test_a_non_admin_lists_only_their_own_office(api, org, caller, expected):
    response = await api.get("/offices", headers=headers_of(org, caller))
    assert response.status_code == 200, response.text
    assert response.json() == [getattr(org, name) for name in expected]


async def test_an_admin_lists_every_office(api, org):
    offices = await all_offices(api, org)
    ids = [o["id"] for o in offices]
    assert org.office["id"] in ids and org.other_office["id"] in ids
    assert len(ids) == len(set(ids))
    assert all(set(o) >= OFFICE_FIELDS for o in offices)


@pytest.mark.parametrize("caller", ["no_token", "bad_token"])
async def test_listing_offices_needs_a_valid_token(api, org, caller):
    assert_error(await api.get("/offices", headers=headers_of(org, caller)), 401)


# ---------------------------------------------------------------------------------------------
# PATCH /offices/{office_id}

PATCH_OFFICE = [
    ("admin", "office", 200), ("admin", "other_office", 200),
    ("staff", "office", 403), ("responder", "office", 403), ("manager", "office", 403),
    ("manager", "other_office", 403), ("other_manager", "office", 403),
    ("no_token", "office", 401), ("bad_token", "office", 401),
]


@pytest.mark.parametrize(("caller", "office", "expected"), PATCH_OFFICE,
                         ids=[f"{c}-patches-{o}-{e}" for c, o, e in PATCH_OFFICE])
async def test_only_an_admin_changes_office_settings(api, org, caller, office, expected):
    target = getattr(org, office)
    before = await all_offices(api, org)
    current = next(o for o in before if o["id"] == target["id"])
    change = {"ack_timeout_s": current["ack_timeout_s"] + 1}
    response = await api.patch(f"/offices/{target['id']}", json=change,
                               headers=headers_of(org, caller))
    after = await all_offices(api, org)
    if expected == 200:
        assert response.status_code == 200, response.text
        assert response.json() == {**current, **change}
        assert after == [{**o, **change} if o["id"] == target["id"] else o for o in before]
    else:
        assert_error(response, expected)
        assert after == before


async def test_patch_changes_only_the_fields_given(api, org):
    before = next(o for o in await all_offices(api, org) if o["id"] == org.office["id"])
    for change in ({"min_responders_online": before["min_responders_online"] + 1},
                   {"name": f"NAV Omdøpt {uuid.uuid4().hex[:8]}"},
                   {"ack_timeout_s": 5}, {}):
        response = await api.patch(f"/offices/{org.office['id']}", json=change,
                                   headers=org.admin_headers)
        assert response.status_code == 200, (change, response.text)
        before = {**before, **change}
        assert response.json() == before
        assert next(o for o in await all_offices(api, org) if o["id"] == before["id"]) == before


async def test_patching_an_unknown_office_is_404(api, org):
    before = await all_offices(api, org)
    response = await api.patch(f"/offices/{uuid.uuid4()}", json={"ack_timeout_s": 40},
                               headers=org.admin_headers)
    assert_error(response, 404)
    assert await all_offices(api, org) == before


# ---------------------------------------------------------------------------------------------
# POST /offices/{office_id}/rooms

CREATE_ROOM = [
    ("admin", "office", 201), ("admin", "other_office", 201),
    ("staff", "office", 403), ("responder", "office", 403), ("manager", "office", 403),
    ("manager", "other_office", 403), ("other_manager", "office", 403),
    ("no_token", "office", 401), ("bad_token", "office", 401),
]


@pytest.mark.parametrize(("caller", "office", "expected"), CREATE_ROOM,
                         ids=[f"{c}-adds-room-to-{o}-{e}" for c, o, e in CREATE_ROOM])
async def test_only_an_admin_adds_a_room(api, org, caller, office, expected):
    office_id = getattr(org, office)["id"]
    name = f"Møterom {uuid.uuid4().hex[:6]}"
    before = await rooms_of(api, org, office_id)
    response = await api.post(f"/offices/{office_id}/rooms", json={"name": name},
                              headers=headers_of(org, caller))
    after = await rooms_of(api, org, office_id)
    if expected == 201:
        assert response.status_code == 201, response.text
        room = response.json()
        assert {k: room[k] for k in ("office_id", "name")} == {"office_id": office_id,
                                                               "name": name}
        uuid.UUID(room["id"])
        assert sorted(after, key=lambda r: r["id"]) == \
               sorted([*before, {k: room[k] for k in ("id", "office_id", "name")}],
                      key=lambda r: r["id"])
    else:
        assert_error(response, expected)
        assert after == before


async def test_adding_a_room_to_an_unknown_office_is_404(api, org):
    response = await api.post(f"/offices/{uuid.uuid4()}/rooms", json={"name": "Ingensteds"},
                              headers=org.admin_headers)
    assert_error(response, 404)


# ---------------------------------------------------------------------------------------------
# GET /offices/{office_id}/rooms

LIST_ROOMS = [
    ("admin", "office", 200), ("admin", "other_office", 200),
    ("staff", "office", 200), ("responder", "office", 200), ("manager", "office", 200),
    ("staff", "other_office", 404), ("responder", "other_office", 404),
    ("manager", "other_office", 404),
    ("other_manager", "other_office", 200), ("other_manager", "office", 404),
    ("no_token", "office", 401), ("bad_token", "office", 401),
]


@pytest.mark.parametrize(("caller", "office", "expected"), LIST_ROOMS,
                         ids=[f"{c}-lists-rooms-of-{o}-{e}" for c, o, e in LIST_ROOMS])
async def test_rooms_are_listed_for_the_office_users_and_admins(api, org, caller, office,
                                                                 expected):
    office_id = getattr(org, office)["id"]
    response = await api.get(f"/offices/{office_id}/rooms", headers=headers_of(org, caller))
    if expected != 200:
        assert_error(response, expected)
        return
    assert response.status_code == 200, response.text
    rooms = response.json()
    first_room = org.room if office == "office" else org.other_room
    assert first_room in rooms
    assert {r["office_id"] for r in rooms} == {office_id}
    assert all(set(r) >= {"id", "office_id", "name"} for r in rooms)


async def test_rooms_of_an_unknown_office_are_404(api, org):
    assert_error(await api.get(f"/offices/{uuid.uuid4()}/rooms", headers=org.admin_headers), 404)
    assert_error(await api.get(f"/offices/{uuid.uuid4()}/rooms", headers=org["manager"].headers),
                 404)


# ---------------------------------------------------------------------------------------------
# The same name sent many times at once: one is stored, the rest are conflicts

async def test_concurrent_offices_with_one_name_give_one_201_and_409s(api, org):
    name = f"NAV Samtidig {uuid.uuid4().hex[:8]}"
    responses = await asyncio.gather(*(
        api.post("/offices", json={"name": name}, headers=org.admin_headers) for _ in range(8)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 7, [(r.status_code, r.text[:80]) for r in responses]
    for response in responses[1:]:
        if response.status_code != 201:
            assert_error(response, 409)
    assert [o["name"] for o in await all_offices(api, org)].count(name) == 1


async def test_concurrent_rooms_with_one_name_give_one_201_and_409s(api, org):
    name = f"Venterom {uuid.uuid4().hex[:8]}"
    responses = await asyncio.gather(*(
        api.post(f"/offices/{org.office['id']}/rooms", json={"name": name},
                 headers=org.admin_headers) for _ in range(8)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 7, [(r.status_code, r.text[:80]) for r in responses]
    for response in responses:
        if response.status_code != 201:
            assert_error(response, 409)
    assert [r["name"] for r in await rooms_of(api, org, org.office["id"])].count(name) == 1
