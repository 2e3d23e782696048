"""/summary/: the printable last 90 days for the doctor, from the patient's own log.

It names the patient (name, date of birth, current weight) and each therapy, and counts
doses, not days: on mia's twice-a-day schedule an evening left unlogged is one dose
missed, listed by its date and slot. A day whose total is above that day's own maximum
(a weight entered later, or back-dated, lowered it) is flagged for the care team. The
page answers at /p/<patient-uuid>/summary/ too.
"""

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
    end_access,
    local_time,
    new_report,
    new_result,
    own_patient,
    prompt_effects,
)
from tracking.models import DoseLog, Patient, Therapy, Weight

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


def _summary_of(patient: Patient) -> str:
    return f"/p/{patient.uuid}/summary/"


def _not_given(page: TestResponse) -> list[str]:
    """The rows of the table of doses skipped or missed, oldest first."""
    return [
        words(row)
        for table in select(page, "table")
        if words(select_one(table, "caption")) == "Doses skipped or missed"
        for row in table.select("tbody tr")
    ]


def _log_evenings(therapy: Therapy, days: list[datetime.date]) -> None:
    """The 20:00 dose taken on each of these days, in one query (no history rows)."""
    DoseLog.objects.bulk_create(
        DoseLog(
            patient=therapy.patient,
            therapy=therapy,
            status=DoseLog.Status.TAKEN,
            taken_at=local_time(therapy, day, 20, 5),
            local_date=day,
            slot_time=datetime.time(20),
            dose_mg=therapy.dose_mg_on(day),
            site=therapy.usable_sites()[0],
        )
        for day in days
    )


def test_counts_doses_taken_skipped_and_missed_in_the_last_90_days(
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
    # Today's 08:00 is not logged yet at 10:00: it is due, neither taken nor missed. 89
    # earlier doses in the window, one a day: 60 taken, 5 skipped, 24 missed; 60 of 89 is 67%.

    response = alice_client.get(URL)

    assert response.status_code == 200
    doses = section_words(response, "doses-heading")
    assert doses.startswith(
        "Doses Doses taken 60 Doses skipped 5 Doses missed (nothing logged) 24 "
        "Adherence 60 of 89 doses due (67%)"
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

    # From the start to yesterday: 20 doses, 1 taken, 19 missed.
    assert "Doses taken 1 Doses skipped 0 Doses missed (nothing logged) 19" in doses
    assert "Adherence 1 of 20 doses due (5%)" in doses


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
        f"Summary for your doctor Alice. {long_therapy.medicine.display_name}, {regimen}: "
        f"100 mg per dose, 8:00 AM, every day; started {started}." in page
    )


def test_names_the_child_with_birth_date_and_current_weight(
    sam_client: Client, sam: User, mia: Patient, mia_therapy: Therapy, leo_therapy: Therapy
) -> None:
    Weight.objects.create(patient=mia, measured_on=_days_ago(3), weight_kg=17, entered_by=sam)

    response = sam_client.get(_summary_of(mia))

    assert response.status_code == 200
    page = words(response)
    # The latest weight is the current one, and today's dose is by it: 1 mg/kg at 17 kg.
    assert (
        "Summary for your doctor Mia, born 3 May 2022, 17 kg on 15 November 2026. "
        "Anakinra (Kineret), NOMID: 1 mg/kg, 17 mg per dose, 8:00 AM and 8:00 PM, every day; "
        "started 9 October 2026." in page
    )
    # The parent's name is not the patient's; the other child's therapy is not hers.
    assert "Sam" not in page
    assert "DIRA" not in page
    assert "Leo" not in words(select_one(response, "article"))


def test_names_each_therapy_and_whose_dose_was_missed(
    alice_client: Client,
    alice_therapy: Therapy,
    alice_pill: Therapy,
    make_bulk_doses: BulkDoses,
) -> None:
    # Anakinra every day, all logged; the weekly tablet on Wednesdays, never logged.
    make_bulk_doses(alice_therapy, 40)

    response = alice_client.get(URL)

    page = words(response)
    assert "Anakinra (Kineret), Rheumatoid arthritis (RA): 100 mg per dose, 8:00 AM" in page
    assert (
        "Weeklyzumab, Rheumatoid arthritis (RA): 15 mg per dose, 9:00 AM on Wednesdays; "
        "started 9 October 2026." in page
    )
    # Five Wednesdays before today; today's 9:00 is still due at 10:00.
    assert "Doses taken 40 Doses skipped 0 Doses missed (nothing logged) 5" in page
    assert _not_given(response) == [
        f"Wed {day} Weeklyzumab, 9:00 AM Missed"
        for day in ["14 Oct 2026", "21 Oct 2026", "28 Oct 2026", "4 Nov 2026", "11 Nov 2026"]
    ]


# --- doses, not days -------------------------------------------------------------------------


def test_an_evening_dose_not_logged_is_one_dose_missed(
    sam_client: Client,
    mia: Patient,
    mia_therapy: Therapy,
    make_bulk_doses: BulkDoses,
    log_dose: LogDose,
) -> None:
    # 40 days from the start to yesterday, 08:00 and 20:00: every morning taken; every
    # evening but two: on the 10th it was skipped, on the 17th nothing was logged.
    make_bulk_doses(mia_therapy, 40)
    skipped_on = datetime.date(2026, 11, 10)
    _log_evenings(
        mia_therapy,
        [_days_ago(back) for back in range(2, 41) if _days_ago(back) != skipped_on],
    )
    log_dose(
        mia_therapy,
        local_time(mia_therapy, skipped_on, 20),
        status=DoseLog.Status.SKIPPED,
        skip_reason="Asleep",
    )

    response = sam_client.get(_summary_of(mia))

    doses = section_words(response, "doses-heading")
    # Today's morning dose is due at 10:00, its evening later: neither is counted.
    assert (
        "Doses taken 78 Doses skipped 1 Doses missed (nothing logged) 1 "
        "Adherence 78 of 80 doses due (98%)" in doses
    )
    assert _not_given(response) == [
        "Tue 10 Nov 2026 Evening, 8:00 PM Skipped: Asleep",
        "Tue 17 Nov 2026 Evening, 8:00 PM Missed",
    ]


# --- above the day's own maximum -------------------------------------------------------------


@pytest.mark.parametrize(
    ("weighed_days_before", "flagged"),
    [(0, True), (3, True), (-1, False)],
    ids=["weighed that day", "weighed before", "weighed the day after"],
)
def test_a_day_above_its_own_maximum_after_a_lower_weight_is_flagged(
    alice_client: Client,
    nomid_therapy: Therapy,
    log_dose: LogDose,
    weighed_days_before: int,
    flagged: bool,
) -> None:
    # 2 mg/kg at 10 kg: at most 8 mg/kg, 80 mg a day, so 80 mg on the 13th is allowed.
    day = _days_ago(5)
    log_dose(nomid_therapy, local_time(nomid_therapy, day), dose_mg="80")
    assert "For the care team" not in words(alice_client.get(URL))

    # 5 kg from that day (or before) allows 40 mg a day: the 80 mg day is now above it.
    # From the day after, the 13th keeps its own 80 mg maximum.
    Weight.objects.create(
        patient=nomid_therapy.patient,
        measured_on=day - datetime.timedelta(days=weighed_days_before),
        weight_kg=5,
    )

    doses = section_words(alice_client.get(URL), "doses-heading")

    warning = (
        "For the care team: on these days the doses taken add up to more than that day’s "
        "maximum for the weight in effect then. Fri 13 Nov 2026: 80 mg of Anakinra (Kineret), "
        "most 40 mg"
    )
    assert (warning in doses) is flagged
    assert ("For the care team" in doses) is flagged


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


def test_dates_are_the_patients_where_utc_is_still_the_day_before(
    alice_client: Client,
    alice: User,
    make_therapy: MakeTherapy,
    log_dose: LogDose,
    clock: time_machine.Traveller,
) -> None:
    # NOW, 15:00 UTC on the 18th, is midnight starting the 19th in Tokyo (UTC+9).
    therapy = make_therapy(alice, start_date=_days_ago(10), time_zone="Asia/Tokyo")
    clock.move_to(NOW - datetime.timedelta(hours=1))  # 23:00 on the 18th in Tokyo
    new_report(alice, other="Late on the 18th")
    log_dose(therapy, NOW - datetime.timedelta(hours=1))
    clock.move_to(NOW + datetime.timedelta(minutes=30))  # 00:30 on the 19th in Tokyo
    new_report(alice, other="Just after midnight")

    response = alice_client.get(URL)

    page = words(response)
    assert "to 19 November 2026." in page
    reports = section_words(response, "reports-heading")
    assert "18 Nov 2026: Late on the 18th" in reports
    assert "19 Nov 2026: Just after midnight" in reports
    # From the 8th to the 18th, 11 doses: the 18th's was taken at 23:00 there (14:00
    # UTC), the 10 before were missed, and the 19th's 08:00 is still to come.
    assert "Doses taken 1 Doses skipped 0 Doses missed (nothing logged) 10" in page
    missed = _not_given(response)
    assert (missed[0], missed[-1], len(missed)) == (
        "Sun 8 Nov 2026 8:00 AM Missed",
        "Tue 17 Nov 2026 8:00 AM Missed",
        10,
    )


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
    assert "Doses taken 0" in page
    assert "Alice" not in page
    assert "Alice's private note" not in page
    assert "No results in this period." in page
    assert "No reports in this period." in page


def test_an_account_without_a_patient_is_sent_to_set_one_up(
    alice_client: Client, anakinra: Medicine
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/setup/"


@pytest.mark.usefixtures("bob_therapy")
def test_bob_gets_404_at_alices_address(
    bob_client: Client, alice: User, long_therapy: Therapy
) -> None:
    assert bob_client.get(_summary_of(own_patient(alice))).status_code == 404


def test_a_caregiver_whose_access_ended_gets_404(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy
) -> None:
    assert una_client.get(_summary_of(mia)).status_code == 200
    end_access(una, mia)

    assert una_client.get(_summary_of(mia)).status_code == 404


@pytest.mark.usefixtures("mia_therapy")
def test_a_second_caregiver_sees_the_same_summary_of_mia(
    una_client: Client, mia: Patient, anc_rule: LabRule
) -> None:
    new_result(mia, anc_rule, month=0, value=850, taken_on=_days_ago(30), needs_review=True)

    response = una_client.get(URL)  # una acts for Mia only

    assert "Mia, born 3 May 2022, 16 kg on 9 October 2026." in words(response)
    assert "19 Oct 2026 850 Sent to Mia’s care team for review" in section_words(
        response, "labs-heading"
    )


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

    # session, user, the account's care relationships with their patients, therapies
    # (with medicine and regimen), their injection sites, their lab rules, the patient's
    # weights, the window's doses with their sites, results with their rules, reports,
    # their items, the items' side effects: none per dose, report or result.
    with django_assert_max_num_queries(12):
        response = alice_client.get(URL)

    assert response.status_code == 200
    assert f"Doses taken {min(history, 89)}" in words(response)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_not_allowed(
    alice_client: Client, long_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    assert is_login_redirect(client.get(URL), URL)
