"""The dashboard "/": today's dose, one-tap log, next site, 14-day strip, adherence."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from pytest_django.asserts import assertContains

from monographs.models import InjectionSite
from portal.models import User
from tests.pages import (
    attr,
    calendar_statuses,
    select,
    select_one,
    strip_statuses,
    top_elements,
    words,
)
from tests.world import KIDNEY, TODAY, BulkDoses, LogDose, MakeTherapy, new_york
from tracking.models import DoseLog, Therapy

URL = "/"
Area = InjectionSite.BodyArea


def _days_back(count: int) -> list[datetime.date]:
    """The last `count` days, oldest first, ending today."""
    return [TODAY - datetime.timedelta(days=back) for back in range(count - 1, -1, -1)]


def test_dashboard_shows_todays_dose_as_due_with_the_next_site(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>Hello, Alice</h1>", html=True)
    card = select_one(response, "#today-card")
    assert "Today, Wednesday 18 November" in words(card)
    assert "Your dose is due today, usually at 8:00 AM." in words(card)
    assert "Next injection site: Front of left thigh" in words(card)
    # The one tap works as a plain form, and htmx posts the same form.
    one_tap = select_one(card, 'form[action="/doses/quick/"]')
    assert attr(one_tap, "hx-post") == "/doses/quick/"
    assert "100 mg, Front of left thigh" in words(select_one(one_tap, "button"))


def test_dashboard_shows_a_dose_taken_today_when_and_where(
    alice_client: Client,
    alice_therapy: Therapy,
    log_dose: LogDose,
    sites: dict[str, InjectionSite],
) -> None:
    dose = log_dose(alice_therapy, new_york(2026, 11, 18, 8, 15), site=sites[Area.RIGHT_THIGH])

    response = alice_client.get(URL)

    card = select_one(response, "#today-card")
    assert "Taken at 8:15 AM: 100 mg, Front of right thigh" in words(card)
    [edit] = select(card, f'a[href="/doses/{dose.uuid}/edit/"]')
    assert words(edit) == "Edit this entry"
    assert "Your dose is due today" not in words(response)
    # Once today's dose is in, the one-tap button goes; the next site moves on.
    assert select(response, '[action="/doses/quick/"]') == []
    assert "Next injection site: Front of left thigh" in words(card)


def test_dashboard_shows_a_skipped_dose_with_its_reason(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 8), status="skipped", skip_reason="Fever")

    page = words(alice_client.get(URL))

    assert "Skipped: Fever" in page
    assert "Your dose is due today" not in page


def test_dashboard_on_an_off_day_says_no_dose_is_due(
    alice_client: Client, alice: User, make_therapy: MakeTherapy
) -> None:
    make_therapy(alice, KIDNEY, "100", start_date=TODAY - datetime.timedelta(1))

    assert "No dose is due today on your schedule." in words(alice_client.get(URL))
    assert [status for _, status in strip_statuses(alice_client.get(URL))][-2:] == [
        "missed",
        "none",
    ]


def test_strip_shows_the_last_14_days_taken_skipped_missed_and_adherence(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    taken = {TODAY - datetime.timedelta(days=back) for back in (1, 2, 4, 20)}
    skipped = {TODAY - datetime.timedelta(days=3)}
    for day in taken:
        log_dose(
            alice_therapy, datetime.datetime.combine(day, datetime.time(9), alice_therapy.zone)
        )
    for day in skipped:
        log_dose(
            alice_therapy,
            datetime.datetime.combine(day, datetime.time(9), alice_therapy.zone),
            status="skipped",
            skip_reason="travel",
        )

    response = alice_client.get(URL)

    expected = []
    for day in _days_back(14):
        if day in taken:
            expected.append((day.day, "taken"))
        elif day in skipped:
            expected.append((day.day, "skipped"))
        elif day == TODAY:
            expected.append((day.day, "due"))
        else:
            expected.append((day.day, "missed"))
    assert strip_statuses(response) == expected
    # 29 past dose days in the window (today is not counted until logged), 4 taken.
    assert round(100 * 4 / 29) == 14
    assert "Doses taken on 14% of dose days in the last 30 days." in words(response)


def test_adherence_counts_only_days_since_the_start(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, log_dose: LogDose
) -> None:
    therapy = make_therapy(alice, start_date=TODAY - datetime.timedelta(days=3))
    for back in (3, 1):
        day = TODAY - datetime.timedelta(days=back)
        log_dose(therapy, datetime.datetime.combine(day, datetime.time(9), therapy.zone))

    response = alice_client.get(URL)

    # Days 3 and 1 ago taken, 2 ago missed; today is still due.
    assert "Doses taken on 67% of dose days" in words(response)
    assert [status for _, status in strip_statuses(response)][-5:] == [
        "none",
        "taken",
        "missed",
        "taken",
        "due",
    ]


def test_adherence_waits_for_a_first_dose_day(
    alice_client: Client, alice: User, make_therapy: MakeTherapy
) -> None:
    make_therapy(alice, start_date=TODAY)

    page = words(alice_client.get(URL))

    assert "Your adherence will show once you have logged some doses." in page


def test_dashboard_shows_only_the_patients_own_doses(
    bob_client: Client,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 8, 15), note="alice's")

    response = bob_client.get(URL)

    assertContains(response, "<h1>Hello, Bob</h1>", html=True)
    assert "8:15" not in response.content.decode()  # nowhere, not even in an attribute
    assert "Your dose is due today" in words(response)
    assert "Next injection site: Front of left thigh" in words(response)


def test_htmx_request_gets_only_the_today_card(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.get(URL, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    [card] = top_elements(response)  # the card alone, not a whole page
    assert (card.name, card.get("id")) == ("section", "today-card")
    assert "Last 14 days" not in words(response)
    assert "Your dose is due today" in words(card)
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_dashboard_rejects_other_methods(
    alice_client: Client, alice_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_dashboard_sends_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_htmx_request_from_an_expired_session_gets_a_client_redirect(
    client: Client, db: None
) -> None:
    response = client.get(URL, HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == "/accounts/login/?next=/"


def test_a_late_evening_dose_counts_for_the_new_york_day(
    alice_client: Client,
    alice_therapy: Therapy,
    clock: time_machine.Traveller,
) -> None:
    # 23:30 on Tuesday 17 November in New York is already 04:30 on the 18th in UTC.
    clock.move_to(datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC))

    response = alice_client.post("/doses/quick/", {"submission_id": "9" * 32})

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert dose.local_date == datetime.date(2026, 11, 17)
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC)
    evening = alice_client.get(URL)
    assert "Today, Tuesday 17 November" in words(evening)
    assert "Taken at 11:30 PM" in words(evening)
    assert strip_statuses(evening)[-1] == (17, "taken")
    calendar = calendar_statuses(alice_client.get("/doses/"))
    assert (calendar[17], calendar[18]) == ("taken", "none")

    # The next morning in New York: yesterday is taken, not missed; today is due.
    clock.move_to(new_york(2026, 11, 18, 9))
    morning = alice_client.get(URL)
    assert strip_statuses(morning)[-2:] == [(17, "taken"), (18, "due")]
    assert "Your dose is due today" in words(morning)
    calendar = calendar_statuses(alice_client.get("/doses/"))
    assert (calendar[17], calendar[18]) == ("taken", "due")


@pytest.mark.parametrize("count", [10, 1000])
def test_dashboard_query_count_does_not_grow_with_the_log(
    alice_client: Client,
    alice_therapy: Therapy,
    make_bulk_doses: BulkDoses,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    make_bulk_doses(alice_therapy, count)

    # 1 session, 2 user, 3 therapy with regimen and medicine, 4 the medicine's
    # injection sites, 5 last use of each site, 6 status of each day in the 30-day
    # window, 7 today's doses with their sites; the blood-test card: 8 lab results,
    # 9 lab rules; the side-effect card: 10 latest report, 11 reports waiting.
    with django_assert_max_num_queries(11):
        response = alice_client.get(URL)

    assert response.status_code == 200
    # The 29 days before today are in the window; the rows fill the latest of them.
    adherence = round(100 * min(count, 29) / 29)
    assert f"Doses taken on {adherence}% of dose days" in words(response)


@pytest.mark.parametrize("count", [10, 1000])
def test_dashboard_with_todays_prompt_query_count_does_not_grow_with_the_log(
    alice_client: Client,
    alice_therapy: Therapy,
    make_bulk_doses: BulkDoses,
    log_dose: LogDose,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    make_bulk_doses(alice_therapy, count)
    log_dose(alice_therapy, new_york(TODAY.year, TODAY.month, TODAY.day, 8))

    # The eleven of the dashboard, then for today's side-effect check: 12 whether
    # today's dose has an answer, 13 the side effects to ask about.
    with django_assert_max_num_queries(13):
        response = alice_client.get(URL)

    assert "Since your last dose, have you had any of these?" in words(response)
