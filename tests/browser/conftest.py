"""Browser tests: Debian's Chromium driven by Playwright's sync API against live_server.

Use in a test module::

    from tests.browser.conftest import DESKTOP, PHONE, axe_check, sign_in

    @pytest.mark.browser
    @pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
    def test_dashboard(page: Page, live_server: LiveServer, alice: User) -> None:
        sign_in(page, live_server, alice)
        axe_check(page)

`page` comes from a fresh browser context per test (own cookies, own storage) sized
by the `viewport` fixture, which a test overrides by parametrizing `viewport`. The
context's base_url is the live server, so `page.goto("/medicines/")` works.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from monographs.models import Medicine
from portal.models import User
from tests.conftest import PASSWORD
from tracking.models import Therapy

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

PHONE: ViewportSize = {"width": 360, "height": 800}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

# Django's labels end with a colon; match the words, not the punctuation.
EMAIL_LABEL = re.compile(r"^Email address:?$")
PASSWORD_LABEL = re.compile(r"^Password:?$")

ROOT = Path(__file__).resolve().parents[2]
# Ignored by git; `make screenshots` points this at docs/screenshots/ for the README.
SCREENSHOTS = ROOT / os.environ.get("SCREENSHOTS_DIR", "test-results/screenshots")

# WCAG 2.0/2.1/2.2 A and AA plus axe's best practices: what "axe finds no violations" means.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
}


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
    browser_context = browser.new_context(
        viewport=viewport,
        base_url=live_server.url,
        locale="en-US",
        timezone_id="UTC",
        reduced_motion="reduce",
    )
    browser_context.set_default_timeout(10_000)
    yield browser_context
    browser_context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    tab = context.new_page()
    yield tab
    tab.close()


@dataclass
class ConsoleLog:
    """What the page said on its console, and the errors it threw."""

    messages: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [text for text in self.messages if "Content Security Policy" in text]

    def errors(self) -> list[str]:
        return [text for text in self.messages if text.startswith("error:")] + self.page_errors


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


def sign_in(page: Page, live_server: LiveServer, user: User, password: str = PASSWORD) -> None:
    """Sign in through the real login form and wait until the portal shows it worked."""
    page.goto(live_server.url + reverse("login"))
    page.get_by_label(EMAIL_LABEL).fill(user.email)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def axe_check(page: Page, context: str | None = None) -> None:
    """Fail with a readable report if axe-core finds any accessibility violation.

    `context` is an optional CSS selector to scan only part of the page.
    """
    results = Axe().run(page, context=context, options=AXE_OPTIONS)
    if results.violations_count:
        pytest.fail(
            f"axe-core found violations on {page.url}:\n{results.generate_report()}",
            pytrace=False,
        )


def save_screenshot(page: Page, name: str) -> Path:
    """A full-page PNG in SCREENSHOTS (docs/screenshots/ under `make screenshots`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    return path


@pytest.fixture
def alice_therapy(alice: User, anakinra: Medicine) -> Therapy:
    """Alice on anakinra for RA, 100 mg once a day since about 40 days ago, in New York."""
    return Therapy.objects.create(
        patient=alice,
        medicine=anakinra,
        regimen=anakinra.regimens.get(indication__startswith="Rheumatoid arthritis"),
        prescribed_dose=Decimal("100"),
        start_date=datetime.date.today() - datetime.timedelta(days=40),
        time_zone="America/New_York",
    )
