"""The pages themselves: served in both languages, with a strict Content-Security-Policy."""

import re
from pathlib import Path

import httpx
import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
PAGES = ["/", "/m/", "/console/", "/console/login", "/console/alarms", "/console/stats",
         "/console/readiness", "/console/admin", "/console/register",
         "/console/alarms/6f1e2d3c-0000-4000-8000-000000000000"]


@pytest.fixture
async def web(server):
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_served_with_a_strict_csp(web, path):
    response = await web.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="nb">' in response.text


def test_templates_have_no_inline_script_or_handlers():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template, tag)
        assert not re.search(r"\son[a-z]+=", text), template
        assert "style=" not in text, template


async def test_english_is_an_option_and_is_remembered(web):
    english = await web.get("/m/?lang=en")
    assert '<html lang="en">' in english.text and "Need assistance" in english.text
    assert "httponly" in english.headers["set-cookie"].lower()
    again = await web.get("/console/login")
    assert '<html lang="en">' in again.text and "Log in" in again.text
    back = await web.get("/console/login?lang=nb")
    assert "Logg inn" in back.text


def test_every_text_has_both_languages():
    from app.web import i18n

    for key, pair in i18n.TEXTS.items():
        assert len(pair) == 2 and all(pair), key


async def test_installable_phone_app(web):
    manifest = (await web.get("/m/manifest.webmanifest")).json()
    assert manifest["start_url"] == "/m/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert (await web.get(icon["src"])).status_code == 200
    worker = await web.get("/m/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
