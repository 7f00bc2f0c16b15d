"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CARELOOP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def chromium() -> Iterator[object]:
    """Chromium for this package only: Playwright's event loop must not outlive the browser tests."""
    required = os.environ.get("CARELOOP_REQUIRE_BROWSER") == "1"
    if not CHROMIUM.exists():
        if required:
            pytest.fail(f"CARELOOP_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed (pip install playwright)")
    # Playwright's sync API keeps an event loop running in this thread; Django would otherwise refuse
    # the database work the fixtures do next to it. Only while the browser runs: `check --deploy`
    # (tests/accounts) rightly refuses this variable.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page_for(chromium, live_server, transactional_db, password):
    """A function that opens a fresh browser context and signs ``user`` in; pages are closed afterwards."""
    contexts = []
    console_errors: list[str] = []

    def _page(user, locale: str = "zh-CN"):
        context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        # A Content-Security-Policy violation (inline script or style) shows up as a console error.
        page.on("console", lambda msg: console_errors.append(f"{msg.text} @ {msg.location.get('url', '')}")
                if msg.type == "error" else None)
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield _page
    for context in contexts:
        context.close()
    # The forced reveal in the expert's test is refused on purpose (403) and browsers ask for a
    # favicon nobody ships; anything else (a CSP violation, a failed script) is a fault.
    unexpected = [e for e in console_errors if "403 (Forbidden)" not in e and not e.endswith("/favicon.ico")]
    assert unexpected == [], unexpected


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the browser tests use a test database in a file, not in memory: the live server answers the
    page and its HTMX fragments from several threads at once, and an in-memory database shares one connection
    between them (savepoints of one request then vanish under another)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("browser-db") / "test.sqlite3")
