"""Security headers on every response: pages, API answers, static files, errors and 404s."""

import httpx
import pytest

from tests.conftest import LiveServer, server_settings

API = ["/api/v1/health", "/api/v1/me", "/api/v1/no-such-thing", "/api/v1/alarms?limit=x"]
OTHER = ["/", "/m/", "/console/", "/console/nope", "/static/web/app.css", "/static/web/nope.js",
         "/no-such-page", "/openapi.json"]


@pytest.fixture
async def web(server):
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        yield client


def assert_common(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "strict-transport-security" not in headers  # the test server's URL is http


@pytest.mark.parametrize("path", API)
async def test_api_answers_are_never_stored_and_carry_the_headers(web, path):
    response = await web.get(path)
    assert_common(response)
    assert response.headers["cache-control"] == "no-store"


async def test_api_errors_and_writes_carry_the_headers(web):
    for response in (await web.post("/api/v1/auth/login", content=b"{"),
                     await web.post("/api/v1/auth/login", json={"username": "x", "password": "y"}),
                     await web.post("/api/v1/users", content=b"x" * 70_000)):
        assert response.status_code in (401, 413, 422)
        assert_common(response)
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", OTHER)
async def test_pages_static_files_and_404s_carry_the_headers(web, path):
    response = await web.get(path)
    assert_common(response)
    assert response.headers.get("cache-control") != "no-store" or path == "/openapi.json"


async def test_the_csp_names_the_configured_url_never_the_host_header(web):
    response = await web.get("/m/", headers={"Host": "evil.example:666"})
    csp = response.headers["content-security-policy"]
    assert "evil.example" not in csp
    assert "ws://127.0.0.1:8000" in csp  # TRYGG_PUBLIC_URL's default


async def test_https_public_url_adds_hsts_and_wss(database_url, tmp_path):
    live = LiveServer(server_settings(database_url, tmp_path,
                                      public_url="https://trygg.example.no"))
    await live.start()
    try:
        async with httpx.AsyncClient(base_url=live.base_url, timeout=10) as client:
            for path in ("/", "/api/v1/health", "/nope"):
                response = await client.get(path, headers={"Host": "evil.example"})
                assert response.headers["strict-transport-security"].startswith("max-age=")
                csp = response.headers["content-security-policy"]
                assert "wss://trygg.example.no" in csp and "evil.example" not in csp
    finally:
        await live.stop()
