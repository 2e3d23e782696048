"""A parent of two on a phone: the patient switcher, a two-slot Today, inviting a helper."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from portal.models import User
from tests.browser.helpers import PHONE, axe_check, new_context, page_width, sign_in
from tracking.models import CareRelationship, DoseLog, Patient, Therapy

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_the_switcher_names_the_patient_shown_and_moves_between_children(
    page: Page,
    live_server: LiveServer,
    sam: User,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
) -> None:
    sign_in(page, live_server, sam)
    switcher = page.get_by_role("navigation", name="Patients")
    expect(switcher.get_by_role("link")).to_have_text(["Leo", "Mia"])
    shown = switcher.get_by_text("Showing")

    switcher.get_by_role("link", name="Mia").click()

    expect(shown).to_have_text("Showing Mia")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mia")
    expect(switcher.get_by_role("link", name="Mia")).to_have_attribute("aria-current", "true")
    expect(page).to_have_url(re.compile(rf"/p/{mia_therapy.patient.uuid}/$"))

    switcher.get_by_role("link", name="Leo").click()

    expect(shown).to_have_text("Showing Leo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Leo")
    assert page_width(page) <= PHONE["width"]
    axe_check(page)


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_two_slot_today_puts_the_evening_dose_first_once_the_morning_is_logged(
    page: Page, live_server: LiveServer, sam: User, mia: Patient, mia_therapy: Therapy
) -> None:
    """At 10:00 the 8:00 dose is due: one tap logs it, and the 8:00 PM dose moves up."""
    sign_in(page, live_server, sam)
    page.goto(mia.get_absolute_url())
    card = page.locator("#today-card")
    slots = card.locator(".slot")
    expect(slots).to_have_count(2)
    expect(slots.nth(0)).to_contain_text("Morning, 8:00 AM")
    morning = card.get_by_role("button", name=re.compile(r"^Log the Morning, 8:00 AM dose now"))
    expect(morning).to_contain_text("16 mg")

    morning.click()

    expect(card.get_by_role("status")).to_have_text("The dose is logged. Thank you.")
    expect(slots.nth(0)).to_contain_text("Evening, 8:00 PM")
    expect(slots.nth(0)).to_contain_text("Due at 8:00 PM")
    expect(slots.nth(1)).to_contain_text("Taken at")
    expect(slots.nth(1)).to_contain_text("logged by Sam")
    # The next dose is on the first screen, above the side-effect check that follows a dose.
    evening_top = slots.nth(0).bounding_box()
    prompt_top = page.get_by_role(
        "region", name=re.compile("^Since Mia.s last dose")
    ).bounding_box()
    assert evening_top is not None and prompt_top is not None
    assert evening_top["y"] < prompt_top["y"]
    assert evening_top["y"] < PHONE["height"]
    assert page_width(page) <= PHONE["width"]
    [dose] = DoseLog.objects.filter(patient=mia)
    assert dose.entered_by == sam
    assert dose.slot_time is not None and dose.slot_time.hour == 8
    axe_check(page)


@pytest.mark.parametrize("viewport", [PHONE], ids=["360"])
def test_a_parent_invites_a_helper_who_makes_an_account_and_logs_a_dose(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    sam: User,
    leo: Patient,
    leo_therapy: Therapy,
) -> None:
    sign_in(page, live_server, sam)
    page.goto(f"/p/{leo.uuid}/caregivers/")
    page.get_by_label("Their email address").fill("grandma@example.com")
    page.get_by_label(re.compile("Another caregiver")).check()

    page.get_by_role("button", name="Send the invitation").click()

    expect(page.locator(".messages")).to_contain_text("An invitation is on its way")
    [email] = mail.outbox
    assert email.to == ["grandma@example.com"]
    [link] = re.findall(r"http://\S+/invitations/\S+/", str(email.body))

    helper_context = new_context(browser, live_server, PHONE)
    helper = helper_context.new_page()
    helper.goto(link)
    expect(helper.get_by_role("heading", level=1)).to_have_text("Help Leo")
    helper.get_by_label("Your name").fill("Grandma")
    helper.get_by_label("Choose a password").fill("a long and unusual passphrase")
    helper.get_by_label("The same password again").fill("a long and unusual passphrase")
    helper.get_by_role("button", name="Make the account and accept").click()

    expect(helper.locator(".messages")).to_contain_text("You can now help Leo.")
    helper.get_by_role("button", name=re.compile(r"^Log the 7:30 AM dose now")).click()
    expect(helper.locator("#today-card").get_by_text("logged by Grandma")).to_be_visible()
    grandma = User.objects.get(email="grandma@example.com")
    assert CareRelationship.objects.filter(
        patient=leo, account=grandma, role=CareRelationship.Role.CAREGIVER, ended_at=None
    ).exists()
    assert DoseLog.objects.get(patient=leo).entered_by == grandma
    axe_check(helper)

    # The link worked once.
    helper.goto(link)
    expect(helper.get_by_role("heading", level=1)).to_have_text(
        "This invitation link does not work"
    )
    helper_context.close()
