"""Browser tests: Debian's Chromium driven by Playwright's sync API against live_server.

They use the same world as every other test (alice, alice_therapy, ...; tests/conftest.py),
on a clock that starts at NOW and keeps ticking, so every run shows the same dates. The
plain helpers (sign_in, axe_check, save_screenshot, PHONE, ...) are in helpers.py.

`page` comes from a fresh browser context per test (own cookies, own storage) sized
by the `viewport` fixture, which a test overrides by parametrizing `viewport`. The
context's base_url is the live server, so `page.goto("/medicines/")` works.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from tests.browser.helpers import DESKTOP, ConsoleLog, new_context

ALLOW_ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

# Debian's Chromium: `playwright install` cannot download a browser on this machine.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(autouse=True)
def clock(browser_clock: time_machine.Traveller) -> time_machine.Traveller:
    """Every browser test, and the world it builds, runs on the ticking clock from NOW.

    The live server and Chromium need time to pass, so the frozen `clock` of the other
    tests is replaced here; alice_therapy and the rest ask for `clock` and get this one.
    """
    return browser_clock


# Package scope: one Chromium for every browser test (they all live in this package),
# and it is gone before the rest of the suite runs. While Playwright's sync API is
# started it keeps an asyncio event loop running in this thread, which would break
# async_to_sync in any later test.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    # With that loop running, Django believes it is inside async code and its ORM raises
    # SynchronousOnlyOperation. These tests are synchronous, so the guard is switched off
    # here, for as long as Playwright runs, and put back afterwards.
    previous = os.environ.get(ALLOW_ASYNC_UNSAFE)
    os.environ[ALLOW_ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as driver:
            yield driver
    finally:
        if previous is None:
            del os.environ[ALLOW_ASYNC_UNSAFE]
        else:
            os.environ[ALLOW_ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def viewport() -> ViewportSize:
    """The window size; parametrize `viewport` with PHONE or DESKTOP to change it."""
    return DESKTOP


@pytest.fixture
def context(
    browser: Browser, viewport: ViewportSize, live_server: LiveServer
) -> Iterator[BrowserContext]:
    browser_context = new_context(browser, live_server, viewport)
    yield browser_context
    browser_context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    tab = context.new_page()
    yield tab
    tab.close()


@pytest.fixture
def console(page: Page) -> ConsoleLog:
    """Records the page's console from here on; request it before navigating."""
    log = ConsoleLog()

    def on_console(message: ConsoleMessage) -> None:
        log.messages.append(f"{message.type}: {message.text}")

    def on_page_error(error: Error) -> None:
        log.page_errors.append(f"pageerror: {error.message}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    return log
