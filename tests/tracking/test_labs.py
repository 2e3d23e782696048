"""/labs/: which blood tests are due, overdue, later or done, recording a result, the trend.

The ANC rule of the seeded monograph: before the first dose, then months 1, 2, 3, 6, 9
and 12 from the therapy start; a result below 1,000 cells/µL goes to the care team.
The page answers at /p/<patient-uuid>/labs/ too: a caregiver sees and records the tests
of the patient named there, and the result keeps who entered it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from monographs.models import DosingRegimen, LabRule, Medicine
from portal.models import User
from tests.pages import (
    Markup,
    attr,
    is_login_redirect,
    section_words,
    select,
    select_one,
    words,
)
from tests.world import DIRA, RA, TODAY, MakeTherapy, end_access, new_result, own_patient
from tracking.models import LabResult, Patient, Therapy

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

URL = "/labs/"
LONG_DATE = "%-d %B %Y"


def _record(client: Client, rule: LabRule, url: str = URL, **changes: str) -> TestResponse:
    data = {
        "due": f"{rule.pk}:1",
        "taken_on": "2026-11-17",
        "value": "2500",
        "unit": "cells_ul",
    }
    data.update(changes)
    return client.post(url, data)


def _labs_of(patient: Patient) -> str:
    return f"/p/{patient.uuid}/labs/"


def _results_of(person: User | Patient) -> list[LabResult]:
    return list(LabResult.objects.filter(patient=own_patient(person)))


def _due_options(page: Markup) -> list[str]:
    """The tests the form offers, as the values it posts."""
    return [
        attr(option, "value")
        for option in select(page, 'select[name="due"] option')
        if option.get("value")  # not the "choose one" prompt
    ]


def _form_words(page: Markup) -> str:
    """The words of the record-a-result form, its messages among them."""
    return words(select_one(page, "#record form"))


# --- what is due -------------------------------------------------------------------------


@pytest.mark.usefixtures("clock")
def test_tests_are_grouped_overdue_soon_later_and_done_with_words(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, anc_rule: LabRule
) -> None:
    start = datetime.date(2026, 8, 23)
    make_therapy(alice, start_date=start)
    new_result(alice, anc_rule, month=0, value=2400, taken_on=datetime.date(2026, 8, 20))

    response = alice_client.get(URL)

    assert response.status_code == 200
    overdue = section_words(response, "overdue-heading")
    soon = section_words(response, "soon-heading")
    later = section_words(response, "upcoming-heading")
    done = section_words(response, "done-heading")
    month_1, month_2 = start + relativedelta(months=1), start + relativedelta(months=2)
    assert (
        f"ANC at month 1: {month_1:{LONG_DATE}}, {(TODAY - month_1).days} days overdue" in overdue
    )
    assert "ANC at month 2: 23 October 2026, 26 days overdue" in overdue
    assert f"{(TODAY - month_2).days} days overdue" in overdue
    assert soon == "Due in the next 14 days ANC at month 3: 23 November 2026, due in 5 days"
    for month in (6, 9, 12):
        due = start + relativedelta(months=month)
        assert (
            f"ANC at month {month}: {due:{LONG_DATE}}, due in {(due - TODAY).days} days" in later
        )
    assert "ANC before the first dose: done on 20 August 2026" in done
    for text, other in [(overdue, "month 3"), (soon, "month 1"), (later, "month 3")]:
        assert other not in text
    assert "before the first dose" not in overdue + soon + later


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize(
    ("days_from_today", "section", "wording"),
    [
        (0, "soon-heading", "due today"),
        (1, "soon-heading", "due tomorrow"),
        (5, "soon-heading", "due in 5 days"),
        (14, "soon-heading", "due in 14 days"),
        (15, "upcoming-heading", "due in 15 days"),
        (-1, "overdue-heading", "1 day overdue"),
        (-3, "overdue-heading", "3 days overdue"),
    ],
)
def test_how_far_away_a_test_is_in_words(
    alice_client: Client,
    alice: User,
    make_therapy: MakeTherapy,
    days_from_today: int,
    section: str,
    wording: str,
) -> None:
    month_1 = TODAY + datetime.timedelta(days=days_from_today)
    make_therapy(alice, start_date=month_1 - relativedelta(months=1))

    response = alice_client.get(URL)

    assert f"ANC at month 1: {month_1:{LONG_DATE}}, {wording}" in section_words(response, section)


@pytest.mark.usefixtures("clock")
def test_a_start_at_a_month_end_counts_to_the_last_day_of_shorter_months(
    alice_client: Client, alice: User, make_therapy: MakeTherapy
) -> None:
    therapy = make_therapy(alice, start_date=datetime.date(2026, 1, 31))

    dues = {due.month: due.due_date for due in therapy.lab_due_dates([])}

    assert dues == {
        0: datetime.date(2026, 1, 31),
        1: datetime.date(2026, 2, 28),
        2: datetime.date(2026, 3, 31),
        3: datetime.date(2026, 4, 30),
        6: datetime.date(2026, 7, 31),
        9: datetime.date(2026, 10, 31),
        12: datetime.date(2027, 1, 31),
    }
    assert "ANC at month 1: 28 February 2026" in section_words(
        alice_client.get(URL), "overdue-heading"
    )


def test_a_leap_year_february_ends_on_the_29th(anakinra: Medicine) -> None:
    therapy = Therapy(medicine=anakinra, start_date=datetime.date(2028, 1, 31))

    dues = {due.month: due.due_date for due in therapy.lab_due_dates([])}

    assert dues[1] == datetime.date(2028, 2, 29)


@pytest.mark.usefixtures("clock")
def test_moving_the_start_date_moves_open_tests_and_keeps_results(
    alice_client: Client,
    alice: User,
    regimens: dict[str, DosingRegimen],
    anc_rule: LabRule,
    make_therapy: MakeTherapy,
) -> None:
    therapy = make_therapy(alice, start_date=datetime.date(2026, 10, 9))
    baseline = new_result(
        alice, anc_rule, month=0, value=2400, taken_on=datetime.date(2026, 10, 8)
    )
    month_1 = new_result(alice, anc_rule, month=1, value=900, taken_on=datetime.date(2026, 11, 9))

    response = alice_client.post(
        f"/therapies/{therapy.uuid}/",
        {
            "regimen": str(regimens[RA].pk),
            "prescribed_dose": "100",
            "start_date": "2026-09-28",
            "end_date": "",
            "first_time": "08:00",
            "second_time": "",
            "dose_days": "daily",
        },
    )

    assert response.status_code == 302
    therapy.refresh_from_db()
    assert therapy.start_date == datetime.date(2026, 9, 28)
    for result, month, taken_on, value in [
        (baseline, 0, datetime.date(2026, 10, 8), Decimal(2400)),
        (month_1, 1, datetime.date(2026, 11, 9), Decimal(900)),
    ]:
        result.refresh_from_db()
        assert (result.due_month, result.taken_on, result.value) == (month, taken_on, value)
    assert len(_results_of(alice)) == 2
    page = alice_client.get(URL)
    done = section_words(page, "done-heading")
    assert "ANC before the first dose: done on 8 October 2026" in done
    assert "ANC at month 1: done on 9 November 2026" in done
    # Month 2 counts from the new start (28 November, no longer 9 December).
    assert "ANC at month 2: 28 November 2026, due in 10 days" in section_words(
        page, "soon-heading"
    )
    assert "9 December 2026" not in words(page)


@pytest.mark.usefixtures("clock")
def test_moving_the_start_date_in_the_database_moves_only_open_tests(
    alice: User, make_therapy: MakeTherapy, anc_rule: LabRule
) -> None:
    therapy = make_therapy(alice, start_date=datetime.date(2026, 10, 9))
    recorded = new_result(
        alice, anc_rule, month=1, value=1500, taken_on=datetime.date(2026, 11, 9)
    )

    therapy.start_date = datetime.date(2026, 10, 1)
    therapy.save()
    dues = {due.month: due for due in therapy.lab_due_dates(_results_of(alice))}

    assert dues[1].result == recorded
    assert dues[2].due_date == datetime.date(2026, 12, 1)
    assert dues[2].result is None
    recorded.refresh_from_db()
    assert recorded.taken_on == datetime.date(2026, 11, 9)


# --- the trend -------------------------------------------------------------------------------


@pytest.mark.usefixtures("alice_therapy")
def test_the_trend_chart_draws_each_result_against_the_review_line(
    alice_client: Client, alice: User, anc_rule: LabRule
) -> None:
    new_result(alice, anc_rule, month=0, value=2500, taken_on=datetime.date(2026, 10, 8))
    new_result(
        alice, anc_rule, month=1, value=850, taken_on=datetime.date(2026, 11, 9), needs_review=True
    )

    response = alice_client.get(URL)

    chart = select_one(response, '.chart svg[role="img"]')
    assert "Review below 1,000" in words(chart)
    threshold_y = float(attr(select_one(chart, "line.chart__threshold"), "y1"))
    early, late = chart.select("circle.chart__point")
    assert words(early) == "8 Oct 2026: 2,500 cells/µL"
    assert words(late) == "9 Nov 2026: 850 cells/µL"
    assert float(attr(early, "cx")) < float(attr(late, "cx"))  # oldest on the left
    # SVG y grows downwards: the low count sits below the line, the normal one above.
    assert float(attr(early, "cy")) < threshold_y < float(attr(late, "cy"))
    # The low count is drawn as flagged, the other is not.
    assert chart.select("circle.chart__point--flagged") == [late]
    # The same numbers in a table, newest first.
    rows = [words(row) for row in select(response, ".table-scroll tr")]
    assert rows == [
        "Date Result (cells/µL) Status",
        "9 Nov 2026 850 Sent to your care team for review",
        "8 Oct 2026 2,500 Recorded",
    ]


@pytest.mark.usefixtures("alice_therapy")
def test_no_chart_until_a_result_is_recorded(alice_client: Client) -> None:
    response = alice_client.get(URL)

    assert select(response, '[role="img"]') == []
    assert "Your results will be shown here once you record one." in words(response)


# --- recording a result ----------------------------------------------------------------------


@pytest.mark.usefixtures("alice_therapy")
def test_the_form_offers_each_open_test_and_an_extra_one(
    alice_client: Client, alice: User, anc_rule: LabRule
) -> None:
    new_result(alice, anc_rule, month=0, value=2500, taken_on=datetime.date(2026, 10, 8))

    options = _due_options(alice_client.get(URL))

    assert options == [f"{anc_rule.pk}:{month}" for month in (1, 2, 3, 6, 9, 12)] + [
        f"{anc_rule.pk}:extra"
    ]


@pytest.mark.usefixtures("alice_therapy")
def test_a_low_count_is_saved_and_sent_for_review(
    alice_client: Client, alice: User, anc_rule: LabRule
) -> None:
    response = _record(alice_client, anc_rule, value="850")

    [result] = _results_of(alice)
    assert response.status_code == 302
    # The address of the result names the patient.
    assert response["Location"] == f"/p/{own_patient(alice).uuid}/labs/results/{result.uuid}/"
    assert result.entered_by == alice
    assert result.rule == anc_rule
    assert result.due_month == 1
    assert result.taken_on == datetime.date(2026, 11, 17)
    assert result.value == Decimal(850)
    assert result.entered_value == Decimal(850)
    assert result.entered_unit == LabResult.Unit.CELLS_PER_UL
    assert result.needs_review is True
    assert result.reviewed_at is None
    assert "Sent to your care team for review" in words(alice_client.get(response["Location"]))


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize(
    ("entered", "cells", "flagged"),
    [("0.85", Decimal(850), True), ("2.5", Decimal(2500), False), ("1", Decimal(1000), False)],
)
def test_a_count_in_billions_per_litre_is_kept_in_cells_per_microlitre(
    alice_client: Client,
    alice: User,
    anc_rule: LabRule,
    entered: str,
    cells: Decimal,
    flagged: bool,
) -> None:
    _record(alice_client, anc_rule, value=entered, unit="giga_l")

    [result] = _results_of(alice)
    assert result.value == cells
    assert result.entered_value == Decimal(entered)
    assert result.entered_unit == LabResult.Unit.GIGA_PER_L
    assert result.needs_review is flagged


@pytest.mark.usefixtures("alice_therapy")
def test_a_count_at_the_review_line_is_not_flagged(
    alice_client: Client, alice: User, anc_rule: LabRule
) -> None:
    response = _record(alice_client, anc_rule, value="1000")

    [result] = _results_of(alice)
    assert result.needs_review is False
    assert "Sent to your care team" not in words(alice_client.get(response["Location"]))


@pytest.mark.usefixtures("alice_therapy")
def test_a_recorded_test_moves_to_done_and_leaves_the_form(
    alice_client: Client, anc_rule: LabRule
) -> None:
    _record(alice_client, anc_rule, due=f"{anc_rule.pk}:1", taken_on="2026-11-10")

    response = alice_client.get(URL)

    assert "ANC at month 1: done on 10 November 2026" in section_words(response, "done-heading")
    assert "month 1" not in section_words(response, "overdue-heading")
    assert f"{anc_rule.pk}:1" not in _due_options(response)


@pytest.mark.usefixtures("alice_therapy")
def test_extra_tests_can_be_recorded_more_than_once(
    alice_client: Client, alice: User, anc_rule: LabRule
) -> None:
    _record(
        alice_client, anc_rule, due=f"{anc_rule.pk}:extra", taken_on="2026-11-01", value="1800"
    )
    _record(
        alice_client, anc_rule, due=f"{anc_rule.pk}:extra", taken_on="2026-11-15", value="2000"
    )

    results = sorted(_results_of(alice), key=lambda r: r.taken_on)
    assert [(r.due_month, r.value) for r in results] == [(None, 1800), (None, 2000)]
    # An extra test answers no scheduled one: month 1 is still overdue.
    assert "ANC at month 1" in section_words(alice_client.get(URL), "overdue-heading")


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": "-5"}, "A count cannot be below zero"),
        ({"value": "-0.5", "unit": "giga_l"}, "A count cannot be below zero"),
        ({"value": "150000"}, "far too large for a neutrophil count"),
        ({"value": "100000.5"}, "Counts in cells/µL are whole numbers"),
        ({"value": "2.5"}, "Counts in cells/µL are whole numbers"),
        ({"value": "150", "unit": "giga_l"}, "That is too large for ×10⁹/L"),
        ({"value": "2500", "unit": "giga_l"}, "That is too large for ×10⁹/L"),
        ({"value": "lots"}, "Enter a number."),
        ({"value": ""}, "This field is required."),
        ({"unit": "mmol_l"}, "Select a valid choice"),
        ({"taken_on": "2026-11-19"}, "The test date is in the future"),
        ({"taken_on": "17/11/2026"}, "Enter a valid date."),
        ({"due": "999:1"}, "Choose one of the tests in the list."),
        ({"due": "{rule}:4"}, "Choose one of the tests in the list."),
        ({"due": "{rule}:"}, "Choose one of the tests in the list."),
    ],
)
def test_a_wrong_result_is_refused_with_a_message_and_nothing_is_saved(
    alice_client: Client, anc_rule: LabRule, changes: dict[str, str], message: str
) -> None:
    changes = {key: value.replace("{rule}", str(anc_rule.pk)) for key, value in changes.items()}

    response = _record(alice_client, anc_rule, **changes)

    assert response.status_code == 200
    assert message in _form_words(response)
    assert LabResult.objects.count() == 0


@pytest.mark.usefixtures("alice_therapy")
def test_a_second_result_for_the_same_scheduled_test_is_refused(
    alice_client: Client, alice: User, anc_rule: LabRule
) -> None:
    first = new_result(alice, anc_rule, month=1, value=2500, taken_on=datetime.date(2026, 11, 9))

    response = _record(alice_client, anc_rule, due=f"{anc_rule.pk}:1", value="800")

    assert response.status_code == 200
    assert "A result for this test is already recorded." in _form_words(response)
    assert _results_of(alice) == [first]
    first.refresh_from_db()
    assert first.value == Decimal(2500)


@pytest.mark.parametrize(
    ("zone", "utc_moment", "accepted"),
    [
        # 00:30 on 19 November in Tokyo while it is still the 18th in UTC.
        ("Asia/Tokyo", datetime.datetime(2026, 11, 18, 15, 30, tzinfo=datetime.UTC), True),
        # 22:00 on 18 November in New York while it is already the 19th in UTC.
        ("America/New_York", datetime.datetime(2026, 11, 19, 3, 0, tzinfo=datetime.UTC), False),
    ],
)
def test_a_future_test_date_is_judged_by_the_patients_own_calendar(
    alice_client: Client,
    alice: User,
    make_therapy: MakeTherapy,
    anc_rule: LabRule,
    clock: time_machine.Traveller,
    zone: str,
    utc_moment: datetime.datetime,
    accepted: bool,
) -> None:
    make_therapy(alice, time_zone=zone)
    clock.move_to(utc_moment)

    _record(alice_client, anc_rule, taken_on="2026-11-19")

    assert bool(_results_of(alice)) is accepted


# --- whose page ------------------------------------------------------------------------------


@pytest.mark.usefixtures("alice_therapy")
def test_bob_sees_his_own_dates_and_none_of_alices_results(
    bob_client: Client, alice: User, bob_therapy: Therapy, anc_rule: LabRule
) -> None:
    alices = new_result(alice, anc_rule, month=1, value=850, taken_on=datetime.date(2026, 11, 9))

    response = bob_client.get(URL)

    assert str(alices.uuid) not in response.content.decode()
    assert "No results recorded yet." in section_words(response, "done-heading")
    assert select(response, '[role="img"]') == []
    month_3 = bob_therapy.start_date + relativedelta(months=3)
    assert f"ANC at month 3: {month_3:{LONG_DATE}}" in words(response)


@pytest.mark.usefixtures("alice_therapy", "bob_therapy")
def test_bob_cannot_record_a_result_for_alice(
    bob_client: Client, alice: User, bob: User, anc_rule: LabRule
) -> None:
    _record(bob_client, anc_rule, value="850")

    assert _results_of(alice) == []
    [bobs] = _results_of(bob)
    assert (bobs.value, bobs.entered_by) == (Decimal(850), bob)


@pytest.mark.usefixtures("clock")
def test_an_account_without_a_patient_is_sent_to_set_one_up(
    alice_client: Client, anakinra: Medicine
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/setup/"


@pytest.mark.usefixtures("clock")
def test_a_medicine_without_blood_tests_has_none_to_do_or_record(
    alice_client: Client,
    alice: User,
    make_therapy: MakeTherapy,
    weekly_pill: Medicine,
    anc_rule: LabRule,
) -> None:
    make_therapy(
        alice, RA, "15", medicine=weekly_pill, regimen=weekly_pill.regimens.get(), weekdays=[2]
    )

    response = alice_client.get(URL)

    assert response.status_code == 200
    assert "Nothing overdue." in section_words(response, "overdue-heading")
    assert "Nothing else scheduled." in section_words(response, "upcoming-heading")
    assert select(response, "#record form") == []
    assert (
        "No blood tests are scheduled for your medicines, so there is no result to record."
        in section_words(response, "record-heading")
    )
    # A result posted anyway names no test of this patient's: nothing is saved.
    assert _record(alice_client, anc_rule, due=f"{anc_rule.pk}:extra").status_code == 200
    assert _results_of(alice) == []


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize("history", [10, 200])
def test_queries_do_not_grow_with_the_history(
    alice_client: Client,
    alice: User,
    anc_rule: LabRule,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    history: int,
) -> None:
    first_day = datetime.date(2026, 1, 1)
    new_result(alice, anc_rule, month=0, value=2500, taken_on=datetime.date(2026, 10, 8))
    for number in range(history - 1):
        taken_on = first_day + datetime.timedelta(days=number % 300)
        new_result(alice, anc_rule, month=None, value=1500 + number, taken_on=taken_on)

    # session, user, the account's care relationships with their patients, the therapies
    # with medicine and regimen, their injection sites, their lab rules, the patient's
    # weights, the results with their rules: none of them per result.
    with django_assert_max_num_queries(8):
        response = alice_client.get(URL)

    assert response.status_code == 200
    assert len(select(response, ".chart circle.chart__point")) == history


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_not_allowed(alice_client: Client, method: str) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, method: str) -> None:
    assert is_login_redirect(getattr(client, method)(URL), URL)


# --- caregivers ------------------------------------------------------------------------------


def test_a_caregiver_records_a_result_for_the_patient_and_it_says_who(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy, anc_rule: LabRule
) -> None:
    response = _record(una_client, anc_rule, _labs_of(mia), value="850")

    [result] = _results_of(mia)
    assert response.status_code == 302
    assert response["Location"] == f"/p/{mia.uuid}/labs/results/{result.uuid}/"
    assert (result.entered_by, result.due_month, result.value) == (una, 1, Decimal(850))
    assert result.needs_review is True
    page = words(una_client.get(response["Location"]))
    assert "Sent to Mia’s care team for review." in page
    assert "Logged by Una on 18 November 2026 at 10:00 AM" in page


@pytest.mark.usefixtures("clock")
def test_a_parent_sees_each_childs_own_tests(
    sam_client: Client,
    mia: Patient,
    leo: Patient,
    mia_therapy: Therapy,
    make_therapy: MakeTherapy,
    anc_rule: LabRule,
) -> None:
    leo_started = datetime.date(2026, 9, 1)
    make_therapy(leo, DIRA, "1", weight_kg="22", start_date=leo_started)
    new_result(
        leo, anc_rule, month=1, value=850, taken_on=datetime.date(2026, 10, 1), needs_review=True
    )

    mias = sam_client.get(_labs_of(mia))
    leos = sam_client.get(_labs_of(leo))

    mia_month_1 = mia_therapy.start_date + relativedelta(months=1)
    assert f"ANC at month 1: {mia_month_1:{LONG_DATE}}" in section_words(mias, "overdue-heading")
    assert "No results recorded yet." in section_words(mias, "done-heading")
    assert "Mia’s results will be shown here once one is recorded." in words(mias)
    assert "ANC at month 1: done on 1 October 2026" in section_words(leos, "done-heading")
    assert "1 October 2026" not in words(mias)
    assert "Leo’s results over time" in words(leos)
    assert "Sent to Leo’s care team for review" in words(select_one(leos, ".table-scroll"))


@pytest.mark.usefixtures("mia_therapy")
def test_a_result_recorded_at_one_childs_address_is_that_childs(
    sam_client: Client,
    sam: User,
    mia: Patient,
    leo: Patient,
    leo_therapy: Therapy,
    anc_rule: LabRule,
) -> None:
    sam_client.get(_labs_of(mia))  # Mia was viewed last: the short address shows her

    _record(sam_client, anc_rule, URL, due=f"{anc_rule.pk}:extra")
    _record(sam_client, anc_rule, _labs_of(leo))

    assert [(r.due_month, r.entered_by) for r in _results_of(leo)] == [(1, sam)]
    assert [(r.due_month, r.entered_by) for r in _results_of(mia)] == [(None, sam)]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_caregiver_whose_access_ended_gets_404_and_saves_nothing(
    una_client: Client,
    una: User,
    mia: Patient,
    mia_therapy: Therapy,
    anc_rule: LabRule,
    method: str,
) -> None:
    end_access(una, mia)

    if method == "get":
        response = una_client.get(_labs_of(mia))
    else:
        response = _record(una_client, anc_rule, _labs_of(mia))

    assert response.status_code == 404
    assert _results_of(mia) == []


@pytest.mark.usefixtures("alice_therapy", "bob_therapy")
@pytest.mark.parametrize("method", ["get", "post"])
def test_bob_gets_404_at_alices_address_and_saves_nothing(
    bob_client: Client, alice: User, bob: User, anc_rule: LabRule, method: str
) -> None:
    url = _labs_of(own_patient(alice))

    response = bob_client.get(url) if method == "get" else _record(bob_client, anc_rule, url)

    assert response.status_code == 404
    assert LabResult.objects.count() == 0


# --- the patient's own calendar --------------------------------------------------------------


@pytest.mark.usefixtures("clock")
def test_due_words_count_from_the_patients_day_where_utc_is_still_the_day_before(
    alice_client: Client, alice: User, make_therapy: MakeTherapy
) -> None:
    # NOW, 15:00 UTC on the 18th, is 05:00 on the 19th in Kiritimati (UTC+14).
    month_1 = datetime.date(2026, 11, 19)
    make_therapy(
        alice, start_date=month_1 - relativedelta(months=1), time_zone="Pacific/Kiritimati"
    )

    response = alice_client.get(URL)

    assert "ANC at month 1: 19 November 2026, due today" in section_words(response, "soon-heading")
    assert "ANC before the first dose: 19 October 2026, 31 days overdue" in section_words(
        response, "overdue-heading"
    )
