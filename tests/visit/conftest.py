"""A server of the visit tests' own: a fresh database (so its timer is the only one on it) and
a grace of 2 s, the test-only TRYGG_VISIT_GRACE_OVERRIDE_S (offices cannot go below 30 s)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import LiveServer, create_admin_token, server_settings
from tests.helpers import Org, WsClient, make_org

GRACE_S = 2


def at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


@pytest.fixture(scope="session")
async def timer_server(new_database, tmp_path_factory) -> AsyncIterator[LiveServer]:
    url = await new_database()
    live = LiveServer(server_settings(url, tmp_path_factory.mktemp("visits"), environment="test",
                                      visit_grace_override_s=GRACE_S, visit_timer_poll_s=0.2,
                                      heartbeat_interval_s=2))
    await live.start()
    yield live
    await live.stop()


@pytest.fixture(scope="module")
async def timer_org(timer_server) -> Org:
    token = await create_admin_token(timer_server)
    # Seven logins hash seven passwords at once: slow on a busy machine.
    async with httpx.AsyncClient(base_url=timer_server.api_url, timeout=60) as client:
        return await make_org(client, token)


@pytest.fixture
async def tapi(timer_server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=timer_server.api_url, timeout=60) as client:
        yield client


@pytest.fixture
async def tconnect(timer_server) -> AsyncIterator:
    clients: list[WsClient] = []

    async def _connect(token: str) -> WsClient:
        client = await WsClient.connect(timer_server.ws_url, token)
        clients.append(client)
        await client.wait_hello()
        return client

    yield _connect
    for client in clients:
        await client.close()


async def visit_frame(client: WsClient, visit_id: str, event_type: str,
                      timeout: float = 15) -> dict:
    """The next frame of `event_type` about visit `visit_id`."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await client.event(event_type, timeout=timeout)
            if (frame.get("visit") or {}).get("id") == visit_id or \
                    (frame.get("alarm") or {}).get("visit_id") == visit_id:
                return frame
