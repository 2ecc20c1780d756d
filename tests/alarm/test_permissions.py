"""Who may see and act on an alarm (the role and office matrix), and GET /alarms: visibility,
filters and cursor pagination."""

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.helpers import bearer, create_person, make_org, raise_alarm

BAD_TOKEN = bearer("tl_" + "x" * 43)


def assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["error"], str) and body["error"]
    return body


@pytest.fixture(scope="module")
async def callers(server, org) -> dict[str, dict[str, str]]:
    """Request headers of every kind of caller. `raiser` is the office's staff member who raises
    the alarms under test; `colleague` is another staff member of the same office."""
    async with httpx.AsyncClient(base_url=server.api_url, timeout=60) as client:
        colleague = await create_person(client, org.admin_token, roles=["staff"],
                                        office_id=org.office["id"], name="Stine Staff")
    headers = {name: org[name].headers for name in (
        "responder", "manager", "other_staff", "other_responder", "other_manager")}
    headers.update(raiser=org["staff"].headers, colleague=colleague.headers,
                   admin=org.admin_headers, no_token={}, bad_token=BAD_TOKEN)
    return headers


# ---------------------------------------------------------------------------------------------
# Raising

RAISE = {"raiser": 201, "colleague": 201, "other_staff": 201, "responder": 403, "manager": 403,
         "admin": 403, "no_token": 401, "bad_token": 401}


@pytest.mark.parametrize(("caller", "expected"), RAISE.items(), ids=list(RAISE))
async def test_only_staff_may_raise_an_alarm(api, org, callers, caller, expected):
    alarm_id = str(uuid.uuid4())
    response = await api.post("/alarms", json={"id": alarm_id, "level": "red"},
                              headers=callers[caller])
    stored = await api.get(f"/alarms/{alarm_id}", headers=org.admin_headers)
    if expected == 201:
        assert response.status_code == 201, response.text
        assert response.json()["id"] == alarm_id
        assert stored.status_code == 200
    else:
        assert_error(response, expected)
        assert_error(stored, 404)


# ---------------------------------------------------------------------------------------------
# Reading and acting on one alarm, raised by `raiser` in the first office

ACTIONS = {
    "read": ("GET", "", None),
    "acknowledge": ("POST", "/acknowledge", {}),
    "upgrade": ("POST", "/upgrade", {"level": "red"}),
    "cancel": ("POST", "/cancel", {"reason": "Kom borti knappen"}),
    "resolve": ("POST", "/resolve", {"summary": "Situasjonen er under kontroll"}),
}
AFTER = {"read": ("active", "yellow"), "acknowledge": ("responding", "yellow"),
         "upgrade": ("active", "red"), "cancel": ("cancelled", "yellow"),
         "resolve": ("resolved", "yellow")}
NOT_SEEN = (404,) * 5
NO_AUTH = (401,) * 5
#                    read  acknowledge  upgrade  cancel  resolve
MATRIX = {
    "raiser":          (200, 403,         200,     200,    200),
    "colleague":       NOT_SEEN,
    "responder":       (200, 200,         200,     403,    200),
    "manager":         (200, 200,         200,     200,    200),
    "admin":           (200, 403,         403,     403,    403),
    "other_staff":     NOT_SEEN,
    "other_responder": NOT_SEEN,
    "other_manager":   NOT_SEEN,
    "no_token":        NO_AUTH,
    "bad_token":       NO_AUTH,
}
CASES = [pytest.param(caller, action, codes[i], id=f"{action}-by-{caller}-{codes[i]}")
         for caller, codes in MATRIX.items() for i, action in enumerate(ACTIONS)]


@pytest.mark.parametrize(("caller", "action", "expected"), CASES)
async def test_alarm_actions_follow_the_role_and_office_matrix(api, org, callers, caller, action,
                                                                expected):
    raised = await raise_alarm(api, org["staff"], level="yellow", room_id=org.room["id"])
    assert raised.status_code == 201, raised.text
    alarm_id = raised.json()["id"]
    before = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()

    method, suffix, body = ACTIONS[action]
    response = await api.request(method, f"/alarms/{alarm_id}{suffix}", json=body,
                                 headers=callers[caller])

    after = (await api.get(f"/alarms/{alarm_id}", headers=org["manager"].headers)).json()
    if expected == 200:
        assert response.status_code == 200, response.text
        status, level = AFTER[action]
        assert (response.json()["status"], response.json()["level"]) == (status, level)
        assert (after["status"], after["level"]) == (status, level)
    else:
        assert_error(response, expected)
        assert after == before, "a refused request changed the alarm"


async def test_an_alarm_of_another_office_is_invisible_to_every_role_here(api, org, callers):
    alarm = (await raise_alarm(api, org["other_staff"], level="red")).json()
    for caller in ("raiser", "colleague", "responder", "manager"):
        for action, (method, suffix, body) in ACTIONS.items():
            response = await api.request(method, f"/alarms/{alarm['id']}{suffix}", json=body,
                                         headers=callers[caller])
            assert response.status_code == 404, (caller, action, response.text)
            assert_error(response, 404)
    still = (await api.get(f"/alarms/{alarm['id']}", headers=org["other_manager"].headers)).json()
    assert still["status"] == "active" and still["level"] == "red"
    assert [e["type"] for e in still["events"]] == ["alarm.raised"]


async def test_unknown_alarm_is_404_for_every_role(api, callers):
    missing = uuid.uuid4()
    for caller in ("raiser", "responder", "manager", "admin"):
        assert_error(await api.get(f"/alarms/{missing}", headers=callers[caller]), 404)


# ---------------------------------------------------------------------------------------------
# Listing: each caller sees exactly the alarms they may open

async def _raise_pair(api, org) -> tuple[dict, dict]:
    here = (await raise_alarm(api, org["staff"], level="red")).json()
    there = (await raise_alarm(api, org["other_staff"], level="red")).json()
    return here, there


async def _listed(api, headers, **params) -> httpx.Response:
    return await api.get("/alarms", params={"limit": 500, **params}, headers=headers)


VISIBLE = {"raiser": {"here"}, "colleague": set(), "responder": {"here"}, "manager": {"here"},
           "admin": {"here", "there"}, "other_staff": {"there"},
           "other_responder": {"there"}, "other_manager": {"there"}}


@pytest.mark.parametrize(("caller", "expected"), VISIBLE.items(), ids=list(VISIBLE))
async def test_listing_shows_exactly_the_alarms_the_caller_may_open(api, org, callers, caller,
                                                                   expected):
    here, there = await _raise_pair(api, org)
    names = {here["id"]: "here", there["id"]: "there"}
    response = await _listed(api, callers[caller], since=here["raised_at"])
    assert response.status_code == 200, response.text
    assert {names.get(a["id"], a["id"]) for a in response.json()["items"]} == expected
    for name, alarm in (("here", here), ("there", there)):
        opened = await api.get(f"/alarms/{alarm['id']}", headers=callers[caller])
        assert opened.status_code == (200 if name in expected else 404)


@pytest.mark.parametrize("caller", ["no_token", "bad_token"])
async def test_listing_needs_a_valid_token(api, callers, caller):
    assert_error(await _listed(api, callers[caller]), 401)
    assert_error(await _listed(api, callers[caller], office_id=str(uuid.uuid4())), 401)


OFFICE_FILTER = [
    ("manager", "office", 200, {"here"}),
    ("manager", "other_office", 403, None),
    ("other_manager", "other_office", 200, {"there"}),
    ("other_manager", "office", 403, None),
    ("admin", "office", 200, {"here"}),
    ("admin", "other_office", 200, {"there"}),
]


@pytest.mark.parametrize(("caller", "office", "expected_status", "expected"), OFFICE_FILTER,
                         ids=[f"{c}-lists-{o}-{s}" for c, o, s, _ in OFFICE_FILTER])
async def test_managers_list_only_their_office_and_admins_any(api, org, callers, caller, office,
                                                              expected_status, expected):
    here, there = await _raise_pair(api, org)
    names = {here["id"]: "here", there["id"]: "there"}
    office_id = getattr(org, office)["id"]
    response = await _listed(api, callers[caller], office_id=office_id, since=here["raised_at"])
    if expected_status != 200:
        assert_error(response, expected_status)
        return
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {names.get(a["id"], a["id"]) for a in items} == expected
    assert {a["office_id"] for a in items} == {office_id}


@pytest.mark.parametrize("caller", ["raiser", "colleague", "responder"])
async def test_asking_for_another_office_never_reveals_its_alarms(api, org, callers, caller):
    await _raise_pair(api, org)
    response = await _listed(api, callers[caller], office_id=org.other_office["id"])
    if response.status_code != 403:
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []
    else:
        assert_error(response, 403)


# ---------------------------------------------------------------------------------------------
# Filters and cursor pagination, on an organisation of their own with seven alarms

HISTORY = [  # level, mode, what happens next
    ("yellow", "real", None),
    ("red", "real", None),
    ("yellow", "drill", "acknowledge"),
    ("red", "real", "resolve"),
    ("yellow", "real", "cancel"),
    ("red", "test", None),
    ("red", "drill", None),
]
STATUS_AFTER = {None: "active", "acknowledge": "responding", "resolve": "resolved",
                "cancel": "cancelled"}


@pytest.fixture(scope="module")
async def history(server, admin_token):
    """A fresh organisation and its seven alarms, oldest first."""
    async with httpx.AsyncClient(base_url=server.api_url, timeout=60) as client:
        own = await make_org(client, admin_token)
        alarms = []
        for level, mode, then in HISTORY:
            raised = await raise_alarm(client, own["staff"], level=level, mode=mode)
            assert raised.status_code == 201, raised.text
            alarm = raised.json()
            body = {"acknowledge": {}, "resolve": {}, "cancel": {"reason": "Øvelse avbrutt"}}
            actor = own["staff"] if then == "cancel" else own["responder"]
            if then:
                done = await client.post(f"/alarms/{alarm['id']}/{then}", json=body[then],
                                         headers=actor.headers)
                assert done.status_code == 200, done.text
            alarms.append({**alarm, "status": STATUS_AFTER[then]})
    return own, alarms


def _at(alarm: dict) -> datetime:
    at = datetime.fromisoformat(alarm["raised_at"])
    assert at.tzinfo is not None, f"raised_at without a UTC offset: {alarm['raised_at']}"
    return at


async def _walk(api, headers, **params) -> list[list[dict]]:
    """Every page of GET /alarms, following next_cursor until it is null."""
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await api.get("/alarms", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) >= {"items", "next_cursor"}
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "next_cursor never ends"


async def test_pages_of_three_walk_every_alarm_newest_first_without_gaps_or_repeats(api,
                                                                                     history):
    own, alarms = history
    pages = await _walk(api, own["manager"].headers, limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    ids = [a["id"] for page in pages for a in page]
    assert ids == [a["id"] for a in reversed(alarms)]
    times = [_at(a) for page in pages for a in page]
    assert times == sorted(times, reverse=True)
    assert [a["status"] for page in pages for a in page] == \
           [a["status"] for a in reversed(alarms)]


async def test_a_page_of_exactly_the_remaining_alarms_ends_the_walk(api, history):
    own, alarms = history
    pages = await _walk(api, own["manager"].headers, limit=7)
    assert [len(p) for p in pages] == [7]
    pages = await _walk(api, own["manager"].headers, limit=1)
    assert [a["id"] for page in pages for a in page] == [a["id"] for a in reversed(alarms)]


async def test_an_alarm_raised_while_paging_does_not_shift_the_later_pages(api, org):
    first = (await raise_alarm(api, org["staff"])).json()
    older = [first] + [(await raise_alarm(api, org["staff"])).json() for _ in range(3)]
    query = {"since": first["raised_at"], "limit": 2}
    page = (await api.get("/alarms", params=query, headers=org["manager"].headers)).json()
    newer = (await raise_alarm(api, org["staff"])).json()
    rest = await _walk(api, org["manager"].headers, cursor=page["next_cursor"], **query)
    seen = [a["id"] for a in page["items"]] + [a["id"] for p in rest for a in p]
    assert seen == [a["id"] for a in reversed(older)]
    assert newer["id"] not in seen


def _middle(alarms: list[dict], index: int) -> datetime:
    """An instant between alarm `index - 1` and alarm `index`."""
    earlier, later = _at(alarms[index - 1]), _at(alarms[index])
    return earlier + (later - earlier) / 2


FILTERS = {
    "status-active": ({"status": "active"}, lambda a: a["status"] == "active"),
    "status-responding": ({"status": "responding"}, lambda a: a["status"] == "responding"),
    "status-resolved": ({"status": "resolved"}, lambda a: a["status"] == "resolved"),
    "status-cancelled": ({"status": "cancelled"}, lambda a: a["status"] == "cancelled"),
    "level-red": ({"level": "red"}, lambda a: a["level"] == "red"),
    "level-yellow": ({"level": "yellow"}, lambda a: a["level"] == "yellow"),
    "mode-real": ({"mode": "real"}, lambda a: a["mode"] == "real"),
    "mode-drill": ({"mode": "drill"}, lambda a: a["mode"] == "drill"),
    "mode-test": ({"mode": "test"}, lambda a: a["mode"] == "test"),
    "red-and-active": ({"level": "red", "status": "active"},
                       lambda a: a["level"] == "red" and a["status"] == "active"),
    "since": ({"since": 3}, lambda a: a["n"] >= 3),
    "until": ({"until": 3}, lambda a: a["n"] < 3),
    "since-and-until": ({"since": 2, "until": 5}, lambda a: 2 <= a["n"] < 5),
    "since-in-another-utc-offset": ({"since": (3, 2)}, lambda a: a["n"] >= 3),
    "until-in-another-utc-offset": ({"until": (3, -5)}, lambda a: a["n"] < 3),
}


def _query(alarms: list[dict], spec: dict) -> dict:
    query = {}
    for key, value in spec.items():
        if key in ("since", "until"):
            index, hours = value if isinstance(value, tuple) else (value, 0)
            instant = _middle(alarms, index).astimezone(timezone(timedelta(hours=hours)))
            query[key] = instant.isoformat()
        else:
            query[key] = value
    return query


@pytest.mark.parametrize(("spec", "keep"), FILTERS.values(), ids=list(FILTERS))
async def test_each_filter_returns_exactly_the_matching_alarms_newest_first(api, history, spec,
                                                                            keep):
    own, alarms = history
    numbered = [{**a, "n": n} for n, a in enumerate(alarms)]
    expected = [a["id"] for a in reversed(numbered) if keep(a)]
    assert expected, "every filter should match something"
    query = _query(alarms, spec)
    pages = await _walk(api, own["manager"].headers, limit=2, **query)
    assert [a["id"] for page in pages for a in page] == expected, query
    admin_pages = await _walk(api, own.admin_headers, office_id=own.office["id"], **query)
    assert [a["id"] for page in admin_pages for a in page] == expected, query


async def test_a_filter_matching_nothing_gives_an_empty_page(api, history):
    own, alarms = history
    after_all = (_at(alarms[-1]) + timedelta(seconds=1)).isoformat()
    for query in ({"since": after_all}, {"office_id": own.other_office["id"]}):
        response = await api.get("/alarms", params=query, headers=own.admin_headers)
        assert response.status_code == 200, response.text
        assert response.json() == {**response.json(), "items": [], "next_cursor": None}
