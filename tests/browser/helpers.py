"""What a browser test does: open a context, sign in, check axe, watch the console, save
a screenshot. The fixtures (browser, context, page, console, the clock) are in conftest.py.

Use in a test module::

    from tests.browser.helpers import DESKTOP, PHONE, axe_check, sign_in

    @pytest.mark.browser
    @pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
    def test_dashboard(page: Page, live_server: LiveServer, alice: User) -> None:
        sign_in(page, live_server, alice)
        axe_check(page)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# axe-playwright-python ships no type information (no py.typed, no stubs).
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Frame, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from portal.models import User
from tests.world import NOW, PASSWORD

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


def new_context(
    browser: Browser, live_server: LiveServer, viewport: ViewportSize, **options: Any
) -> BrowserContext:
    """A fresh context (own cookies, own storage) whose base_url is the live server.

    Its page clock says NOW, like the server's: Date.now() stands still at NOW while
    timers (htmx's swap and settle delays) keep running.
    """
    options.setdefault("timezone_id", "UTC")
    context = browser.new_context(
        viewport=viewport,
        base_url=live_server.url,
        locale="en-US",
        reduced_motion="reduce",
        **options,
    )
    context.set_default_timeout(10_000)
    context.clock.set_fixed_time(NOW)
    return context


@dataclass
class ConsoleLog:
    """What the page said on its console, and the errors it threw."""

    messages: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [text for text in self.messages if "Content Security Policy" in text]

    def errors(self) -> list[str]:
        return [text for text in self.messages if text.startswith("error:")] + self.page_errors


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


def page_width(page: Page) -> int:
    """How wide the page is laid out; wider than the viewport means sideways scrolling."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def count_page_loads(page: Page) -> list[str]:
    """URLs the top frame navigates to from now on; htmx swaps never add one."""
    loads: list[str] = []

    def on_navigated(frame: Frame) -> None:
        if frame == page.main_frame:
            loads.append(frame.url)

    page.on("framenavigated", on_navigated)
    return loads
