"""First sign-in on a phone: the browser's zone is preselected, and the schedule fields
offer only what the chosen regimen allows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from monographs.models import Medicine
from portal.models import User
from tests.browser.helpers import PHONE, axe_check, new_context, page_width, sign_in
from tests.world import NOMID, PASSWORD, RA
from tracking.models import Patient

pytestmark = pytest.mark.browser

REGIMEN = "Medicine and what it treats"


@pytest.fixture
def newcomer(db: None) -> User:
    return User.objects.create_user("new@example.com", PASSWORD, display_name="Nia")


def regimen_label(page: Page, indication: str) -> str:
    """The regimen list's words for the seeded regimen of this indication."""
    for text in page.get_by_label(REGIMEN).locator("option").all_text_contents():
        if f": {indication}," in text:
            return text
    raise AssertionError(f"no regimen option for {indication}")


def test_setup_starts_in_the_browsers_zone_and_offers_only_the_regimens_schedules(
    browser: Browser, live_server: LiveServer, newcomer: User, anakinra: Medicine
) -> None:
    context = new_context(browser, live_server, PHONE, timezone_id="America/Chicago")
    page = context.new_page()
    sign_in(page, live_server, newcomer)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up the portal")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("America/Chicago")
    expect(zone.locator("option:checked")).to_have_text("Central time (Chicago)")
    second = page.get_by_label("Time of a second dose (optional)")
    every_other_day = page.get_by_label("Every other day, counting from the start date")

    page.get_by_label(REGIMEN).select_option(label=regimen_label(page, RA))

    expect(second).to_be_hidden()
    expect(every_other_day).to_be_hidden()
    expect(page.get_by_label("Every day")).to_be_checked()

    page.get_by_label(REGIMEN).select_option(label=regimen_label(page, NOMID))

    expect(second).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    axe_check(page)

    page.get_by_label("Their name").fill("Nia")
    page.get_by_label("Body weight (kg)").fill("30")
    page.get_by_label("Prescribed dose").fill("1")
    page.get_by_label("Date of the first dose").fill("2026-11-10")
    page.get_by_label(re.compile(r"^Time of the dose:?$")).fill("08:00")
    second.fill("20:00")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messages")).to_contain_text("medicine is set up")
    patient = Patient.objects.get(care__account=newcomer)
    assert patient.time_zone == "America/Chicago"
    assert patient.therapies.get().dose_times == ["08:00", "20:00"]
    context.close()
