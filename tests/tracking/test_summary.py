"""/summary/: the printable last 90 days for the doctor, from the patient's own log."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from monographs.models import Medicine
from portal.models import User
from tracking.models import DoseLog, Therapy

from .safety_fixtures import (
    NOW,
    TODAY,
    Urgency,
    anc_rule,
    bob_on_anakinra_fixture,  # noqa: F401
    frozen_now_fixture,  # noqa: F401
    inner_html,
    is_login_redirect,
    new_dose,
    new_report,
    new_result,
    new_therapy,
    page_words,
    prompt_effects,
    section_words,
)

URL = "/summary/"
pytestmark = pytest.mark.usefixtures("frozen_now")
WINDOW_START = TODAY - datetime.timedelta(days=89)


def _days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture
def long_therapy(alice: User, anakinra: Medicine) -> Therapy:
    """Alice started 100 days ago, so the whole 90-day window is on therapy."""
    return new_therapy(alice, anakinra, start_date=_days_ago(100))


def test_counts_days_taken_skipped_and_missed_in_the_last_90_days(
    alice_client: Client, long_therapy: Therapy
) -> None:
    for back in range(1, 61):  # taken on the 60 days before today
        new_dose(long_therapy, _days_ago(back), site_index=back % 2)
    for back in range(61, 66):  # skipped on the 5 days before those
        new_dose(long_therapy, _days_ago(back), status=DoseLog.Status.SKIPPED)
    for back in range(91, 96):  # taken, but before the window
        new_dose(long_therapy, _days_ago(back))
    # Today is not logged yet: it is neither taken nor missed. 89 earlier days in the
    # window: 60 taken, 5 skipped, 24 missed; 60 of 89 is 67%.

    response = alice_client.get(URL)

    assert response.status_code == 200
    doses = section_words(response, "doses-heading")
    assert doses.startswith(
        "Doses Days taken 60 Days skipped 5 Days missed (nothing logged) 24 "
        "Adherence 67% of dose days"
    )
    first, second = long_therapy.usable_sites()[:2]
    assert f"{first.name} 30" in doses
    assert f"{second.name} 30" in doses
    page = page_words(response)
    assert f"The last 90 days: {WINDOW_START:%-d %B %Y} to 18 November 2026." in page


def test_days_before_the_start_are_not_missed(
    alice_client: Client, alice: User, anakinra: Medicine
) -> None:
    therapy = new_therapy(alice, anakinra, start_date=_days_ago(20))
    new_dose(therapy, _days_ago(3))

    doses = section_words(alice_client.get(URL), "doses-heading")

    # From the start to yesterday: 20 dose days, 1 taken, 19 missed.
    assert "Days taken 1 Days skipped 0 Days missed (nothing logged) 19" in doses
    assert "Adherence 5% of dose days" in doses


def test_a_new_therapy_has_not_enough_data(
    alice_client: Client, alice: User, anakinra: Medicine
) -> None:
    new_therapy(alice, anakinra, start_date=TODAY)

    doses = section_words(alice_client.get(URL), "doses-heading")

    assert "Adherence Not enough data" in doses


def test_shows_the_therapy_it_summarises(alice_client: Client, long_therapy: Therapy) -> None:
    page = page_words(alice_client.get(URL))

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
    frozen_now: time_machine.Traveller,
) -> None:
    headache = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[1]
    fever = prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0]
    frozen_now.move_to(NOW - datetime.timedelta(days=100))
    new_report(alice, other="An old rash")
    frozen_now.move_to(NOW - datetime.timedelta(days=10))
    new_report(alice, headache, severity="moderate")
    frozen_now.move_to(NOW - datetime.timedelta(days=5))
    reviewed = new_report(alice, fever, other="Chills at night", needs_review=True)
    reviewed.reviewed_at = NOW
    reviewed.save()
    frozen_now.move_to(NOW)

    reports = section_words(alice_client.get(URL), "reports-heading")

    assert f"8 Nov 2026: {headache.name} (moderate)" in reports
    assert f"13 Nov 2026: {fever.name}; Chills at night (reviewed by the care team)" in reports
    assert "An old rash" not in reports


def test_lab_results_of_the_period_with_the_chart(
    alice_client: Client, alice: User, anakinra: Medicine, long_therapy: Therapy
) -> None:
    rule = anc_rule(anakinra)
    new_result(alice, rule, month=None, value=3100, taken_on=_days_ago(120))
    new_result(alice, rule, month=None, value=850, taken_on=_days_ago(30), needs_review=True)
    new_result(alice, rule, month=None, value=2200, taken_on=_days_ago(2))

    response = alice_client.get(URL)

    labs = section_words(response, "labs-heading")
    assert "19 Oct 2026 850 Sent to your care team for review" in labs
    assert "16 Nov 2026 2,200 Recorded" in labs
    assert "3,100" not in labs
    [chart] = inner_html(response, role="img")
    assert chart.count("<circle ") == 2
    assert 'class="chart__threshold"' in chart


def test_no_reports_or_results_in_the_period(alice_client: Client, long_therapy: Therapy) -> None:
    response = alice_client.get(URL)

    assert "No reports in this period." in section_words(response, "reports-heading")
    assert "No results in this period." in section_words(response, "labs-heading")
    assert inner_html(response, role="img") == []


def test_bob_sees_only_his_own_summary(
    bob_client: Client, alice: User, anakinra: Medicine, bob_on_anakinra: Therapy
) -> None:
    alices = new_therapy(alice, anakinra, start_date=_days_ago(100))
    for back in range(1, 31):
        new_dose(alices, _days_ago(back))
    new_report(alice, other="Alice's private note")
    new_result(alice, anc_rule(anakinra), month=None, value=850, taken_on=_days_ago(3))

    response = bob_client.get(URL)

    page = page_words(response)
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
    long_therapy: Therapy,
    frozen_now: time_machine.Traveller,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    history: int,
) -> None:
    # 200 is more than the window: most of a long history lies before it.
    effects = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[:2]
    rule = anc_rule(anakinra)
    for back in range(1, history + 1):
        day = _days_ago(back)
        DoseLog.objects.create(
            patient=alice,
            therapy=long_therapy,
            taken_at=datetime.datetime.combine(day, datetime.time(8), long_therapy.zone),
            local_date=day,
            dose_mg=long_therapy.dose_mg,
            site=long_therapy.usable_sites()[back % 4],
        )
        new_result(alice, rule, month=None, value=1500 + back, taken_on=day)
    for back in range(history):
        frozen_now.move_to(NOW - datetime.timedelta(hours=back * 10))
        new_report(alice, *effects, other=f"note {back}")
    frozen_now.move_to(NOW)

    # session, user, therapy (with medicine and regimen), the days' statuses, taken
    # doses with their sites, reports, their items, the items' side effects, results
    # with their rules, the lab rule: none per dose, report or result.
    with django_assert_max_num_queries(10):
        response = alice_client.get(URL)

    assert response.status_code == 200
    assert "Days taken" in page_words(response)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_not_allowed(
    alice_client: Client, long_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    assert is_login_redirect(client.get(URL), URL)
