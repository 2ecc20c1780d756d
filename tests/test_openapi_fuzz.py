"""The OpenAPI document tells the truth: schemathesis, with every check, as each role, against a
live server on each database, finds nothing.

The fuzzer gets its own server and database (it creates offices, users, devices and alarms as
admin, and may disable users it finds). Each role logs in by username and password through
schemathesis's dynamic auth, which logs in again when an answer is 401: so an operation that
revokes the fuzzer's own token (`POST /auth/logout`, and any later one that does) costs it a
login, not the rest of the run. Runs are seeded and bounded (`MAX_EXAMPLES` per operation).
"""

import asyncio
import json
import textwrap

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from tests.conftest import LiveServer, create_admin_token, server_settings
from tests.helpers import PASSWORD, bearer, create_person, make_org, raise_alarm

ROLES = ("admin", "manager", "responder", "staff")
MAX_EXAMPLES = 5
STATEFUL_STEPS = 5
SEED = 20261202
# Refusals of a schema-valid request for a reason no schema can state: an id that names
# nothing, a phone number no numbering plan has, a cursor that is not ours (see the check).
BEYOND_THE_SCHEMA = {None, "value_error"}


@schemathesis.check
def schema_valid_request_accepted(ctx, response, case) -> None:
    """Like `positive_data_acceptance`, but a 422 may refuse a schema-valid request when every
    item of its detail is a reason beyond the schema (no pydantic type, or a validator's
    `value_error`); a refusal for a reason the schema states (a type, an enum, a length, a
    pattern, a format) is a failure: the schema would be wrong."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    status = response.status_code
    if status < 400 or status >= 500 or status in (401, 403, 404, 409, 429):
        return
    if status == 422:
        detail = json.loads(response.content).get("detail")
        if isinstance(detail, list) and all(item.get("type") in BEYOND_THE_SCHEMA
                                            for item in detail):
            return
    raise AssertionError(f"a schema-valid request was refused with {status}: "
                         f"{response.content[:500]!r}")


@pytest.fixture(scope="module")
async def fuzz_server(new_database, tmp_path_factory):
    live = LiveServer(server_settings(await new_database(), tmp_path_factory.mktemp("fuzz"),
                                      heartbeat_interval_s=2))
    await live.start()
    yield live
    await live.stop()


async def username_for(server: LiveServer, role: str) -> str:
    """A fresh office with people of every role; the username of the one the fuzzer plays."""
    async with httpx.AsyncClient(base_url=server.api_url, timeout=60) as api:
        admin_token = await create_admin_token(server)
        org = await make_org(api, admin_token)
        # Something to look at: an open alarm, and one closed for follow-up.
        await raise_alarm(api, org["staff"], level="yellow")
        closed = (await raise_alarm(api, org["staff"], level="red")).json()
        await api.post(f"/alarms/{closed['id']}/resolve", json={}, headers=org["staff"].headers)
        if role == "admin":
            person = await create_person(api, admin_token, roles=["admin"], office_id=None,
                                         name="Frida Fuzzadmin")
            return person.username
        response = await api.get("/me", headers=bearer(org[role].token))
        assert response.status_code == 200, response.text
        return org[role].username


def fuzz(server: LiveServer, username: str) -> tuple[list[str], int]:
    """Run every phase and check against the server; the failures found and the cases run."""
    config = SchemathesisConfig.from_str(textwrap.dedent(f"""
        seed = {SEED}

        [generation]
        max-examples = {MAX_EXAMPLES}
        database = "none"
        deterministic = true

        [checks]
        positive_data_acceptance.enabled = false

        [phases.stateful]
        max-steps = {STATEFUL_STEPS}

        [auth.dynamic.openapi.bearer]
        path = "/api/v1/auth/login"
        payload = {{ username = "{username}", password = "{PASSWORD}" }}
        extract_selector = "/access_token"
        retry_on = [401]
    """))
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json", config=config)
    failures: dict[tuple, str] = {}
    cases = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (event.recorder.label, failure.code, failure.title)
                    failures.setdefault(key, f"{event.recorder.label}: {failure.code} "
                                             f"{failure.title}\n{failure.message}\n"
                                             f"{check.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            info = getattr(event, "info", None)
            failures.setdefault(("error", str(info or event.exception)),
                                f"error: {info.format() if info else event.exception!r}")
    return list(failures.values()), cases


@pytest.mark.parametrize("role", ROLES)
async def test_fuzzer_finds_no_failure(fuzz_server, role):
    username = await username_for(fuzz_server, role)
    failures, cases = await asyncio.to_thread(fuzz, fuzz_server, username)
    assert cases > 0
    assert not failures, f"{len(failures)} failures as {role}:\n\n" + "\n\n".join(failures)


async def test_openapi_json_is_public_and_docs_are_off_by_default(server):
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        document = await client.get("/openapi.json")
        assert document.status_code == 200
        assert "/api/v1/alarms" in document.json()["paths"]
        for page in ("/docs", "/redoc"):
            response = await client.get(page)
            assert response.status_code == 404, page
            assert response.json()["error"] == "not_found"


async def test_docs_are_served_when_configured_on(database_url, tmp_path):
    live = LiveServer(server_settings(database_url, tmp_path, api_docs=True))
    await live.start()
    try:
        async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
            for page in ("/docs", "/redoc"):
                response = await client.get(page)
                assert response.status_code == 200, page
                assert "/openapi.json" in response.text
    finally:
        await live.stop()
