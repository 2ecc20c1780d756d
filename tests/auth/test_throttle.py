"""Someone guessing passwords: per account, per client address, across server processes, and
never at the cost of an alarm."""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from app.auth.security import HasherBusy, PasswordHashing
from tests.conftest import LiveServer, create_admin_token, server_settings
from tests.helpers import PASSWORD, create_person, raise_alarm
from tests.process import ServerProcess

ACCOUNT_LIMIT = 3
ADDRESS_LIMIT = 6


@pytest.fixture(scope="module")
async def guarded(new_database, tmp_path_factory) -> AsyncIterator[LiveServer]:
    """A server of its own (guessing here must not lock the shared one out), behind a
    trusted proxy on 127.0.0.1, so each test picks its client address with X-Forwarded-For."""
    live = LiveServer(server_settings(
        await new_database(), tmp_path_factory.mktemp("throttle"),
        login_max_failures_per_account=ACCOUNT_LIMIT,
        login_max_failures_per_address=ADDRESS_LIMIT))
    await live.start()
    yield live
    await live.stop()


@pytest.fixture
async def gapi(guarded) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=guarded.api_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def gadmin(guarded) -> str:
    return await create_admin_token(guarded)


def new_address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


async def login(api, username, password, address):
    return await api.post("/auth/login", json={"username": username, "password": password},
                          headers={"X-Forwarded-For": address})


async def person(api, admin, office_id=None, roles=("admin",)):
    return await create_person(api, admin, roles=list(roles), office_id=office_id,
                               name="Gunn Guarded")


async def test_guessing_one_account_gets_429_with_retry_after_even_for_the_right_password(
        gapi, gadmin):
    victim = await person(gapi, gadmin)
    for _ in range(ACCOUNT_LIMIT):
        # Each guess from another address: the account's own limit is what stops them.
        assert (await login(gapi, victim.username, "wrong-guess-000", new_address())).status_code == 401
    for password in ("wrong-guess-001", PASSWORD):
        refused = await login(gapi, victim.username, password, new_address())
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_attempts"
        assert isinstance(refused.json()["detail"], str)
        assert 0 < int(refused.headers["retry-after"]) <= 900
    # Tokens already issued keep working.
    assert (await gapi.get("/me", headers=victim.headers)).status_code == 200


async def test_a_refused_attempt_costs_no_argon2_work(guarded, gapi, gadmin):
    victim = await person(gapi, gadmin)
    for _ in range(ACCOUNT_LIMIT):
        await login(gapi, victim.username, "wrong-guess-000", new_address())
    hashing = guarded.app.state.password_hashing
    runs = hashing.runs
    for _ in range(20):
        assert (await login(gapi, victim.username, "wrong-guess-1", new_address())).status_code == 429
    assert hashing.runs == runs


async def test_guessing_from_one_address_is_refused_for_every_account(gapi, gadmin):
    address = new_address()
    for i in range(ADDRESS_LIMIT):
        response = await login(gapi, f"nobody-{uuid.uuid4().hex[:6]}-{i}", "wrong-guess-000", address)
        assert response.status_code == 401
    someone = await person(gapi, gadmin)
    assert (await login(gapi, someone.username, PASSWORD, address)).status_code == 429
    assert (await login(gapi, someone.username, PASSWORD, new_address())).status_code == 200


async def test_a_successful_login_clears_the_accounts_failures(gapi, gadmin):
    user = await person(gapi, gadmin)
    for _ in range(ACCOUNT_LIMIT - 1):
        await login(gapi, user.username, "typo-in-password", new_address())
    assert (await login(gapi, user.username, PASSWORD, new_address())).status_code == 200
    for _ in range(ACCOUNT_LIMIT - 1):
        assert (await login(gapi, user.username, "typo-in-password", new_address())).status_code == 401
    assert (await login(gapi, user.username, PASSWORD, new_address())).status_code == 200


async def test_a_raise_with_a_valid_token_is_never_throttled_during_a_login_flood(gapi, gadmin):
    office = (await gapi.post("/offices", json={"name": f"Flom {uuid.uuid4().hex[:6]}"},
                              headers={"Authorization": f"Bearer {gadmin}"})).json()
    staff = await create_person(gapi, gadmin, roles=["staff"], office_id=office["id"],
                                name="Frida Flood")
    address = new_address()

    async def guess(i: int) -> int:
        return (await login(gapi, staff.username, f"flood-guess-{i:06d}", address)).status_code

    flood = [asyncio.create_task(guess(i)) for i in range(60)]
    raised = await raise_alarm(gapi, staff, level="yellow", mode="test")
    statuses = await asyncio.gather(*flood)
    assert raised.status_code == 201, raised.text
    assert 429 in statuses and set(statuses) <= {401, 429}
    again = await raise_alarm(gapi, staff, level="red", mode="test")
    assert again.status_code == 201, again.text
    # The one address is still refused, and the account too, whatever address asks.
    assert (await login(gapi, staff.username, PASSWORD, address)).status_code == 429
    assert (await login(gapi, staff.username, PASSWORD, new_address())).status_code == 429


async def test_forwarded_for_from_an_untrusted_peer_is_not_believed(new_database, tmp_path):
    """Clients reach this server directly (no proxy is trusted): a made-up X-Forwarded-For per
    guess does not give a guesser a fresh address."""
    live = LiveServer(server_settings(await new_database(), tmp_path,
                                      login_max_failures_per_address=ADDRESS_LIMIT,
                                      forwarded_allow_ips="192.0.2.1"))
    await live.start()
    try:
        async with httpx.AsyncClient(base_url=live.api_url, timeout=30) as api:
            for i in range(ADDRESS_LIMIT):
                response = await login(api, f"nobody-{i}", "wrong-guess-000", new_address())
                assert response.status_code == 401
            response = await login(api, "nobody-else", "wrong-guess-000", new_address())
            assert response.status_code == 429
    finally:
        await live.stop()


async def test_failures_count_across_server_processes(new_database, tmp_path):
    url = await new_database()
    env = {"TRYGG_LOGIN_MAX_FAILURES_PER_ACCOUNT": str(ACCOUNT_LIMIT)}
    first = ServerProcess(url, tmp_path, "process-secret-" + "y" * 32, **env)
    second = ServerProcess(url, tmp_path, "process-secret-" + "y" * 32, **env)
    await asyncio.to_thread(first.cli, "user", "create", "shared-victim", "--password", PASSWORD,
                            "--role", "admin")
    await first.start()
    await second.start()
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            async def attempt(server: ServerProcess, password: str) -> int:
                return (await client.post(f"{server.api_url}/auth/login", json={
                    "username": "shared-victim", "password": password})).status_code

            assert [await attempt(first, "wrong-guess-1"), await attempt(second, "wrong-guess-2"),
                    await attempt(first, "wrong-guess-3")] == [401] * ACCOUNT_LIMIT
            assert await attempt(second, PASSWORD) == 429
            assert await attempt(first, PASSWORD) == 429
    finally:
        first.kill()
        second.kill()


async def test_argon2_queue_is_bounded():
    """More callers than threads plus queue are refused at once instead of piling up."""
    hashing = PasswordHashing(workers=1, queue=1)
    try:
        results = await asyncio.gather(*(hashing.verify(None, "x") for _ in range(3)),
                                       return_exceptions=True)
    finally:
        hashing.close()
    assert [isinstance(r, HasherBusy) for r in results] == [False, False, True]
    assert hashing.runs == 2
