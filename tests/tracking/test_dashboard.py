"""Today ("/" and /p/<uuid>/): each slot of each therapy, its one-tap log, the strip, adherence."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine
from bs4 import Tag
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from pytest_django.asserts import assertContains

from monographs.models import InjectionSite, Medicine
from portal.models import User
from tests.pages import (
    Markup,
    attr,
    calendar_statuses,
    section_words,
    select,
    select_one,
    strip_statuses,
    top_elements,
    words,
)
from tests.world import (
    KIDNEY,
    NOMID,
    TODAY,
    BulkDoses,
    LogDose,
    MakeTherapy,
    end_access,
    new_york,
)
from tracking.models import DoseLog, Patient, Therapy

URL = "/"
Area = InjectionSite.BodyArea


def _days_back(count: int) -> list[datetime.date]:
    """The last `count` days, oldest first, ending today."""
    return [TODAY - datetime.timedelta(days=back) for back in range(count - 1, -1, -1)]


def _at(therapy: Therapy, day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), therapy.patient.zone)


def _today_of(patient: Patient) -> str:
    return f"/p/{patient.uuid}/"


def _card(page: Markup) -> Tag:
    return select_one(page, "#today-card")


def _slots(page: Markup) -> list[str]:
    """The words of each slot on Today, in page order."""
    return [words(slot) for slot in select(_card(page), "li.slot")]


def _one_taps(page: Markup) -> list[Tag]:
    return select(_card(page), 'form[action$="/doses/quick/"]')


def _hidden(form: Tag, name: str) -> str:
    return attr(select_one(form, f'input[type="hidden"][name="{name}"]'), "value")


def _strip_counts(page: Markup) -> list[str]:
    """What each day of the strip says beside its status, oldest first: "1 of 2" or ""."""
    return [
        words(count).strip("()") if (count := day.select_one(".strip__count")) else ""
        for day in select(page, ".strip__day")
    ]


# --- one patient, one therapy ----------------------------------------------------------


def test_today_shows_the_slot_due_with_its_one_tap_form(
    alice_client: Client, alice_patient: Patient, alice_therapy: Therapy
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>Hello, Alice</h1>", html=True)
    card = _card(response)
    assert "Today, Wednesday 18 November" in words(card)
    assert _slots(response) == ["8:00 AM Due Log the 8:00 AM dose now 100 mg, Front of left thigh"]
    # The one tap works as a plain form, and htmx posts the same form; it names its slot.
    [one_tap] = _one_taps(response)
    quick = f"/p/{alice_patient.uuid}/doses/quick/"
    assert (attr(one_tap, "action"), attr(one_tap, "hx-post")) == (quick, quick)
    assert _hidden(one_tap, "therapy") == str(alice_therapy.uuid)
    assert _hidden(one_tap, "slot") == "2026-11-18T08:00"
    assert uuid.UUID(_hidden(one_tap, "submission_id"))


def test_a_slot_taken_today_says_when_where_and_who_logged_it(
    alice_client: Client,
    alice_patient: Patient,
    alice_therapy: Therapy,
    log_dose: LogDose,
    sites: dict[str, InjectionSite],
) -> None:
    dose = log_dose(alice_therapy, new_york(2026, 11, 18, 8, 15), site=sites[Area.RIGHT_THIGH])

    response = alice_client.get(URL)

    assert _slots(response) == [
        "8:00 AM Taken Taken at 8:15 AM: 100 mg, Front of right thigh, logged by Alice. "
        "Edit this entry"
    ]
    [edit] = select(_card(response), f'a[href="/p/{alice_patient.uuid}/doses/{dose.uuid}/edit/"]')
    assert words(edit) == "Edit this entry"
    # Once the slot is filled, its one-tap button goes.
    assert _one_taps(response) == []


def test_a_skipped_slot_shows_its_reason(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 8), status="skipped", skip_reason="Fever")

    response = alice_client.get(URL)

    assert _slots(response) == ["8:00 AM Skipped Skipped: Fever, logged by Alice. Edit this entry"]
    assert _one_taps(response) == []


def test_a_slot_missed_today_can_still_be_logged_late(
    alice_client: Client, alice_therapy: Therapy, clock: time_machine.Traveller
) -> None:
    # Four hours after 8:00 AM with nothing logged, the slot is missed.
    clock.move_to(new_york(2026, 11, 18, 12, 0))

    response = alice_client.get(URL)

    assert _slots(response) == [
        "8:00 AM Missed Log the 8:00 AM dose now 100 mg, Front of left thigh"
    ]


def test_today_on_an_off_day_says_no_dose_is_due(
    alice_client: Client, alice: User, make_therapy: MakeTherapy
) -> None:
    make_therapy(alice, KIDNEY, "100", start_date=TODAY - datetime.timedelta(1))

    response = alice_client.get(URL)

    assert "No dose is due today on the schedule." in words(_card(response))
    assert _slots(response) == []
    assert [status for _, status in strip_statuses(response)][-2:] == ["missed", "none"]


def test_strip_shows_the_last_14_days_taken_skipped_missed_and_adherence(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    taken = {TODAY - datetime.timedelta(days=back) for back in (1, 2, 4, 20)}
    skipped = {TODAY - datetime.timedelta(days=3)}
    for day in taken:
        log_dose(alice_therapy, _at(alice_therapy, day))
    for day in skipped:
        log_dose(alice_therapy, _at(alice_therapy, day), status="skipped", skip_reason="travel")

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
    # Once a day, no day needs a count.
    assert set(_strip_counts(response)) == {""}
    # 29 past doses due in the window (today's is not counted until logged), 4 taken.
    assert round(100 * 4 / 29) == 14
    assert "4 of 29 doses due in the last 30 days were taken (14%)." in words(response)


def test_adherence_counts_only_doses_since_the_start(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, log_dose: LogDose
) -> None:
    therapy = make_therapy(alice, start_date=TODAY - datetime.timedelta(days=3))
    for back in (3, 1):
        log_dose(therapy, _at(therapy, TODAY - datetime.timedelta(days=back)))

    response = alice_client.get(URL)

    # Days 3 and 1 ago taken, 2 ago missed; today is still due.
    assert "2 of 3 doses due in the last 30 days were taken (67%)." in words(response)
    assert [status for _, status in strip_statuses(response)][-5:] == [
        "none",
        "taken",
        "missed",
        "taken",
        "due",
    ]


def test_adherence_waits_for_a_first_dose_due(
    alice_client: Client, alice: User, make_therapy: MakeTherapy
) -> None:
    make_therapy(alice, start_date=TODAY)

    page = words(alice_client.get(URL))

    assert "Adherence will show once some doses are due." in page


def test_today_shows_only_the_patients_own_doses(
    bob_client: Client,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 8, 15), note="alice's")

    response = bob_client.get(URL)

    assertContains(response, "<h1>Hello, Bob</h1>", html=True)
    assert "8:15" not in response.content.decode()  # nowhere, not even in an attribute
    assert _slots(response) == ["8:00 AM Due Log the 8:00 AM dose now 100 mg, Front of left thigh"]
    [one_tap] = _one_taps(response)
    assert _hidden(one_tap, "therapy") == str(bob_therapy.uuid)


def test_htmx_request_gets_only_the_today_card(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.get(URL, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    [card] = top_elements(response)  # the card alone, not a whole page
    assert (card.name, card.get("id")) == ("section", "today-card")
    assert "Last 14 days" not in words(response)
    assert "Log the 8:00 AM dose now" in words(card)
    assert "HX-Request" in response["Vary"]


def test_the_medicines_card_links_each_current_medicine(
    alice_client: Client, alice_therapy: Therapy, alice_pill: Therapy
) -> None:
    text = section_words(alice_client.get(URL), "medicine-heading")

    assert text == (
        "Your medicines Read about Anakinra (Kineret) (8:00 AM, every day) "
        "Read about Weeklyzumab (9:00 AM on Wednesdays) Therapy details and schedules"
    )


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_today_rejects_other_methods(
    alice_client: Client, alice_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_today_sends_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
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
    alice_patient: Patient,
    alice_therapy: Therapy,
    clock: time_machine.Traveller,
) -> None:
    # 23:30 on Tuesday 17 November in New York is already 04:30 on the 18th in UTC.
    clock.move_to(datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC))
    [one_tap] = _one_taps(alice_client.get(URL))
    assert _hidden(one_tap, "slot") == "2026-11-17T08:00"

    response = alice_client.post(
        attr(one_tap, "action"),
        {name: _hidden(one_tap, name) for name in ("therapy", "slot", "submission_id")},
    )

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
    assert _slots(morning)[0].startswith("8:00 AM Due Log the 8:00 AM dose now")
    calendar = calendar_statuses(alice_client.get("/doses/"))
    assert (calendar[17], calendar[18]) == ("taken", "due")


# --- a parent: sam, with mia (twice a day) and leo (once a day) -------------------------


def test_a_parent_sees_each_slot_of_the_day_the_next_due_first(
    sam_client: Client, mia: Patient, mia_therapy: Therapy, leo_therapy: Therapy
) -> None:
    response = sam_client.get(_today_of(mia))

    assert response.status_code == 200
    assertContains(response, "<h1>Mia</h1>", html=True)
    # 10:00: the morning dose is due, the evening one comes later and has no button yet.
    assert _slots(response) == [
        "Morning, 8:00 AM Due Log the Morning, 8:00 AM dose now 16 mg, Front of left thigh",
        "Evening, 8:00 PM Later today Due at 8:00 PM.",
    ]
    [one_tap] = _one_taps(response)
    assert attr(one_tap, "action") == f"/p/{mia.uuid}/doses/quick/"
    assert _hidden(one_tap, "therapy") == str(mia_therapy.uuid)
    assert _hidden(one_tap, "slot") == "2026-11-18T08:00"


def test_after_the_morning_dose_the_evening_slot_comes_first_above_the_side_effect_check(
    sam_client: Client,
    una: User,
    mia: Patient,
    mia_therapy: Therapy,
    log_dose: LogDose,
    clock: time_machine.Traveller,
) -> None:
    # Una gave the morning dose; Sam opens Today.
    log_dose(mia_therapy, new_york(2026, 11, 18, 8, 12), by=una)

    later = sam_client.get(_today_of(mia))

    assert _slots(later) == [
        "Evening, 8:00 PM Later today Due at 8:00 PM.",
        "Morning, 8:00 AM Taken Taken at 8:12 AM: 16 mg, Front of left thigh, logged by Una. "
        "Edit this entry",
    ]
    card = words(_card(later))
    assert card.index("Evening, 8:00 PM") < card.index("Since Mia’s last dose")

    # 8:05 PM: the evening dose is due, and its button is the first thing on the card.
    clock.move_to(new_york(2026, 11, 18, 20, 5))
    due = sam_client.get(_today_of(mia))

    assert _slots(due)[0] == (
        "Evening, 8:00 PM Due Log the Evening, 8:00 PM dose now 16 mg, Front of right thigh"
    )
    [one_tap] = _one_taps(due)
    assert _hidden(one_tap, "slot") == "2026-11-18T20:00"
    card = words(_card(due))
    assert card.index("Log the Evening, 8:00 PM dose now") < card.index("Since Mia’s last dose")


def test_a_parent_switches_to_the_other_child_and_sees_only_that_childs_schedule(
    sam_client: Client,
    leo: Patient,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
) -> None:
    response = sam_client.get(_today_of(leo))

    assertContains(response, "<h1>Leo</h1>", html=True)
    assert _slots(response) == ["7:30 AM Due Log the 7:30 AM dose now 22 mg, Front of left thigh"]
    [one_tap] = _one_taps(response)
    assert _hidden(one_tap, "therapy") == str(leo_therapy.uuid)
    assert "Showing Leo" in words(select_one(response, "nav.switcher"))


def test_a_day_with_only_the_morning_dose_is_part_taken_in_the_strip_calendar_and_adherence(
    sam_client: Client,
    mia: Patient,
    make_therapy: MakeTherapy,
    log_dose: LogDose,
) -> None:
    therapy = make_therapy(
        mia,
        NOMID,
        "1",
        weight_kg="16",
        dose_times=["08:00", "20:00"],
        start_date=TODAY - datetime.timedelta(days=1),
        someone_else_injects=True,
    )
    log_dose(therapy, new_york(2026, 11, 17, 8, 5))

    response = sam_client.get(_today_of(mia))

    assert strip_statuses(response)[-2:] == [(17, "part"), (18, "due")]
    assert _strip_counts(response)[-2:] == ["1 of 2", "0 of 2"]
    assert "1 of 2 doses due in the last 30 days were taken (50%)." in words(response)
    calendar = sam_client.get(f"/p/{mia.uuid}/doses/")
    assert calendar_statuses(calendar)[17] == "part"
    [cell] = [
        cell
        for cell in select(calendar, ".calendar__day:not(.calendar__day--other)")
        if words(select_one(cell, ".calendar__date")) == "17"
    ]
    assert words(cell) == "17 Part taken (1 of 2)"


def test_una_sees_mias_today_from_her_own_sign_in(
    una_client: Client, mia: Patient, mia_therapy: Therapy, log_dose: LogDose, sam: User
) -> None:
    log_dose(mia_therapy, new_york(2026, 11, 18, 8, 12), by=sam)

    response = una_client.get(URL)

    assertContains(response, "<h1>Mia</h1>", html=True)
    assert "logged by Sam" in _slots(response)[1]


def test_today_asks_for_a_new_weight_when_the_latest_is_too_old(
    sam_client: Client, mia: Patient, make_therapy: MakeTherapy
) -> None:
    # Weighed when the therapy started, 91 days ago; the regimen allows 90.
    make_therapy(mia, NOMID, "1", weight_kg="16", start_date=TODAY - datetime.timedelta(days=91))

    response = sam_client.get(_today_of(mia))

    [alert] = select(_card(response), ".alert")
    assert words(alert) == (
        "Anakinra (Kineret) is dosed by body weight, and Mia’s weight was last entered on "
        "19 August 2026. Enter a current weight"
    )
    assert attr(select_one(alert, "a"), "href") == f"/p/{mia.uuid}/weight/"


def test_a_recent_weight_asks_for_nothing(
    sam_client: Client, mia: Patient, mia_therapy: Therapy
) -> None:
    assert select(_card(sam_client.get(_today_of(mia))), ".alert") == []


def test_the_one_tap_shows_the_dose_in_ml_where_the_strength_is_known(
    sam_client: Client, mia: Patient, mia_therapy: Therapy, anakinra: Medicine
) -> None:
    Medicine.objects.filter(pk=anakinra.pk).update(
        strength_mg=Decimal("100"), strength_ml=Decimal("0.67")
    )

    response = sam_client.get(_today_of(mia))

    # 16 mg of 100 mg in 0.67 mL, rounded to the clinician's 2 places.
    [one_tap] = _one_taps(response)
    assert words(select_one(one_tap, "button")) == (
        "Log the Morning, 8:00 AM dose now 16 mg (0.11 mL), Front of left thigh"
    )


# --- an adult on two medicines: anakinra daily and a weekly tablet ---------------------


def test_an_adult_sees_both_medicines_today_each_on_its_own_schedule(
    alice_client: Client,
    alice_therapy: Therapy,
    alice_pill: Therapy,
    clock: time_machine.Traveller,
) -> None:
    response = alice_client.get(URL)

    assert _slots(response) == [
        "Anakinra (Kineret): 8:00 AM Due Log the 8:00 AM dose now "
        "Anakinra (Kineret): 100 mg, Front of left thigh",
        "Weeklyzumab: 9:00 AM Due Log the 9:00 AM dose now Weeklyzumab: 15 mg",
    ]
    anakinra, tablet = _one_taps(response)
    assert (_hidden(anakinra, "therapy"), _hidden(anakinra, "slot")) == (
        str(alice_therapy.uuid),
        "2026-11-18T08:00",
    )
    assert (_hidden(tablet, "therapy"), _hidden(tablet, "slot")) == (
        str(alice_pill.uuid),
        "2026-11-18T09:00",
    )
    # One submission id per form: a tap on one never counts as a repeat of the other.
    assert _hidden(anakinra, "submission_id") != _hidden(tablet, "submission_id")

    # Thursday: the tablet is not due; the anakinra is.
    clock.move_to(new_york(2026, 11, 19, 10))
    thursday = alice_client.get(URL)
    assert _slots(thursday) == [
        "Anakinra (Kineret): 8:00 AM Due Log the 8:00 AM dose now "
        "Anakinra (Kineret): 100 mg, Front of left thigh",
    ]


def test_the_strip_counts_the_weekly_tablet_only_on_its_day(
    alice_client: Client, alice_therapy: Therapy, alice_pill: Therapy, log_dose: LogDose
) -> None:
    last_wednesday = TODAY - datetime.timedelta(days=7)
    log_dose(alice_therapy, _at(alice_therapy, last_wednesday, 8))
    log_dose(alice_therapy, _at(alice_therapy, last_wednesday + datetime.timedelta(days=1), 8))

    response = alice_client.get(URL)

    statuses = dict(strip_statuses(response))
    counts = dict(
        zip([day for day, _ in strip_statuses(response)], _strip_counts(response), strict=True)
    )
    assert (statuses[11], counts[11]) == ("part", "1 of 2")  # the tablet was not logged
    assert (statuses[12], counts[12]) == ("taken", "")
    assert (statuses[18], counts[18]) == ("due", "0 of 2")


def test_an_ended_therapy_has_no_slot_today_and_keeps_its_days_in_the_strip(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    for back in (5, 4):
        log_dose(alice_therapy, _at(alice_therapy, TODAY - datetime.timedelta(days=back), 8))
    alice_therapy.end_date = TODAY - datetime.timedelta(days=3)
    alice_therapy.save(update_fields=["end_date"])

    response = alice_client.get(URL)

    assert _slots(response) == []
    assert "No medicine is current." in words(_card(response))
    assert [status for _, status in strip_statuses(response)][-6:] == [
        "taken",
        "taken",
        "missed",
        "none",
        "none",
        "none",
    ]


# --- who may see whose Today -----------------------------------------------------------


def test_another_patients_today_is_404(
    bob_client: Client, alice_patient: Patient, alice_therapy: Therapy, bob_therapy: Therapy
) -> None:
    response = bob_client.get(_today_of(alice_patient))

    assert response.status_code == 404
    assert "Alice" not in response.content.decode()


def test_another_familys_children_are_404(
    alice_client: Client,
    alice_therapy: Therapy,
    mia: Patient,
    leo: Patient,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
) -> None:
    assert alice_client.get(_today_of(mia)).status_code == 404
    assert alice_client.get(_today_of(leo)).status_code == 404


def test_a_parent_may_not_open_a_patient_they_do_not_act_for(
    sam_client: Client, alice_patient: Patient, alice_therapy: Therapy, mia_therapy: Therapy
) -> None:
    assert sam_client.get(_today_of(alice_patient)).status_code == 404


def test_a_caregiver_whose_access_ended_gets_404_for_the_childs_today(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy
) -> None:
    assert una_client.get(_today_of(mia)).status_code == 200
    end_access(una, mia)

    response = una_client.get(_today_of(mia))

    assert response.status_code == 404
    assert "Mia" not in response.content.decode()
    # Acting for no one now, the short address asks her to set up her own record.
    assert una_client.get(URL)["Location"] == "/setup/"


# --- queries stay the same however long the history ------------------------------------


@pytest.mark.parametrize("count", [10, 1000])
def test_today_query_count_does_not_grow_with_the_log(
    alice_client: Client,
    alice_therapy: Therapy,
    make_bulk_doses: BulkDoses,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    make_bulk_doses(alice_therapy, count)

    # 1 session, 2 user, 3 the account's patients; the patient's therapies: 4 with
    # regimen and medicine, 5 injection sites, 6 lab rules, 7 weights; 8 the doses of
    # the 30-day window, 9 last use of each site; the blood-test card: 10 lab results;
    # the side-effect card: 11 latest report, 12 reports waiting.
    with django_assert_max_num_queries(12):
        response = alice_client.get(URL)

    assert response.status_code == 200
    # The 29 days before today are in the window; the rows fill the latest of them.
    taken = min(count, 29)
    adherence = round(100 * taken / 29)
    assert f"{taken} of 29 doses due in the last 30 days were taken ({adherence}%)." in words(
        response
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_today_with_the_side_effect_check_query_count_does_not_grow_with_the_log(
    sam_client: Client,
    mia: Patient,
    mia_therapy: Therapy,
    make_bulk_doses: BulkDoses,
    log_dose: LogDose,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    make_bulk_doses(mia_therapy, count)
    log_dose(mia_therapy, new_york(2026, 11, 18, 8))
    # The first visit remembers Mia as the patient shown (a session write), once.
    sam_client.get(_today_of(mia))

    # The twelve of Today, then for the side-effect check: 13 whether this morning's
    # dose has an answer, 14 the side effects to ask about.
    with django_assert_max_num_queries(14):
        response = sam_client.get(_today_of(mia))

    assert "Since Mia’s last dose, have they had any of these?" in words(response)
    assert _slots(response)[0] == "Evening, 8:00 PM Later today Due at 8:00 PM."
