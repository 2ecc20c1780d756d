"""Bad requests: each is refused with the contract's error shape and changes no stored data."""

import asyncio
import base64
import json
import uuid

import httpx
import pytest

from tests.helpers import PASSWORD, raise_alarm

BIG = 70 * 1024  # over the 64 KiB body limit


def assert_error(response: httpx.Response, status: int, error: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["error"], str) and body["error"]
    if error is not None:
        assert body["error"] == error, body
    return body


@pytest.fixture(scope="module")
async def world(server, org) -> dict:
    """The org, plus one open alarm; escalation is pushed far out so it stays still."""
    async with httpx.AsyncClient(base_url=server.api_url, timeout=10) as client:
        for office in (org.office, org.other_office):
            patched = await client.patch(f"/offices/{office['id']}", json={"ack_timeout_s": 3600},
                                         headers=org.admin_headers)
            assert patched.status_code == 200, patched.text
        alarm = (await raise_alarm(client, org["staff"], level="yellow")).json()
    return {"org": org, "alarm": alarm["id"]}


async def stored_state(api: httpx.AsyncClient, world: dict) -> dict:
    """Everything a bad request could touch, as the admin sees it."""
    org = world["org"]
    reads = {
        "offices": ("/offices", {}),
        "rooms": (f"/offices/{org.office['id']}/rooms", {}),
        "other_rooms": (f"/offices/{org.other_office['id']}/rooms", {}),
        "alarms": ("/alarms", {"office_id": org.office["id"], "limit": 500}),
        "other_alarms": ("/alarms", {"office_id": org.other_office["id"], "limit": 500}),
        "alarm": (f"/alarms/{world['alarm']}", {}),
        "devices": ("/devices", {}),
    }
    state = {}
    for name, (path, params) in reads.items():
        response = await api.get(path, params=params, headers=org.admin_headers)
        assert response.status_code == 200, (path, response.text)
        state[name] = response.json()
    for key in ("staff", "manager"):
        state[f"me-{key}"] = (await api.get("/me", headers=org[key].headers)).json()
    return state


def fill(value, names: dict):
    """Put the ids of this org into a case's path or body."""
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    return value


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def user(**changes) -> dict:
    body = {"username": "{new_username}", "password": "secret-pass-1", "full_name": "Nils Ny",
            "office_id": "{office}", "roles": ["staff"]}
    return {**body, **changes}


def case(id, caller, method, path, body=None, status=422, *, field=None, error=None):
    return pytest.param(caller, method, path, body, status, field, error, id=id)


ALARM = "/alarms/{alarm}"
OFFICE = "/offices/{office}"
MISSING = str(uuid.uuid4())
CASES = [
    # unknown fields
    case("office-unknown-field", "admin", "POST", "/offices", {"name": "NAV X", "colour": "blå"},
         field="colour"),
    case("patch-office-id", "admin", "PATCH", OFFICE, {"id": "{other_office}"}, field="id"),
    case("room-unknown-field", "admin", "POST", OFFICE + "/rooms", {"name": "R", "floor": 2},
         field="floor"),
    case("user-unknown-field", "admin", "POST", "/users", user(is_admin=True), field="is_admin"),
    case("device-unknown-field", "staff", "POST", "/devices",
         {"user_id": "{staff_id}", "kind": "desktop", "token": "td_mine"}, field="token"),
    case("alarm-unknown-field", "staff", "POST", "/alarms", {"level": "red", "priority": 1},
         field="priority"),
    case("alarm-position-unknown-field", "staff", "POST", "/alarms",
         {"level": "red", "position": {"lat": 59.9, "lon": 10.7, "altitude": 3}},
         field="altitude"),
    case("acknowledge-unknown-field", "responder", "POST", ALARM + "/acknowledge",
         {"eta_min": 3}, field="eta_min"),
    case("resolve-unknown-field", "responder", "POST", ALARM + "/resolve", {"outcome": "ok"},
         field="outcome"),
    case("login-unknown-field", None, "POST", "/auth/login",
         {"username": "x", "password": "y", "remember": True}, field="remember"),
    # wrong types
    case("alarm-level-number", "staff", "POST", "/alarms", {"level": 1}, field="level"),
    case("alarm-silent-not-bool", "staff", "POST", "/alarms", {"level": "red", "silent": "maybe"},
         field="silent"),
    case("alarm-id-not-uuid", "staff", "POST", "/alarms", {"id": "abc", "level": "red"},
         field="id"),
    case("alarm-lat-text", "staff", "POST", "/alarms",
         {"level": "red", "position": {"lat": "north", "lon": 10.7}}, field="lat"),
    case("alarm-lat-out-of-range", "staff", "POST", "/alarms",
         {"level": "red", "position": {"lat": 91, "lon": 10.7}}, field="lat"),
    case("alarm-body-a-list", "staff", "POST", "/alarms", [{"level": "red"}]),
    case("alarm-body-missing", "staff", "POST", "/alarms", None),
    case("office-name-number", "admin", "POST", "/offices", {"name": 42}, field="name"),
    case("office-name-blank", "admin", "POST", "/offices", {"name": "   "}, field="name"),
    case("patch-timeout-text", "admin", "PATCH", OFFICE, {"ack_timeout_s": "soon"},
         field="ack_timeout_s"),
    case("patch-timeout-fraction", "admin", "PATCH", OFFICE, {"ack_timeout_s": 7.5},
         field="ack_timeout_s"),
    case("user-roles-not-list", "admin", "POST", "/users", user(roles="staff"), field="roles"),
    case("user-no-roles", "admin", "POST", "/users", user(roles=[]), field="roles"),
    case("user-office-not-uuid", "admin", "POST", "/users", user(office_id="nav-oslo"),
         field="office_id"),
    case("device-user-not-uuid", "staff", "POST", "/devices", {"user_id": 7, "kind": "mobile"},
         field="user_id"),
    case("cancel-reason-number", "staff", "POST", ALARM + "/cancel", {"reason": 5},
         field="reason"),
    case("resolve-summary-list", "responder", "POST", ALARM + "/resolve", {"summary": ["a"]},
         field="summary"),
    case("login-password-number", None, "POST", "/auth/login", {"username": "x", "password": 1},
         field="password"),
    # bad enum values
    case("alarm-level-green", "staff", "POST", "/alarms", {"level": "green"}, field="level"),
    case("alarm-mode-party", "staff", "POST", "/alarms", {"level": "red", "mode": "party"},
         field="mode"),
    case("device-kind-tablet", "staff", "POST", "/devices",
         {"user_id": "{staff_id}", "kind": "tablet"}, field="kind"),
    case("user-role-janitor", "admin", "POST", "/users", user(roles=["janitor"]), field="roles"),
    case("upgrade-to-yellow", "staff", "POST", ALARM + "/upgrade", {"level": "yellow"},
         field="level"),
    case("upgrade-without-level", "staff", "POST", ALARM + "/upgrade", {}, field="level"),
    case("list-status-open", "manager", "GET", "/alarms?status=open", field="status"),
    case("list-level-green", "manager", "GET", "/alarms?level=green", field="level"),
    case("list-mode-party", "manager", "GET", "/alarms?mode=party", field="mode"),
    # references to things elsewhere or nowhere
    case("alarm-room-of-other-office", "staff", "POST", "/alarms",
         {"level": "red", "room_id": "{other_room}"}, field="room_id"),
    case("alarm-unknown-room", "staff", "POST", "/alarms", {"level": "red", "room_id": MISSING},
         field="room_id"),
    case("device-room-of-other-office", "staff", "POST", "/devices",
         {"user_id": "{staff_id}", "kind": "desktop", "room_id": "{other_room}"},
         field="room_id"),
    case("device-for-unknown-user", "admin", "POST", "/devices",
         {"user_id": MISSING, "kind": "desktop"}, field="user_id"),
    case("user-unknown-office", "admin", "POST", "/users", user(office_id=MISSING),
         field="office_id"),
    # phone numbers not in E.164
    *[case(f"phone-{name}", "admin", "POST", "/users", user(phone=phone), field="phone")
      for name, phone in (("national", "91234567"), ("spaces", "+47 912 34 567"),
                          ("double-zero", "004791234567"), ("too-short", "+4712"),
                          ("letters", "+47ABCDEFGH"), ("tel-uri", "tel:+4791234567"))],
    # conflicts
    case("duplicate-office-name", "admin", "POST", "/offices", {"name": "{office_name}"}, 409),
    case("duplicate-room-name", "admin", "POST", OFFICE + "/rooms", {"name": "{room_name}"},
         409),
    # malformed JSON
    *[case(f"malformed-json-{name}", caller, method, path, raw, error="malformed_json")
      for name, caller, method, path, raw in (
          ("alarm", "staff", "POST", "/alarms", b'{"level": "red"'),
          ("office", "admin", "POST", "/offices", b'{"name": }'),
          ("patch", "admin", "PATCH", OFFICE, b"ack_timeout_s=10"),
          ("user", "admin", "POST", "/users", b'{"username": "a",}'),
          ("cancel", "staff", "POST", ALARM + "/cancel", b"{'reason': 'single quotes'}"),
          ("login", None, "POST", "/auth/login", b'{"username": "a", "password": "b"'),
          ("not-utf8", "staff", "POST", "/alarms", b'{"level": "red", "location_note": "\xff"}'),
          ("latin1", "admin", "POST", "/offices", '{"name": "NAV Tønsberg"}'.encode("latin-1")),
      )],
    # bodies over the size limit
    case("too-large-alarm", "staff", "POST", "/alarms",
         {"level": "red", "location_note": "x" * BIG}, 413, error="payload_too_large"),
    case("too-large-office", "admin", "POST", "/offices", {"name": "x" * BIG}, 413,
         error="payload_too_large"),
    case("too-large-login", None, "POST", "/auth/login", {"username": "x" * BIG, "password": "y"},
         413, error="payload_too_large"),
    # malformed ids in paths
    case("path-alarm-id", "manager", "GET", "/alarms/not-a-uuid", field="alarm_id"),
    case("path-alarm-id-acknowledge", "responder", "POST", "/alarms/123/acknowledge", {},
         field="alarm_id"),
    case("path-alarm-id-cancel", "staff", "POST", "/alarms/abc/cancel", {"reason": "x"},
         field="alarm_id"),
    case("path-office-id-patch", "admin", "PATCH", "/offices/nav-oslo", {"ack_timeout_s": 10},
         field="office_id"),
    case("path-office-id-rooms", "manager", "GET", "/offices/1/rooms", field="office_id"),
    case("path-office-id-new-room", "admin", "POST", "/offices/x/rooms", {"name": "R"},
         field="office_id"),
    case("path-device-id-revoke", "staff", "POST", "/devices/xyz/revoke", field="device_id"),
    # query parameters of GET /alarms
    case("since-without-offset", "manager", "GET", "/alarms?since=2024-05-01T10:00:00",
         field="since"),
    case("until-without-offset", "manager", "GET", "/alarms?until=2024-05-01T10:00:00",
         field="until"),
    case("since-not-a-time", "manager", "GET", "/alarms?since=yesterday", field="since"),
    case("office-filter-not-uuid", "admin", "GET", "/alarms?office_id=oslo", field="office_id"),
    case("limit-zero", "manager", "GET", "/alarms?limit=0", field="limit"),
    case("limit-text", "manager", "GET", "/alarms?limit=many", field="limit"),
    case("cursor-garbage", "manager", "GET", "/alarms?cursor=%21%21not-a-cursor", field="cursor"),
    case("cursor-naive-time", "manager", "GET",
         "/alarms?cursor=" + cursor_of(f"2024-05-01T10:00:00|{MISSING}"), field="cursor"),
    case("cursor-bad-id", "manager", "GET",
         "/alarms?cursor=" + cursor_of("2024-05-01T10:00:00+00:00|nope"), field="cursor"),
    # office settings
    *[case(f"patch-{name}", "admin", "PATCH", OFFICE, body, field=next(iter(body)))
      for name, body in (("timeout-4", {"ack_timeout_s": 4}), ("timeout-0", {"ack_timeout_s": 0}),
                         ("timeout-null", {"ack_timeout_s": None}),
                         ("name-null", {"name": None}),
                         ("min-online-negative", {"min_responders_online": -1}),
                         ("min-online-null", {"min_responders_online": None}))],
    case("office-created-with-timeout-4", "admin", "POST", "/offices",
         {"name": "NAV Rask", "ack_timeout_s": 4}, field="ack_timeout_s"),
    # cancel needs a reason
    case("cancel-without-reason", "staff", "POST", ALARM + "/cancel", {}, field="reason"),
    case("cancel-empty-reason", "staff", "POST", ALARM + "/cancel", {"reason": ""},
         field="reason"),
    case("cancel-blank-reason", "staff", "POST", ALARM + "/cancel", {"reason": "   "},
         field="reason"),
    case("cancel-reason-null", "staff", "POST", ALARM + "/cancel", {"reason": None},
         field="reason"),
    # unknown routes and wrong methods
    case("unknown-route", None, "GET", "/no-such-thing", status=404),
    case("unknown-route-with-token", "admin", "POST", "/offices/{office}/desks", {"name": "D"},
         status=404),
    case("unknown-alarm-action", "responder", "POST", ALARM + "/snooze", {}, status=404),
    case("wrong-method-alarms", "admin", "DELETE", "/alarms", status=405),
    case("wrong-method-alarm", "manager", "DELETE", ALARM, status=405),
    case("wrong-method-offices", "admin", "PUT", "/offices", {"name": "X"}, status=405),
    case("wrong-method-login", None, "GET", "/auth/login", status=405),
    case("wrong-method-acknowledge", "responder", "GET", ALARM + "/acknowledge", status=405),
]


@pytest.mark.parametrize(("caller", "method", "path", "body", "status", "field", "error"), CASES)
async def test_bad_request_is_refused_and_changes_nothing(api, world, caller, method, path, body,
                                                          status, field, error):
    org = world["org"]
    names = {"office": org.office["id"], "other_office": org.other_office["id"],
             "office_name": org.office["name"], "room": org.room["id"],
             "room_name": org.room["name"], "other_room": org.other_room["id"],
             "alarm": world["alarm"], "staff_id": org["staff"].id,
             "new_username": f"ny-{uuid.uuid4().hex[:8]}"}
    headers = {} if caller is None else (org.admin_headers if caller == "admin"
                                         else org[caller].headers)
    before = await stored_state(api, world)

    kwargs: dict = {}
    if isinstance(body, bytes):
        kwargs["content"] = body
        headers = {**headers, "Content-Type": "application/json"}
    elif body is not None:
        kwargs["json"] = fill(body, names)
    response = await api.request(method, fill(path, names), headers=headers, **kwargs)

    found = assert_error(response, status, error)
    if status == 422:
        if error is None:
            assert found["error"] != "malformed_json", found
        if field is not None:
            assert field in json.dumps(found["detail"]), f"{field} not named in {found['detail']}"
    assert await stored_state(api, world) == before, "a refused request changed stored data"
    if path == "/users":
        assert_error(await api.post("/auth/login", json={"username": names["new_username"],
                                                         "password": "secret-pass-1"}), 401)


async def test_duplicate_username_is_a_conflict_and_keeps_the_first_user(api, world):
    org = world["org"]
    staff = org["staff"]
    before = await stored_state(api, world)
    response = await api.post("/users", headers=org.admin_headers, json={
        "username": staff.username, "password": "another-pass-1", "full_name": "Dobbelt Gjenger",
        "office_id": org.other_office["id"], "roles": ["manager"]})
    assert_error(response, 409)
    assert await stored_state(api, world) == before
    assert_error(await api.post("/auth/login", json={"username": staff.username,
                                                     "password": "another-pass-1"}), 401)
    relogin = await api.post("/auth/login", json={"username": staff.username,
                                                  "password": PASSWORD})
    assert relogin.status_code == 200, relogin.text


async def test_chunked_body_over_the_limit_is_refused(api, world):
    org = world["org"]
    before = await stored_state(api, world)
    payload = json.dumps({"level": "red", "location_note": "x" * BIG}).encode()

    async def chunks():
        for start in range(0, len(payload), 8192):
            yield payload[start:start + 8192]

    response = await api.post("/alarms", content=chunks(), headers={
        **org["staff"].headers, "Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")
    assert await stored_state(api, world) == before


async def test_body_under_the_limit_is_judged_on_its_content(api, world):
    org = world["org"]
    before = await stored_state(api, world)
    response = await api.post("/alarms", headers=org["staff"].headers,
                              json={"level": "red", "location_note": "x" * (60 * 1024)})
    found = assert_error(response, 422)
    assert "location_note" in json.dumps(found["detail"])
    assert await stored_state(api, world) == before


async def test_validation_errors_do_not_echo_the_password(api, world):
    org = world["org"]
    secret = "hemmelig-passord-123"
    response = await api.post("/users", headers=org.admin_headers, json=user(
        username="ok-name", password=secret, phone="12345", roles=["janitor"]))
    assert_error(response, 422)
    assert secret not in response.text
    response = await api.post("/auth/login", json={"username": ["x"], "password": secret})
    assert_error(response, 422)
    assert secret not in response.text


async def test_concurrent_users_with_one_username_give_one_201_and_409s(api, world):
    org = world["org"]
    username = f"samtidig-{uuid.uuid4().hex[:8]}"
    responses = await asyncio.gather(*(api.post("/users", headers=org.admin_headers, json=user(
        username=username, office_id=org.office["id"])) for _ in range(5)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409, 409], [(r.status_code, r.text[:80]) for r in responses]
    for response in responses:
        if response.status_code != 201:
            assert_error(response, 409)


async def test_json_nested_too_deep_to_parse_is_invalid_input(api, world):
    org = world["org"]
    before = await stored_state(api, world)
    response = await api.post("/alarms", content=b"[" * 20_000 + b"]" * 20_000,
                              headers={**org["staff"].headers, "Content-Type": "application/json"})
    assert_error(response, 422)
    assert await stored_state(api, world) == before


NUL = "Rom\u00002"
NUL_TEXT = {  # where the text goes: caller, path, body, and how to read the stored text back
    "alarm-location-note": ("staff", "/alarms", {"level": "yellow", "mode": "test",
                                                 "location_note": NUL},
                            lambda org, body: (f"/alarms/{body['id']}", None, "location_note")),
    "office-name": ("admin", "/offices", {"name": NUL + "{new_username}"},
                    lambda org, body: ("/offices", body["id"], "name")),
    "room-name": ("admin", "/offices/{office}/rooms", {"name": NUL},
                  lambda org, body: (f"/offices/{org.office['id']}/rooms", body["id"], "name")),
    "user-full-name": ("admin", "/users", user(full_name=NUL), None),
    "login-username": (None, "/auth/login", {"username": NUL, "password": "x"}, None),
}


@pytest.mark.parametrize("target", list(NUL_TEXT))
async def test_text_with_a_nul_character_is_kept_intact_or_refused_with_422(api, world, target):
    org = world["org"]
    caller, path, body, read_back = NUL_TEXT[target]
    names = {"office": org.office["id"], "new_username": f"nul-{uuid.uuid4().hex[:8]}"}
    headers = {} if caller is None else (org.admin_headers if caller == "admin"
                                         else org[caller].headers)
    before = await stored_state(api, world)
    response = await api.post(fill(path, names), json=fill(body, names), headers=headers)
    assert response.status_code < 500, f"{response.status_code}: {response.text[:200]}"
    if target == "login-username":
        assert response.status_code in (401, 422)
        assert_error(response, response.status_code)
    elif response.status_code in (200, 201):
        assert any(NUL in str(value) for value in response.json().values()), response.text
        if read_back is not None:
            where, item_id, key = read_back(org, response.json())
            stored = (await api.get(where, headers=org.admin_headers)).json()
            if item_id is not None:
                stored = next(item for item in stored if item["id"] == item_id)
            assert stored[key].startswith(NUL)
    else:
        assert_error(response, 422)
        assert await stored_state(api, world) == before


def _edge_cursor() -> str:
    return cursor_of(f"0001-01-01T00:00:00+01:00|{MISSING}")


@pytest.mark.parametrize(("param", "value"), [
    ("since", "0001-01-01T00:00:00+01:00"),
    ("until", "9999-12-31T23:59:59-01:00"),
    ("until", "0001-01-01T00:00:00+00:00"),
    ("cursor", _edge_cursor()),
], ids=["since-year-1-east-of-utc", "until-year-9999-west-of-utc", "until-year-1-in-utc",
        "cursor-year-1"])
async def test_times_at_the_ends_of_the_calendar_are_answered_not_crashed(api, world, param,
                                                                         value):
    response = await api.get("/alarms", params={param: value},
                             headers=world["org"]["manager"].headers)
    assert response.status_code in (200, 422), f"{response.status_code}: {response.text[:200]}"
    if response.status_code == 422:
        assert param in json.dumps(assert_error(response, 422)["detail"])
