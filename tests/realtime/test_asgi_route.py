"""The WebSocket contract again, served through the ASGI route (`app.realtime.router`), as it
is under a server other than `trygg serve` (here uvicorn's own sans-I/O WebSocket protocol)."""

from collections.abc import AsyncIterator

import pytest

from tests.conftest import LiveServer, create_admin_token, server_settings
from tests.realtime.test_ws import *  # noqa: F403 - the same tests, on this module's server


@pytest.fixture(scope="module")
async def server(database_url, tmp_path_factory) -> AsyncIterator[LiveServer]:
    live = LiveServer(server_settings(database_url, tmp_path_factory.mktemp("data"),
                                      heartbeat_interval_s=2), ws="websockets-sansio")
    await live.start()
    assert live.server.config.ws_protocol_class.__module__.startswith("uvicorn.")
    yield live
    await live.stop()


@pytest.fixture(scope="module")
async def admin_token(server: LiveServer) -> str:
    return await create_admin_token(server)
