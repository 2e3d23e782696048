"""The side-effect check after a dose, on a phone: urgent advice first, focus on it, CSP kept."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, Response, expect
from pytest_django.live_server_helper import LiveServer

from monographs.models import SideEffect
from portal.models import User
from tests.browser.helpers import (
    PHONE,
    ConsoleLog,
    axe_check,
    count_page_loads,
    page_width,
    save_screenshot,
    sign_in,
)
from tracking.models import DoseLog, SideEffectReport, Therapy

pytestmark = pytest.mark.browser

LOG_BUTTON = re.compile(r"^Log the 8:00 AM dose now")
PROMPT_HEADING = "Since your last dose, have you had any of these?"


def failed_responses(page: Page) -> list[str]:
    """Every URL answered with 4xx or 5xx from now on."""
    failed: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 400:
            failed.append(response.url)

    page.on("response", on_response)
    return failed


def assert_console_clean(console: ConsoleLog, failed: list[str]) -> None:
    """No CSP violation, no script error, no failed request but the missing favicon.

    The portal has no favicon, so Chromium's own request for /favicon.ico gets a 404 and
    logs "Failed to load resource"; any other failed load is listed in `failed` by URL.
    """
    assert console.csp_violations() == []
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
    assert [text for text in console.errors() if "Failed to load resource" not in text] == []


def log_todays_dose(page: Page, live_server: LiveServer, user: User) -> Locator:
    """Sign in, tap the one-tap button, and return the side-effect prompt it brings."""
    sign_in(page, live_server, user)
    page.locator("#today-card").get_by_role("button", name=LOG_BUTTON).click()
    prompt = page.get_by_role("region", name=PROMPT_HEADING)
    expect(prompt).to_be_visible()
    return prompt


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_emergency_answer_puts_a_focused_alert_first_in_main(
    page: Page, console: ConsoleLog, live_server: LiveServer, alice: User, alice_therapy: Therapy
) -> None:
    failed = failed_responses(page)
    prompt = log_todays_dose(page, live_server, alice)
    # The emergency tier is asked first, in a group of its own.
    emergency_group = prompt.get_by_role("group", name="Get emergency help now")
    expect(emergency_group).to_be_visible()
    assert (
        prompt.locator("fieldset legend").first.text_content() or ""
    ).strip() == "Get emergency help now"
    page.evaluate("window.__marker = 1")
    loads = count_page_loads(page)

    emergency_group.get_by_label("Trouble breathing").check()
    prompt.get_by_role("button", name="Send to my care team").click()

    main = page.locator("main")
    alert = main.get_by_role("alert")
    expect(alert).to_have_count(1)
    expect(alert.get_by_role("heading", level=2)).to_have_text("Get emergency help now")
    expect(alert).to_be_focused()
    top = page.evaluate(
        """() => {
            const main = document.querySelector("main");
            const alert = main.querySelector('[role="alert"]');
            return {
                alertIsFirstChild: main.firstElementChild === alert,
                alertIsFocused: document.activeElement === alert,
                alertAboveHeading: alert.getBoundingClientRect().bottom
                    <= main.querySelector("h1").getBoundingClientRect().top,
            };
        }"""
    )
    assert top == {"alertIsFirstChild": True, "alertIsFocused": True, "alertAboveHeading": True}
    expect(alert.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    expect(alert).to_be_in_viewport()
    # The checklist became a short note; nothing was reloaded.
    expect(page.get_by_role("region", name=PROMPT_HEADING)).to_have_count(0)
    expect(page.get_by_role("region", name="Side-effect check")).to_contain_text(
        "What to do now is at the top of the page."
    )
    expect(page.get_by_role("checkbox")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1
    assert loads == []

    report = SideEffectReport.objects.get(patient__care__account=alice)
    assert report.dose == DoseLog.objects.get(patient__care__account=alice)
    assert report.urgency == SideEffect.Urgency.EMERGENCY
    assert report.needs_review is True
    assert [item.side_effect.name for item in report.items.all()] == ["Trouble breathing"]

    assert page_width(page) <= PHONE["width"]
    axe_check(page)
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, "side-effect-alert-360.png")
    assert_console_clean(console, failed)


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_none_of_these_shows_thanks_in_place(
    page: Page, console: ConsoleLog, live_server: LiveServer, alice: User, alice_therapy: Therapy
) -> None:
    failed = failed_responses(page)
    prompt = log_todays_dose(page, live_server, alice)
    page.evaluate("window.__marker = 1")
    loads = count_page_loads(page)

    prompt.get_by_role("button", name="None of these").click()

    answer = page.get_by_role("region", name="Side-effect check")
    thanks = answer.get_by_role("status")
    expect(thanks.get_by_role("heading", level=2)).to_have_text("Thank you")
    expect(thanks).to_contain_text("No side effects noted.")
    expect(thanks).to_be_focused()
    # In place: inside today's card, where the checklist was, and no alert anywhere.
    expect(
        page.locator("#today-card").get_by_role("region", name="Side-effect check")
    ).to_be_visible()
    expect(page.get_by_role("region", name=PROMPT_HEADING)).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.evaluate("document.querySelector('main').firstElementChild.tagName") == "H1"
    assert page.evaluate("window.__marker") == 1
    assert loads == []

    report = SideEffectReport.objects.get(patient__care__account=alice)
    assert report.none_reported is True
    assert report.needs_review is False
    assert report.dose == DoseLog.objects.get(patient__care__account=alice)

    # Answered once is answered: the dashboard does not ask again.
    page.goto(reverse("tracking:dashboard"))
    expect(page.locator("#today-card .badge--taken")).to_have_count(1)
    expect(page.get_by_role("region", name=PROMPT_HEADING)).to_have_count(0)
    axe_check(page)
    assert_console_clean(console, failed)
