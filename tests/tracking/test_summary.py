"""/summary/: the printable last 90 days for the doctor, from the patient's own log."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import pytest
import time_machine
from bs4 import Tag
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from monographs.models import LabRule, Medicine
from portal.models import User
from tests.pages import is_login_redirect, section_words, select, select_one, words
from tests.world import (
    NOW,
    TODAY,
    BulkDoses,
    LogDose,
    MakeTherapy,
    Urgency,
    local_time,
    new_report,
    new_result,
    prompt_effects,
)
from tracking.models import DoseLog, Therapy

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

URL = "/summary/"
pytestmark = pytest.mark.usefixtures("clock")
WINDOW_START = TODAY - datetime.timedelta(days=89)


def _days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture
def long_therapy(alice: User, make_therapy: MakeTherapy) -> Therapy:
    """Alice started 100 days ago, so the whole 90-day window is on therapy."""
    return make_therapy(alice, start_date=_days_ago(100))


def _chart(page: TestResponse) -> Tag:
    return select_one(page, '.chart svg[role="img"]')


def test_counts_days_taken_skipped_and_missed_in_the_last_90_days(
    alice_client: Client, long_therapy: Therapy, log_dose: LogDose
) -> None:
    first, second = long_therapy.usable_sites()[:2]
    for back in range(1, 61):  # taken on the 60 days before today, on two sites in turn
        day = local_time(long_therapy, _days_ago(back))
        log_dose(long_therapy, day, site=first if back % 2 == 0 else second)
    for back in range(61, 66):  # skipped on the 5 days before those
        day = local_time(long_therapy, _days_ago(back))
        log_dose(long_therapy, day, status=DoseLog.Status.SKIPPED, skip_reason="Unwell")
    for back in range(91, 96):  # taken, but before the window
        log_dose(long_therapy, local_time(long_therapy, _days_ago(back)))
    # Today is not logged yet: it is neither taken nor missed. 89 earlier days in the
    # window: 60 taken, 5 skipped, 24 missed; 60 of 89 is 67%.

    response = alice_client.get(URL)

    assert response.status_code == 200
    doses = section_words(response, "doses-heading")
    assert doses.startswith(
        "Doses Days taken 60 Days skipped 5 Days missed (nothing logged) 24 "
        "Adherence 67% of dose days"
    )
    assert f"{first.name} 30" in doses
    assert f"{second.name} 30" in doses
    page = words(response)
    assert f"The last 90 days: {WINDOW_START:%-d %B %Y} to 18 November 2026." in page


def test_days_before_the_start_are_not_missed(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, log_dose: LogDose
) -> None:
    therapy = make_therapy(alice, start_date=_days_ago(20))
    log_dose(therapy, local_time(therapy, _days_ago(3)))

    doses = section_words(alice_client.get(URL), "doses-heading")

    # From the start to yesterday: 20 dose days, 1 taken, 19 missed.
    assert "Days taken 1 Days skipped 0 Days missed (nothing logged) 19" in doses
    assert "Adherence 5% of dose days" in doses


def test_a_new_therapy_has_not_enough_data(
    alice_client: Client, alice: User, make_therapy: MakeTherapy
) -> None:
    make_therapy(alice, start_date=TODAY)

    doses = section_words(alice_client.get(URL), "doses-heading")

    assert "Adherence Not enough data" in doses


def test_shows_the_therapy_it_summarises(alice_client: Client, long_therapy: Therapy) -> None:
    page = words(alice_client.get(URL))

    regimen = long_therapy.regimen.indication
    started = f"{long_therapy.start_date:%-d %B %Y}"
    assert (
        f"Alice · {long_therapy.medicine.display_name}, {regimen}: 100 mg per dose, "
        f"started {started}." in page
    )


def test_lists_side_effect_reports_of_the_period_only(
    alice_client: Client,
    alice: User,
    anakinra: Medicine,
    long_therapy: Therapy,
    clock: time_machine.Traveller,
) -> None:
    headache = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[1]
    fever = prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0]
    clock.move_to(NOW - datetime.timedelta(days=100))
    new_report(alice, other="An old rash")
    clock.move_to(NOW - datetime.timedelta(days=10))
    new_report(alice, headache, severity="moderate")
    clock.move_to(NOW - datetime.timedelta(days=5))
    reviewed = new_report(alice, fever, other="Chills at night", needs_review=True)
    reviewed.reviewed_at = NOW
    reviewed.save()
    clock.move_to(NOW)

    reports = section_words(alice_client.get(URL), "reports-heading")

    assert f"8 Nov 2026: {headache.name} (moderate)" in reports
    assert f"13 Nov 2026: {fever.name}; Chills at night (reviewed by the care team)" in reports
    assert "An old rash" not in reports


def test_lab_results_of_the_period_with_the_chart(
    alice_client: Client, alice: User, anc_rule: LabRule, long_therapy: Therapy
) -> None:
    new_result(alice, anc_rule, month=None, value=3100, taken_on=_days_ago(120))
    new_result(alice, anc_rule, month=None, value=850, taken_on=_days_ago(30), needs_review=True)
    new_result(alice, anc_rule, month=None, value=2200, taken_on=_days_ago(2))

    response = alice_client.get(URL)

    labs = section_words(response, "labs-heading")
    assert "19 Oct 2026 850 Sent to your care team for review" in labs
    assert "16 Nov 2026 2,200 Recorded" in labs
    assert "3,100" not in labs
    chart = _chart(response)
    points = [words(point) for point in chart.select("circle.chart__point")]
    assert points == ["19 Oct 2026: 850 cells/µL", "16 Nov 2026: 2,200 cells/µL"]
    assert chart.select("line.chart__threshold")
    assert "Review below 1,000" in words(chart)


def test_no_reports_or_results_in_the_period(alice_client: Client, long_therapy: Therapy) -> None:
    response = alice_client.get(URL)

    assert "No reports in this period." in section_words(response, "reports-heading")
    assert "No results in this period." in section_words(response, "labs-heading")
    assert select(response, '[role="img"]') == []


@pytest.mark.usefixtures("bob_therapy")
def test_bob_sees_only_his_own_summary(
    bob_client: Client,
    alice: User,
    anc_rule: LabRule,
    long_therapy: Therapy,
    make_bulk_doses: BulkDoses,
) -> None:
    make_bulk_doses(long_therapy, 30)
    new_report(alice, other="Alice's private note")
    new_result(alice, anc_rule, month=None, value=850, taken_on=_days_ago(3))

    response = bob_client.get(URL)

    page = words(response)
    assert "Days taken 0" in page
    assert "Alice" not in page
    assert "Alice's private note" not in page
    assert "No results in this period." in page
    assert "No reports in this period." in page


def test_a_patient_without_a_therapy_is_sent_to_set_one_up(
    alice_client: Client, anakinra: Medicine
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/therapy/"


@pytest.mark.parametrize("history", [10, 200])
def test_queries_do_not_grow_with_the_history(
    alice_client: Client,
    alice: User,
    anakinra: Medicine,
    anc_rule: LabRule,
    long_therapy: Therapy,
    make_bulk_doses: BulkDoses,
    clock: time_machine.Traveller,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    history: int,
) -> None:
    # 200 is more than the window: most of a long history lies before it.
    effects = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[:2]
    make_bulk_doses(long_therapy, history)  # one a day, on the sites in turn
    for back in range(1, history + 1):
        new_result(alice, anc_rule, month=None, value=1500 + back, taken_on=_days_ago(back))
    for back in range(history):
        clock.move_to(NOW - datetime.timedelta(hours=back * 10))
        new_report(alice, *effects, other=f"note {back}")
    clock.move_to(NOW)

    # session, user, therapy (with medicine and regimen), the days' statuses, taken
    # doses with their sites, reports, their items, the items' side effects, results
    # with their rules, the lab rule: none per dose, report or result.
    with django_assert_max_num_queries(10):
        response = alice_client.get(URL)

    assert response.status_code == 200
    assert "Days taken" in words(response)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_not_allowed(
    alice_client: Client, long_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    assert is_login_redirect(client.get(URL), URL)
