"""The dashboard's one-tap dose on a phone: htmx swaps the card in place, focus follows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from portal.models import User
from tests.browser.helpers import (
    PHONE,
    axe_check,
    count_page_loads,
    new_context,
    page_width,
    save_screenshot,
    sign_in,
)
from tracking.models import DoseLog, Therapy

pytestmark = pytest.mark.browser

LOG_BUTTON = re.compile(r"^Log the 8:00 AM dose now")
PROMPT_HEADING = "Since your last dose, have you had any of these?"


@pytest.fixture
def no_script_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A phone with JavaScript switched off: htmx never loads, forms post the plain way."""
    context = new_context(browser, live_server, PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()


def quick_log_posts(page: Page) -> tuple[list[Request], list[Request]]:
    """POSTs to the one-tap URL: those sent, and those that got an answer."""
    sent: list[Request] = []
    answered: list[Request] = []
    path = reverse("tracking:dose-quick")

    def on_request(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(path):
            sent.append(request)

    def on_request_finished(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(path):
            answered.append(request)

    page.on("request", on_request)
    page.on("requestfinished", on_request_finished)
    return sent, answered


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_one_tap_logs_the_dose_in_place_and_moves_focus_to_the_confirmation(
    page: Page, live_server: LiveServer, alice: User, alice_therapy: Therapy
) -> None:
    sign_in(page, live_server, alice)
    expect(page).to_have_url(f"{live_server.url}{reverse('tracking:dashboard')}")
    card = page.locator("#today-card")
    expect(card.get_by_text("Taken", exact=True)).to_have_count(0)
    button = card.get_by_role("button", name=LOG_BUTTON)
    expect(button).to_contain_text("100 mg")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    page.evaluate("window.__marker = 1")
    loads = count_page_loads(page)
    sent, _ = quick_log_posts(page)

    button.click()

    confirmation = card.get_by_role("status")
    expect(confirmation).to_have_text("The dose is logged. Thank you.")
    expect(confirmation).to_be_focused()
    focused = page.evaluate(
        """() => {
            const el = document.activeElement;
            return {
                role: el.getAttribute("role"),
                asksForFocus: el.hasAttribute("data-focus-on-swap"),
                inCard: el.closest("#today-card") !== null,
            };
        }"""
    )
    assert focused == {"role": "status", "asksForFocus": True, "inCard": True}
    expect(card.locator(".badge--taken")).to_have_text("Taken")
    expect(card.get_by_role("button", name=LOG_BUTTON)).to_have_count(0)
    prompt = page.get_by_role("region", name=PROMPT_HEADING)
    expect(prompt).to_be_visible()
    expect(prompt.get_by_role("button", name="None of these")).to_be_visible()
    expect(prompt.get_by_role("checkbox", name="Trouble breathing")).not_to_be_checked()

    # The card was swapped by htmx: same document, no page load, one request that said so.
    assert page.evaluate("window.__marker") == 1
    assert loads == []
    assert len(sent) == 1
    assert sent[0].headers.get("hx-request") == "true"
    doses = list(DoseLog.objects.filter(patient=alice_therapy.patient))
    assert len(doses) == 1
    assert doses[0].is_taken
    assert doses[0].dose_mg == Decimal("100")
    assert doses[0].local_date == alice_therapy.patient.today()

    # One #today-card, and only the rest of the page around it kept as it was.
    expect(page.locator("#today-card")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Alice")
    assert page_width(page) <= PHONE["width"]
    axe_check(page)
    save_screenshot(page, "dashboard-360.png")


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_double_tap_logs_one_dose(
    page: Page, live_server: LiveServer, alice: User, alice_therapy: Therapy
) -> None:
    sign_in(page, live_server, alice)
    sent, answered = quick_log_posts(page)

    page.locator("#today-card").get_by_role("button", name=LOG_BUTTON).dblclick(delay=10)

    expect(page.locator("#today-card .badge--taken")).to_have_count(1)
    # Wait until every POST the double tap sent has its answer before counting rows.
    for _ in range(40):
        if sent and len(answered) == len(sent):
            break
        page.wait_for_timeout(50)
    assert sent and len(answered) == len(sent)
    assert DoseLog.objects.filter(patient=alice_therapy.patient).count() == 1
    expect(page.locator("#today-card").get_by_text("Taken at")).to_have_count(1)


def test_one_tap_without_javascript_posts_the_form_and_redirects(
    no_script_page: Page, live_server: LiveServer, alice: User, alice_therapy: Therapy
) -> None:
    page = no_script_page
    sign_in(page, live_server, alice)
    assert page.evaluate("typeof htmx") == "undefined"
    dashboard = f"{live_server.url}{alice_therapy.patient.get_absolute_url()}"

    with page.expect_response(lambda r: r.url.endswith(reverse("tracking:dose-quick"))) as post:
        page.locator("#today-card").get_by_role("button", name=LOG_BUTTON).click()

    response = post.value
    assert response.request.method == "POST"
    assert response.request.headers.get("hx-request") is None
    assert response.status == 302
    assert response.headers["location"] == alice_therapy.patient.get_absolute_url()
    expect(page).to_have_url(dashboard)
    expect(page.locator(".messages")).to_contain_text(re.compile(r"Dose logged: 100 mg at .+"))
    card = page.locator("#today-card")
    expect(card.locator(".badge--taken")).to_have_text("Taken")
    expect(card.get_by_role("button", name=LOG_BUTTON)).to_have_count(0)
    expect(page.get_by_role("region", name=PROMPT_HEADING)).to_be_visible()
    assert DoseLog.objects.filter(patient=alice_therapy.patient).count() == 1
