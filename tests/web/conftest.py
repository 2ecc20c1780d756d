"""A real Chromium (Debian's `chromium`) driven by Playwright, on the test session's event loop."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

CHROMIUM = os.environ.get("TRYGG_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FOUND = Path(CHROMIUM).exists()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "nb-NO", "timezone_id": "Europe/Oslo"}
DESKTOP = {"viewport": {"width": 1280, "height": 860}, "locale": "nb-NO",
           "timezone_id": "Europe/Oslo"}


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        skip_or_fail("browser tests need Playwright's Python package (pip install playwright)")
    if not CHROMIUM_FOUND:
        skip_or_fail(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def new_context(browser) -> AsyncIterator:
    """Open isolated browser contexts (own storage, own service workers); closed at test end."""
    contexts = []

    async def _new(kind: dict = DESKTOP, **options):
        context = await browser.new_context(**kind, accept_downloads=True, **options)
        context.set_default_timeout(15_000)
        # Script errors and console output show in the report of a failing test.
        context.on("page", lambda page: (
            page.on("pageerror", lambda err: print(f"[page error] {page.url}: {err}")),
            page.on("console", lambda msg: print(f"[console] {page.url}: {msg.text}")),
        ))
        contexts.append(context)
        return context

    yield _new
    for context in contexts:
        await context.close()


def screenshot_path(name: str, database: str) -> Path | None:
    """Where to keep a screenshot for the docs. Only with TRYGG_TEST_SCREENSHOTS=1 (so a test
    run leaves the tree clean), and from the SQLite run only."""
    if os.environ.get("TRYGG_TEST_SCREENSHOTS") != "1" or database != "sqlite":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"web-{name}.png"


@pytest.fixture
def shot(request):
    """`await shot(page, "name")` keeps a screenshot for the docs (SQLite run only)."""
    database = request.node.callspec.params.get("new_database", "sqlite")

    async def _shot(page, name: str, full_page: bool = False) -> None:
        path = screenshot_path(name, database)
        if path is not None:
            await page.screenshot(path=str(path), full_page=full_page)

    return _shot
