"""The anakinra monograph and the sign-in page in a real browser: layout, a11y, CSP."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from monographs.models import Medicine
from portal.models import User
from tests.browser.helpers import (
    DESKTOP,
    EMAIL_LABEL,
    PASSWORD_LABEL,
    PHONE,
    ConsoleLog,
    axe_check,
    page_width,
    save_screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

# The emergency tier's border, as portal.css draws it (--emergency).
EMERGENCY_RED = "rgb(168, 7, 26)"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_monograph_reads_well_and_passes_axe(
    page: Page, viewport: ViewportSize, live_server: LiveServer, anakinra: Medicine
) -> None:
    response = page.goto(anakinra.get_absolute_url())

    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(anakinra.display_name)
    expect(page.get_by_role("heading", level=1)).to_be_in_viewport()
    assert page_width(page) <= viewport["width"]
    # Before anything scrolls or takes focus: this is the picture the README shows.
    save_screenshot(page, f"monograph-{viewport['width']}.png")

    # The emergency tier comes first among the side-effect groups, and looks it.
    groups = page.locator("#side-effects .urgency")
    assert groups.count() >= 2
    emergency = groups.first
    expect(emergency).to_have_class("urgency urgency--1")
    expect(emergency).to_be_visible()
    expect(emergency.get_by_role("heading", level=3)).to_have_text("! Get emergency help now")
    expect(emergency.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    assert emergency.evaluate("el => getComputedStyle(el).borderTopColor") == EMERGENCY_RED
    assert emergency.evaluate("el => parseFloat(getComputedStyle(el).borderTopWidth)") >= 4

    # The dosing table scrolls inside its own focusable region, never the page.
    dosing_region = page.get_by_role("region", name="Doses by condition")
    dosing_region.focus()
    expect(dosing_region).to_be_focused()
    expect(dosing_region).to_be_in_viewport()
    table = dosing_region.get_by_role("table", name="Doses by condition")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() == anakinra.regimens.count()
    last_column = table.get_by_role("columnheader", name="Most per day")
    overflows = dosing_region.evaluate("el => el.scrollWidth > el.clientWidth")
    assert overflows == (viewport["width"] < 600)
    if overflows:  # on a phone, the arrow keys scroll the focused region to the last column
        expect(last_column).not_to_be_in_viewport()
        for _ in range(15):
            page.keyboard.press("ArrowRight")
    expect(last_column).to_be_in_viewport()
    assert page_width(page) <= viewport["width"]

    axe_check(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_contents_links_jump_to_their_sections(
    page: Page, live_server: LiveServer, anakinra: Medicine
) -> None:
    url = f"{live_server.url}{anakinra.get_absolute_url()}"
    page.goto(url)
    links = page.get_by_role("navigation", name="On this page").get_by_role("link")
    hrefs = [links.nth(index).get_attribute("href") for index in range(links.count())]
    assert "#side-effects" in hrefs
    assert "#dosing" in hrefs
    assert "#references" in hrefs

    for href in reversed(hrefs):  # bottom up, so every jump has to move the page
        assert href is not None and href.startswith("#")
        page.get_by_role("navigation", name="On this page").locator(f'a[href="{href}"]').click()
        expect(page).to_have_url(f"{url}{href}")
        section = page.locator(href)
        expect(section.get_by_role("heading", level=2)).to_be_in_viewport()


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_sign_in_page_on_a_phone(page: Page, live_server: LiveServer) -> None:
    page.goto(reverse("login"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label(EMAIL_LABEL)).to_be_focused()  # autofocus
    button = page.get_by_role("button", name="Sign in", exact=True)
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "sign-in-360.png")
    axe_check(page)


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_wrong_password_shows_the_error_and_keeps_the_email(
    page: Page, live_server: LiveServer, alice: User
) -> None:
    page.goto(reverse("login"))
    page.get_by_label(EMAIL_LABEL).fill(alice.email)
    page.get_by_label(PASSWORD_LABEL).fill("not-the-password")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text(
        "That email address and password do not match an account."
    )
    expect(page).to_have_url(f"{live_server.url}{reverse('login')}")
    expect(page.get_by_label(EMAIL_LABEL)).to_have_value(alice.email)
    expect(page.get_by_label(PASSWORD_LABEL)).to_have_value("")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert page_width(page) <= PHONE["width"]
    axe_check(page)


def test_sign_in_helper_signs_in_through_the_form(
    page: Page, live_server: LiveServer, alice: User
) -> None:
    sign_in(page, live_server, alice)

    assert reverse("login") not in page.url
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert "sessionid" in cookies
    page.goto(reverse("login"))  # redirect_authenticated_user: signed in, so sent on
    assert reverse("login") not in page.url


@pytest.mark.parametrize("path_name", ["monograph", "sign-in"])
def test_csp_holds_and_htmx_loads(
    page: Page, console: ConsoleLog, live_server: LiveServer, anakinra: Medicine, path_name: str
) -> None:
    url = anakinra.get_absolute_url() if path_name == "monograph" else reverse("login")
    response = page.goto(url)

    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    assert page.evaluate("typeof htmx") == "object"
    # The stylesheet applied: the skip link is moved off screen until focused.
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).not_to_be_in_viewport()
    assert console.csp_violations() == []
    assert console.errors() == []


def test_console_log_sees_a_csp_violation(
    page: Page, console: ConsoleLog, live_server: LiveServer
) -> None:
    """The CSP test above is only worth something if a violation would reach the log."""
    page.goto(reverse("login"))
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.append(script);
        }"""
    )

    assert page.evaluate("window.inlineRan === undefined")
    for _ in range(40):  # the console event arrives asynchronously
        if console.csp_violations():
            break
        page.wait_for_timeout(50)
    assert any("script-src" in text for text in console.csp_violations())


def test_axe_check_reports_a_violation(page: Page, live_server: LiveServer) -> None:
    """axe_check is only worth something if it fails on a real problem."""
    page.goto(reverse("login"))
    page.evaluate(
        """() => {
            const image = document.createElement("img");
            image.src = "data:image/gif;base64,R0lGODlhAQABAAAAACw=";
            document.querySelector("main").append(image);
        }"""
    )

    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        axe_check(page)
