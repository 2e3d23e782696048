"""A new staff member's first sign-in on a phone: set up an authenticator app from the key
on the page, keep the backup codes, reach the admin; the next sign-in asks for a code."""

from __future__ import annotations

import datetime
import re
from base64 import b32decode

import pytest
import time_machine
from django_otp.oath import TOTP
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from portal.models import User
from tests.browser.helpers import (
    PHONE,
    ConsoleLog,
    axe_check,
    new_context,
    page_width,
    save_screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser


def app_code(key: str) -> str:
    """What an authenticator app given this key shows now."""
    totp = TOTP(b32decode(key.replace(" ", "")), step=30, t0=0, digits=6, drift=0)
    return f"{totp.token():06d}"


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_a_new_staff_member_sets_up_two_step_sign_in_and_reaches_the_admin(
    page: Page,
    console: ConsoleLog,
    browser: Browser,
    live_server: LiveServer,
    carol: User,
    clock: time_machine.Traveller,
) -> None:
    sign_in(page, live_server, carol)

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    axe_check(page)
    save_screenshot(page, "two-factor-setup-360.png")
    key = page.locator("#setup-key").inner_text()

    page.get_by_label("The 6-digit code from the app").fill(app_code(key))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Backup codes")
    codes = page.get_by_role("list", name="Your backup codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    expect(page.get_by_role("button", name="Print these codes")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    axe_check(page)

    page.get_by_role("link", name=re.compile("continue")).click()

    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    assert console.csp_violations() == []
    assert console.errors() == []

    # Signing in again, on another phone: the code, not the set-up, and a new one.
    clock.shift(datetime.timedelta(seconds=30))
    other = new_context(browser, live_server, PHONE)
    again = other.new_page()
    sign_in(again, live_server, carol)
    expect(again.get_by_role("heading", level=1)).to_have_text("Enter your sign-in code")
    assert page_width(again) <= PHONE["width"]
    axe_check(again)

    again.get_by_label("Code from your app, or a backup code").fill(app_code(key))
    again.get_by_role("button", name="Continue").click()

    expect(again.get_by_role("heading", name="Site administration")).to_be_visible()
    other.close()
