"""/doses/: every entry newest first, 20 a page, and a month calendar counting doses."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from pytest_django.asserts import assertContains

from monographs.models import InjectionSite
from portal.models import User
from tests.pages import Markup, attr, calendar_statuses, select, select_one, words
from tests.world import TODAY, BulkDoses, LogDose, MakeTherapy, end_access, new_york
from tracking.models import DoseLog, Patient, Therapy

URL = "/doses/"
Area = InjectionSite.BodyArea


def _list_of(patient: Patient) -> str:
    return f"/p/{patient.uuid}/doses/"


def _entry_times(page: Markup) -> list[datetime.datetime]:
    """When each entry in the list was taken, as its <time datetime> says."""
    return [
        datetime.datetime.fromisoformat(attr(time, "datetime"))
        for time in select(page, ".entry time")
    ]


def _entries(page: Markup) -> list[str]:
    return [words(entry) for entry in select(page, ".entry")]


def _month(page: Markup) -> str:
    """The month the calendar shows."""
    return words(select_one(page, "#calendar-heading"))


def _month_links(page: Markup) -> dict[str, str]:
    """The calendar's links to other months: words -> href."""
    return {words(link): attr(link, "href") for link in select(page, ".calendar-nav a")}


def _calendar_counts(page: Markup) -> dict[int, str]:
    """Day of the month -> the count the cell shows beside its status ("1 of 2")."""
    counts = {}
    for cell in select(page, ".calendar__day:not(.calendar__day--other)"):
        count = cell.select_one(".calendar__count")
        if count is not None:
            counts[int(words(select_one(cell, ".calendar__date")))] = words(count).strip("()")
    return counts


def _log_days(therapy: Therapy, log_dose: LogDose, count: int) -> list[DoseLog]:
    """One dose a day at 08:00 New York time, the newest yesterday."""
    return [
        log_dose(therapy, new_york(2026, 11, 17, 8) - datetime.timedelta(days=back))
        for back in range(count)
    ]


def test_history_lists_entries_newest_first_in_the_patients_time(
    alice_client: Client,
    alice_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 16, 8, 5), site=sites[Area.LEFT_THIGH])
    log_dose(alice_therapy, new_york(2026, 11, 17, 9), status="skipped", skip_reason="Flu")
    log_dose(alice_therapy, new_york(2026, 11, 18, 7, 40), site=sites[Area.RIGHT_THIGH], note="ok")

    response = alice_client.get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>Your dose history</h1>", html=True)
    assert _entry_times(response) == [
        new_york(2026, 11, 18, 7, 40),
        new_york(2026, 11, 17, 9),
        new_york(2026, 11, 16, 8, 5),
    ]
    newest, skipped, oldest = _entries(response)
    assert newest.startswith(
        "Taken Wed 18 Nov 2026, 7:40 AM 100 mg, Front of right thigh Logged by Alice Note: ok"
    )
    assert skipped.startswith("Skipped Tue 17 Nov 2026, 9:00 AM Flu Logged by Alice")
    assert oldest.startswith(
        "Taken Mon 16 Nov 2026, 8:05 AM 100 mg, Front of left thigh Logged by Alice"
    )


def test_history_is_paginated_20_a_page(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    doses = _log_days(alice_therapy, log_dose, 25)  # newest first

    first = alice_client.get(URL)
    second = alice_client.get(URL, {"page": 2})

    assert _entry_times(first) == [dose.taken_at for dose in doses[:20]]
    assert _entry_times(second) == [dose.taken_at for dose in doses[20:]]
    assert words(select_one(first, ".pagination")) == "Page 1 of 2 Older"
    assert attr(select_one(first, ".pagination a"), "href") == "?page=2&month=2026-11"
    assert words(select_one(second, ".pagination")) == "Newer Page 2 of 2"
    # A page past the end, or not a number, still shows a page.
    assert _entry_times(alice_client.get(URL, {"page": 99})) == _entry_times(second)
    assert _entry_times(alice_client.get(URL, {"page": "x"})) == _entry_times(first)


def test_history_without_entries_invites_a_first_one(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    page = words(alice_client.get(URL))

    assert "Nothing logged yet." in page
    assert "Page 1" not in page


def test_calendar_shows_this_month_taken_skipped_missed_due_and_future(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 2, 8))
    log_dose(alice_therapy, new_york(2026, 11, 3, 8), status="skipped", skip_reason="Away")
    for day in range(4, 18):
        if day != 10:
            log_dose(alice_therapy, new_york(2026, 11, day, 8))

    response = alice_client.get(URL)

    days = calendar_statuses(response)
    assert sorted(days) == list(range(1, 31))
    assert days[1] == "missed"
    assert days[2] == "taken"
    assert days[3] == "skipped"
    assert days[10] == "missed"
    assert days[17] == "taken"
    assert days[18] == "due"
    # Days still to come have nothing due yet.
    assert {days[day] for day in range(19, 31)} == {"none"}
    assert _month(response) == "November 2026"
    assert _calendar_counts(response) == {}  # once a day: no "1 of 1"


def test_calendar_counts_the_doses_of_a_twice_daily_day(
    sam_client: Client,
    una: User,
    mia: Patient,
    make_therapy: MakeTherapy,
    log_dose: LogDose,
) -> None:
    therapy = make_therapy(
        mia,
        "NOMID",
        "1",
        weight_kg="16",
        dose_times=["08:00", "20:00"],
        start_date=datetime.date(2026, 11, 14),
        someone_else_injects=True,
    )
    for day in (14, 15):
        log_dose(therapy, new_york(2026, 11, day, 8), by=una)
        log_dose(therapy, new_york(2026, 11, day, 20), by=una)
    log_dose(therapy, new_york(2026, 11, 16, 8))  # the evening dose was never logged
    log_dose(therapy, new_york(2026, 11, 17, 20, 10), status="skipped", skip_reason="Asleep")
    log_dose(therapy, new_york(2026, 11, 18, 8, 5))

    response = sam_client.get(_list_of(mia))

    assertContains(response, "<h1>Mia’s dose history</h1>", html=True)
    days = calendar_statuses(response)
    assert [days[day] for day in range(13, 20)] == [
        "none",
        "taken",
        "taken",
        "part",
        "missed",  # one skipped, one missed: nothing taken
        "due",
        "none",
    ]
    assert _calendar_counts(response) == {
        14: "2 of 2",
        15: "2 of 2",
        16: "1 of 2",
        17: "0 of 2",
        18: "1 of 2",
    }
    assert "Logged by Una" in _entries(response)[-1]


def test_calendar_of_an_earlier_month_by_query(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    # The therapy started on 9 October; before that no day is due.
    assert alice_therapy.start_date == datetime.date(2026, 10, 9)
    log_dose(alice_therapy, new_york(2026, 10, 9, 8))
    log_dose(alice_therapy, new_york(2026, 10, 31, 23, 30))  # still 31 October in New York

    response = alice_client.get(URL, {"month": "2026-10"})

    days = calendar_statuses(response)
    assert _month(response) == "October 2026"
    assert {days[day] for day in range(1, 9)} == {"none"}
    assert days[9] == "taken"
    assert days[10] == "missed"
    assert days[31] == "taken"
    assert _month_links(response) == {
        "Previous month: September 2026": "?month=2026-09",
        "Next month: November 2026": "?month=2026-11",  # up to this one
    }


def test_calendar_of_a_month_still_to_come_has_nothing_due(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.get(URL, {"month": "2027-01"})

    assert _month(response) == "January 2027"
    assert set(calendar_statuses(response).values()) == {"none"}


def test_calendar_has_no_next_month_after_this_one(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    assert _month_links(alice_client.get(URL)) == {
        "Previous month: October 2026": "?month=2026-10"
    }


@pytest.mark.parametrize("month", ["", "nonsense", "2026-13", "2026-1x"])
def test_an_unreadable_month_shows_this_month(
    alice_client: Client, alice_therapy: Therapy, month: str
) -> None:
    response = alice_client.get(URL, {"month": month})

    assert response.status_code == 200
    assert _month(response) == "November 2026"


@pytest.mark.parametrize("month", ["0001-01", "9999-12"])
def test_a_month_at_the_edge_of_the_calendar_does_not_break_the_page(
    alice_client: Client, alice_therapy: Therapy, month: str
) -> None:
    response = alice_client.get(URL, {"month": month})

    assert response.status_code == 200
    assert _month(response) == "November 2026"


def test_a_late_evening_dose_is_taken_on_its_new_york_day_in_the_calendar(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    # 23:30 on 17 November in New York = 04:30 on the 18th in UTC.
    dose = log_dose(alice_therapy, datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC))

    days = calendar_statuses(alice_client.get(URL))

    assert dose.local_date == datetime.date(2026, 11, 17)
    assert days[17] == "taken"
    assert days[18] == "due"


def test_a_patient_on_two_medicines_sees_which_each_entry_is(
    alice_client: Client,
    alice_therapy: Therapy,
    alice_pill: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 11, 8))
    log_dose(alice_pill, new_york(2026, 11, 11, 9, 10))
    log_dose(alice_therapy, new_york(2026, 11, 12, 8))

    response = alice_client.get(URL)

    assert [entry.split(" Edit")[0] for entry in _entries(response)] == [
        "Taken Thu 12 Nov 2026, 8:00 AM Anakinra (Kineret): 100 mg, Front of right thigh "
        "Logged by Alice",
        "Taken Wed 11 Nov 2026, 9:10 AM Weeklyzumab: 15 mg Logged by Alice",
        "Taken Wed 11 Nov 2026, 8:00 AM Anakinra (Kineret): 100 mg, Front of left thigh "
        "Logged by Alice",
    ]
    days = calendar_statuses(response)
    # Wednesday the 4th had both due and none taken; Thursday the 5th only the anakinra.
    assert (days[4], days[5], days[11], days[12]) == ("missed", "missed", "taken", "taken")
    assert _calendar_counts(response)[11] == "2 of 2"
    assert 5 not in _calendar_counts(response)


def test_an_ended_therapy_keeps_its_history_readable(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 2, 8), note="last weeks")
    alice_therapy.end_date = datetime.date(2026, 11, 3)
    alice_therapy.save(update_fields=["end_date"])

    response = alice_client.get(URL)

    days = calendar_statuses(response)
    assert (days[1], days[2], days[3]) == ("missed", "taken", "missed")
    assert {days[day] for day in range(4, 31)} == {"none"}
    assert "Note: last weeks" in _entries(response)[0]


def test_bob_sees_only_his_own_history(
    bob_client: Client,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), note="alice only")
    log_dose(bob_therapy, new_york(2026, 11, 16, 9))

    response = bob_client.get(URL)

    assert "alice only" not in response.content.decode()
    assert _entry_times(response) == [new_york(2026, 11, 16, 9)]
    assert calendar_statuses(response)[17] == "missed"


def test_a_parent_sees_each_childs_history_on_its_own_address(
    sam_client: Client,
    mia: Patient,
    leo: Patient,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(mia_therapy, new_york(2026, 11, 17, 8), note="mia's")
    log_dose(leo_therapy, new_york(2026, 11, 17, 7, 30), note="leo's")

    mias = sam_client.get(_list_of(mia))
    leos = sam_client.get(_list_of(leo))

    assert [entry.split("Note: ")[1].split(" ")[0] for entry in _entries(mias)] == ["mia's"]
    assert [entry.split("Note: ")[1].split(" ")[0] for entry in _entries(leos)] == ["leo's"]
    assert "Showing Leo" in words(select_one(leos, "nav.switcher"))
    # The short address shows the child viewed last.
    assert "Leo’s dose history" in words(sam_client.get(URL))


def test_another_patients_history_is_404(
    bob_client: Client, alice_patient: Patient, alice_therapy: Therapy, bob_therapy: Therapy
) -> None:
    response = bob_client.get(_list_of(alice_patient))

    assert response.status_code == 404
    assert "Alice" not in response.content.decode()


def test_another_familys_child_is_404(
    alice_client: Client,
    alice_therapy: Therapy,
    mia: Patient,
    mia_therapy: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(mia_therapy, new_york(2026, 11, 17, 8), note="mia's")

    response = alice_client.get(_list_of(mia))

    assert response.status_code == 404
    assert "mia's" not in response.content.decode()


def test_a_caregiver_whose_access_ended_gets_404_for_the_childs_history(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy
) -> None:
    assert una_client.get(_list_of(mia)).status_code == 200
    end_access(una, mia)

    assert una_client.get(_list_of(mia)).status_code == 404
    assert una_client.get(URL)["Location"] == "/setup/"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_history_rejects_other_methods(
    alice_client: Client, alice_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_history_sends_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
    assert client.get(URL)["Location"] == "/accounts/login/?next=/doses/"


@pytest.mark.parametrize("count", [10, 1000])
def test_history_query_count_does_not_grow_with_the_log(
    alice_client: Client,
    alice_therapy: Therapy,
    make_bulk_doses: BulkDoses,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    make_bulk_doses(alice_therapy, count)

    # 1 session, 2 user, 3 the account's patients; the patient's therapies: 4 with
    # regimen and medicine, 5 injection sites, 6 lab rules, 7 weights; 8 the doses of
    # the calendar's weeks, 9 count for the paginator, 10 the page of entries with their
    # sites, medicines and who logged them.
    with django_assert_max_num_queries(10):
        response = alice_client.get(URL)

    assert response.status_code == 200
    assert len(_entry_times(response)) == min(20, count)
    assert ("Page 1 of 50" in words(response)) is (count == 1000)
    assert calendar_statuses(response)[TODAY.day - 1] == "taken"


@pytest.mark.parametrize("count", [10, 1000])
def test_a_childs_history_query_count_does_not_grow_with_the_log(
    sam_client: Client,
    mia: Patient,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
    make_bulk_doses: BulkDoses,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    make_bulk_doses(mia_therapy, count)
    sam_client.get(_list_of(mia))  # the first visit remembers Mia in the session, once

    # The ten of the history page, whoever acts for the patient.
    with django_assert_max_num_queries(10):
        response = sam_client.get(_list_of(mia))

    assert len(_entry_times(response)) == min(20, count)
    # make_bulk_doses fills the morning slot only.
    assert calendar_statuses(response)[TODAY.day - 1] == "part"
