"""Alice's own pages on a phone and a desktop: axe-core clean, never wider than the screen."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from monographs.models import InjectionSite, LabRule, Medicine, SideEffect
from portal.models import User
from tests.browser.helpers import DESKTOP, PHONE, axe_check, page_width, sign_in
from tests.world import TODAY, LogDose, local_time, new_report, new_result
from tracking.models import DoseLog, SideEffectReportItem, Therapy

pytestmark = pytest.mark.browser
Area = InjectionSite.BodyArea

# What a phone shows in a day's cell instead of the word (tracking.css, .status-key).
MARKS = {"Taken": "\u2713", "Skipped": "\u2013", "Missed": "\u2717"}


@dataclass(frozen=True)
class History:
    """What alice has logged, and the month of the calendar that shows it."""

    taken: datetime.date
    skipped: datetime.date
    missed: datetime.date
    calendar_url: str


@pytest.fixture
def history(
    alice: User,
    alice_therapy: Therapy,
    anakinra: Medicine,
    anc_rule: LabRule,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> History:
    """Taken, skipped and missed days this month (13 to 17 November), a blood test
    (the baseline, in range) and a mild headache reported after the last dose."""
    last = TODAY - datetime.timedelta(days=1)

    def on(back: int) -> datetime.datetime:
        return local_time(alice_therapy, last - datetime.timedelta(days=back))

    # A few taken days before the three, on different sites.
    for back, area in [(6, Area.LEFT_THIGH), (5, Area.LEFT_ABDOMEN), (4, Area.RIGHT_THIGH)]:
        log_dose(alice_therapy, on(back), site=sites[area])
    log_dose(alice_therapy, on(1), status=DoseLog.Status.SKIPPED, skip_reason="Unwell")
    dose = log_dose(alice_therapy, on(0), site=sites[Area.LEFT_THIGH])

    new_result(alice, anc_rule, month=0, value=2500, taken_on=alice_therapy.start_date)
    headache = SideEffect.objects.get(medicine=anakinra, name="Headache")
    new_report(alice, headache, dose=dose, severity=SideEffectReportItem.Severity.MILD)

    return History(
        taken=last,
        skipped=last - datetime.timedelta(days=1),
        missed=last - datetime.timedelta(days=2),
        calendar_url=reverse("tracking:dose-list"),
    )


def open_page(page: Page, url: str, heading: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def assert_fits_and_passes_axe(page: Page, viewport: ViewportSize) -> None:
    assert page_width(page) <= viewport["width"]
    axe_check(page)


VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])


@VIEWPORTS
def test_dose_form_with_the_body_map(
    page: Page,
    viewport: ViewportSize,
    live_server: LiveServer,
    alice: User,
    history: History,
    anakinra: Medicine,
) -> None:
    sign_in(page, live_server, alice)
    open_page(page, reverse("tracking:dose-new"), "Log a dose")

    body_map = page.get_by_role("img", name="Injection sites on the body")
    expect(body_map).to_be_visible()
    box = body_map.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    sites = anakinra.injection_sites.count()
    assert body_map.locator("circle.body-map__site").count() == sites
    expect(page.get_by_role("group", name="Injection site").get_by_role("radio")).to_have_count(
        sites
    )
    assert_fits_and_passes_axe(page, viewport)


@VIEWPORTS
def test_dose_history_calendar(
    page: Page, viewport: ViewportSize, live_server: LiveServer, alice: User, history: History
) -> None:
    sign_in(page, live_server, alice)
    open_page(page, history.calendar_url, "Your dose history")

    calendar = page.get_by_role("table", name="Doses in")
    expect(calendar).to_be_visible()
    on_phone = viewport["width"] < 576
    expect(page.locator(".status-key")).to_be_visible(visible=on_phone)
    for day, label in [
        (history.taken, "Taken"),
        (history.skipped, "Skipped"),
        (history.missed, "Missed"),
    ]:
        cell = calendar.locator(
            f"td:not(.calendar__day--other):has(.calendar__date:text-is('{day.day}'))"
        )
        expect(cell).to_have_count(1)
        expect(cell).to_have_class(f"calendar__day calendar__day--{label.lower()}")
        # The word is always there for screen readers; a phone shows a mark instead.
        status = cell.locator(".calendar__status")
        expect(status).to_have_text(label)
        mark = cell.evaluate("el => getComputedStyle(el, '::after').content")
        status_box = status.bounding_box()
        assert status_box is not None
        if on_phone:
            assert mark == f'"{MARKS[label]}" / ""'
            assert status_box["width"] <= 1
        else:
            assert mark == "none"
            assert status_box["width"] > 20
        cell_box = cell.bounding_box()
        assert cell_box is not None and cell_box["x"] + cell_box["width"] <= viewport["width"]
    expect(page.locator(".entries .entry")).to_have_count(DoseLog.objects.count())
    assert_fits_and_passes_axe(page, viewport)


@VIEWPORTS
def test_blood_tests_with_a_result_and_its_chart(
    page: Page, viewport: ViewportSize, live_server: LiveServer, alice: User, history: History
) -> None:
    sign_in(page, live_server, alice)
    open_page(page, reverse("tracking:labs"), "Blood tests")

    chart = page.get_by_role("img", name="ANC results over time")
    expect(chart).to_be_visible()
    expect(chart.locator("circle.chart__point")).to_have_count(1)
    results = page.get_by_role("table", name="ANC results")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results.locator("tbody tr")).to_contain_text("2,500")
    expect(page.get_by_role("region", name="Done")).to_contain_text("ANC before the first dose")
    assert_fits_and_passes_axe(page, viewport)


@VIEWPORTS
@pytest.mark.parametrize(
    ("url_name", "heading", "shows"),
    [
        ("tracking:side-effect-list", "Your side-effect reports", "Headache"),
        ("tracking:summary", "Summary for your doctor", "Headache (mild)"),
        ("tracking:account", "Your account", "Signed in as alice@example.com."),
        (
            "tracking:therapy-list",
            "Your medicines",
            "Anakinra (Kineret), Rheumatoid arthritis (RA)",
        ),
    ],
    ids=["side-effects", "summary", "account", "therapy"],
)
def test_other_patient_pages(
    page: Page,
    viewport: ViewportSize,
    live_server: LiveServer,
    alice: User,
    history: History,
    url_name: str,
    heading: str,
    shows: str,
) -> None:
    sign_in(page, live_server, alice)
    open_page(page, reverse(url_name), heading)

    expect(page.get_by_role("main")).to_contain_text(shows)
    assert_fits_and_passes_axe(page, viewport)


@VIEWPORTS
def test_injection_sites_are_labelled_radios_reachable_by_keyboard(
    page: Page,
    viewport: ViewportSize,
    live_server: LiveServer,
    alice: User,
    history: History,
    anakinra: Medicine,
) -> None:
    sign_in(page, live_server, alice)
    open_page(page, reverse("tracking:dose-new"), "Log a dose")
    site_group = page.get_by_role("group", name="Injection site")
    radios = site_group.get_by_role("radio")
    sites = list(anakinra.injection_sites.order_by("order"))
    assert radios.count() == len(sites)
    for site in sites:
        helper_only = r"( \(only when someone else injects\))?"
        radio = site_group.get_by_role(
            "radio", name=re.compile(rf"^{re.escape(site.name)}{helper_only}$")
        )
        expect(radio).to_have_count(1)
        expect(radio).to_be_visible()
    checked = site_group.locator("input:checked")
    expect(checked).to_have_count(1)  # the suggested site
    checked_index = radios.evaluate_all("els => els.findIndex(el => el.checked)")

    # Tab from the top of the page: the group is one stop, landing on the checked site.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "site":
            break
    expect(radios.nth(checked_index)).to_be_focused()

    # The arrow keys move between sites, choosing each as they go, and wrap round.
    for step in range(1, len(sites) + 1):
        page.keyboard.press("ArrowDown")
        expected = radios.nth((checked_index + step) % len(sites))
        expect(expected).to_be_focused()
        expect(expected).to_be_checked()
    page.keyboard.press("ArrowUp")
    expect(radios.nth((checked_index - 1) % len(sites))).to_be_focused()
    expect(radios.nth((checked_index - 1) % len(sites))).to_be_checked()
    expect(site_group.locator("input:checked")).to_have_count(1)
