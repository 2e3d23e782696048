"""The idle warning: a minute before the idle sign-out the page asks whether to stay
signed in. Both clocks jump together: the server's (time_machine) and the page's
(Playwright's page.clock), so no test waits half an hour."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portal.models import User
from tests.browser.helpers import PHONE, ConsoleLog, axe_check, page_width, sign_in
from tests.world import NOW

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("alice_therapy")]

SIGNED_OUT = (
    "You were signed out after 30 minutes without activity, to keep your information private."
)


def _signed_in_idle(page: Page, live_server: LiveServer, alice: User) -> None:
    page.clock.install(time=NOW)
    sign_in(page, live_server, alice)
    # idle.js (deferred) has set its timer by then; a clock moved before would miss it.
    page.wait_for_load_state()


def _both_clocks_forward(
    page: Page, clock: time_machine.Traveller, minutes: int, seconds: int
) -> None:
    clock.shift(datetime.timedelta(minutes=minutes, seconds=seconds))
    page.clock.fast_forward(f"{minutes:02d}:{seconds:02d}")


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_a_minute_before_the_warning_opens_and_stay_signed_in_keeps_the_session(
    page: Page,
    live_server: LiveServer,
    alice: User,
    clock: time_machine.Traveller,
    console: ConsoleLog,
) -> None:
    _signed_in_idle(page, live_server, alice)
    warning = page.get_by_role("alertdialog", name="You’ll be signed out in 1 minute")
    stay = warning.get_by_role("button", name="Stay signed in")
    expect(warning).to_be_hidden()
    # Its autofocus waits for the dialog: the page itself opens with focus where it was.
    expect(page.locator("#idle-warning [data-idle-stay]")).not_to_be_focused()

    _both_clocks_forward(page, clock, 29, 10)

    expect(warning).to_be_visible()
    expect(stay).to_be_focused()
    expect(warning.get_by_role("button", name="Sign out now")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    axe_check(page)

    stay.click()

    expect(warning).to_be_hidden()
    # 49 minutes after signing in, 20 after "Stay signed in": still signed in.
    clock.shift(datetime.timedelta(minutes=20))
    page.reload()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
    assert console.csp_violations() == []
    assert console.errors() == []


def test_at_the_end_of_the_minute_the_sign_in_page_says_why(
    page: Page,
    live_server: LiveServer,
    alice: User,
    clock: time_machine.Traveller,
    console: ConsoleLog,
) -> None:
    _signed_in_idle(page, live_server, alice)
    _both_clocks_forward(page, clock, 29, 10)
    expect(page.get_by_role("alertdialog")).to_be_visible()

    _both_clocks_forward(page, clock, 1, 0)

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2F$"))
    expect(page.get_by_role("status")).to_contain_text(SIGNED_OUT)
    axe_check(page)
    assert console.errors() == []


def test_no_warning_while_another_tab_keeps_the_session_going(
    page: Page, live_server: LiveServer, alice: User, clock: time_machine.Traveller
) -> None:
    _signed_in_idle(page, live_server, alice)
    clock.shift(datetime.timedelta(minutes=29, seconds=10))
    # Another tab of the same browser opens a page: that is activity.
    assert page.context.request.get(f"{live_server.url}/doses/").ok

    # The page asks the server before it warns, and is told 30 minutes are left.
    with page.expect_response(re.compile("/account/session/$")) as answer:
        page.clock.fast_forward("29:10")

    assert answer.value.request.method == "GET"
    assert answer.value.json()["seconds_left"] > 29 * 60
    expect(page.get_by_role("alertdialog")).to_be_hidden()


def test_escape_counts_as_staying(
    page: Page, live_server: LiveServer, alice: User, clock: time_machine.Traveller
) -> None:
    _signed_in_idle(page, live_server, alice)
    _both_clocks_forward(page, clock, 29, 10)
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible()

    with page.expect_response(re.compile("/account/session/$")) as answer:
        page.keyboard.press("Escape")

    assert answer.value.request.method == "POST"
    expect(warning).to_be_hidden()
