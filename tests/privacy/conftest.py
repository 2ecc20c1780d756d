"""The shared fixtures with a patient HTTP client: making an organisation hashes fourteen
passwords at once, which on a busy machine outlasts the shared client's ten seconds."""

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers import Org, make_org

TIMEOUT = 60


@pytest.fixture
async def api(server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.api_url, timeout=TIMEOUT) as client:
        yield client


@pytest.fixture
async def fresh_org(api: httpx.AsyncClient, admin_token: str) -> Org:
    return await make_org(api, admin_token)
