"""POST /doses/quick/: Today's one tap for one slot, with htmx (card swapped) and without."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine
from bs4 import Tag
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from monographs.models import InjectionSite
from portal.models import User
from tests.pages import (
    SECOND_DOSE,
    Markup,
    attr,
    over_max,
    second_in_slot,
    select,
    select_one,
    strip_statuses,
    top_elements,
    words,
)
from tests.world import NOMID, LogDose, MakeTherapy, end_access, new_york
from tracking.models import DoseLog, Patient, Therapy, Weight

URL = "/doses/quick/"
Area = InjectionSite.BodyArea
HTMX = {"HX-Request": "true"}


def _tap(therapy: Therapy, slot: str = "2026-11-18T08:00", **changes: str) -> dict[str, str]:
    """What a one-tap form posts: which therapy, which slot, and its own submission id."""
    return {
        "therapy": str(therapy.uuid),
        "slot": slot,
        "submission_id": str(uuid.uuid4()),
        **changes,
    }


def _quick(patient: Patient) -> str:
    return f"/p/{patient.uuid}/doses/quick/"


def _cards(response: Markup) -> tuple[Tag, Tag]:
    """The answer is the #today-card section, then the 14-day card out of band."""
    [card, recent] = top_elements(response)  # not a whole page
    assert (card.name, card.get("id")) == ("section", "today-card")
    assert (recent.name, recent.get("id")) == ("section", "recent-card")
    assert attr(recent, "hx-swap-oob") == "true"
    return card, recent


def _card(response: Markup) -> Tag:
    return _cards(response)[0]


def test_htmx_one_tap_brings_the_14_day_strip_up_to_date(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.post(URL, _tap(alice_therapy), headers=HTMX)

    _, recent = _cards(response)
    assert strip_statuses(recent)[-1] == (18, "taken")


def test_one_tap_logs_the_prescribed_dose_now_in_its_slot_at_the_suggested_site(
    alice_client: Client,
    alice: User,
    alice_patient: Patient,
    alice_therapy: Therapy,
    sites: dict[str, InjectionSite],
) -> None:
    response = alice_client.post(URL, _tap(alice_therapy))

    assert response.status_code == 302
    assert response["Location"] == f"/p/{alice_patient.uuid}/"
    dose = DoseLog.objects.get()
    assert dose.patient == alice_patient
    assert dose.therapy == alice_therapy
    assert dose.status == DoseLog.Status.TAKEN
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 15, 0, tzinfo=datetime.UTC)
    assert (dose.local_date, dose.slot_time) == (datetime.date(2026, 11, 18), datetime.time(8))
    assert dose.dose_mg == Decimal("100")
    assert dose.site == sites[Area.LEFT_THIGH]
    assert dose.entered_by == alice
    assert dose.history.get().history_user == alice
    today = words(alice_client.get("/"))
    assert "Dose logged: 100 mg at 10:00 AM, Front of left thigh." in today
    assert "Taken at 10:00 AM: 100 mg, Front of left thigh, logged by Alice." in today


def test_one_tap_with_htmx_answers_with_the_updated_today_card(
    alice_client: Client, alice_patient: Patient, alice_therapy: Therapy
) -> None:
    response = alice_client.post(_quick(alice_patient), _tap(alice_therapy), headers=HTMX)

    assert response.status_code == 200
    card = _card(response)
    assert "The dose is logged. Thank you." in words(card)
    assert "Taken at 10:00 AM: 100 mg, Front of left thigh, logged by Alice." in words(card)
    assert select(card, 'form[action$="/doses/quick/"]') == []  # the only slot is filled
    assert "HX-Request" in response["Vary"]
    assert DoseLog.objects.count() == 1


def test_one_tap_rotates_to_the_next_site(
    alice_client: Client,
    alice_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 16, 8), site=sites[Area.LEFT_THIGH])
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), site=sites[Area.RIGHT_THIGH])

    alice_client.post(URL, _tap(alice_therapy), headers=HTMX)

    assert (
        DoseLog.objects.on_day(datetime.date(2026, 11, 18)).get().site == sites[Area.LEFT_ABDOMEN]
    )


def test_one_tap_uses_a_helper_site_only_when_someone_else_injects(
    alice_client: Client,
    alice: User,
    make_therapy: MakeTherapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    therapy = make_therapy(alice, someone_else_injects=True)
    for day, area in enumerate(
        [Area.LEFT_THIGH, Area.RIGHT_THIGH, Area.LEFT_ABDOMEN, Area.RIGHT_ABDOMEN], start=14
    ):
        log_dose(therapy, new_york(2026, 11, day, 8), site=sites[area])

    response = alice_client.post(URL, _tap(therapy), headers=HTMX)

    assert "The dose is logged. Thank you." in words(_card(response))
    assert DoseLog.objects.on_day(datetime.date(2026, 11, 18)).get().site == sites[Area.LEFT_ARM]


def test_one_tap_for_bob_uses_only_his_own_history(
    bob_client: Client,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), site=sites[Area.LEFT_THIGH])

    response = bob_client.post(URL, _tap(bob_therapy), headers=HTMX)

    card = _card(response)
    assert "Taken at 10:00 AM: 100 mg, Front of left thigh, logged by Bob." in words(card)
    assert "7:00" not in response.content.decode()
    bobs = DoseLog.objects.for_patient(bob_therapy.patient).get()
    assert bobs.site == sites[Area.LEFT_THIGH]
    assert DoseLog.objects.for_patient(alice_therapy.patient).count() == 1


def test_one_tap_logs_a_missed_slot_of_yesterday_for_yesterday(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.post(URL, _tap(alice_therapy, "2026-11-17T08:00"))

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert (dose.local_date, dose.slot_time) == (datetime.date(2026, 11, 17), datetime.time(8))
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 15, 0, tzinfo=datetime.UTC)


# --- a family: each caregiver logs from their own sign-in ------------------------------


def test_una_logs_mias_dose_from_her_own_sign_in_and_it_says_so(
    una_client: Client,
    una: User,
    sam_client: Client,
    mia: Patient,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
) -> None:
    response = una_client.post(_quick(mia), _tap(mia_therapy), headers=HTMX)

    assert "The dose is logged. Thank you." in words(_card(response))
    dose = DoseLog.objects.get()
    assert (dose.patient, dose.therapy, dose.entered_by) == (mia, mia_therapy, una)
    assert dose.dose_mg == Decimal("16")  # 1 mg/kg at 16 kg
    assert "logged by Una." in words(sam_client.get(f"/p/{mia.uuid}/"))


def test_sam_logs_each_childs_dose_on_that_childs_page(
    sam_client: Client,
    sam: User,
    mia: Patient,
    leo: Patient,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
) -> None:
    sam_client.post(_quick(mia), _tap(mia_therapy))
    sam_client.post(_quick(leo), _tap(leo_therapy, "2026-11-18T07:30"))

    assert sorted(
        DoseLog.objects.values_list("patient__name", "dose_mg", "slot_time", "entered_by")
    ) == [
        ("Leo", Decimal("22"), datetime.time(7, 30), sam.pk),
        ("Mia", Decimal("16"), datetime.time(8), sam.pk),
    ]


def test_a_therapy_named_on_another_patients_page_is_not_logged(
    sam_client: Client, mia: Patient, leo: Patient, mia_therapy: Therapy, leo_therapy: Therapy
) -> None:
    # Leo's page, Mia's therapy: the form is not Leo's, so nothing is logged for anyone.
    response = sam_client.post(_quick(leo), _tap(mia_therapy), headers=HTMX)

    [alert] = select(_card(response), '[role="alert"]')
    assert "That dose is no longer on the list. Reload the page and try again." in words(alert)
    assert DoseLog.objects.count() == 0


def test_the_second_caregiver_tapping_a_filled_slot_is_asked_and_nothing_is_saved(
    sam_client: Client, una: User, mia: Patient, mia_therapy: Therapy, log_dose: LogDose
) -> None:
    # Sam's phone still shows the morning button; Una gave the dose a minute ago.
    log_dose(mia_therapy, new_york(2026, 11, 18, 9, 59), by=una)

    response = sam_client.post(_quick(mia), _tap(mia_therapy), headers=HTMX)

    [alert] = select(_card(response), '[role="alert"]')
    assert second_in_slot("8:00 AM") in words(alert)
    link = select_one(alert, "a")
    assert attr(link, "href") == f"/p/{mia.uuid}/doses/new/?therapy={mia_therapy.uuid}"
    assert words(link) == "Open the full dose form"
    assert DoseLog.objects.count() == 1
    assert "logged by Una." in words(_card(response))


# --- an adult on two medicines ---------------------------------------------------------


def test_one_tap_logs_the_weekly_tablet_without_any_site(
    alice_client: Client, alice: User, alice_therapy: Therapy, alice_pill: Therapy
) -> None:
    response = alice_client.post(URL, _tap(alice_pill, "2026-11-18T09:00"), headers=HTMX)

    assert "The dose is logged. Thank you." in words(_card(response))
    dose = DoseLog.objects.get()
    assert (dose.therapy, dose.dose_mg, dose.site, dose.slot_time) == (
        alice_pill,
        Decimal("15"),
        None,
        datetime.time(9),
    )
    assert "Taken at 10:00 AM: 15 mg, logged by Alice." in words(_card(response))
    # The anakinra slot is still open, with its own button.
    [one_tap] = select(_card(response), 'form[action$="/doses/quick/"]')
    assert attr(select_one(one_tap, 'input[name="therapy"]'), "value") == str(alice_therapy.uuid)


def test_a_slot_not_on_the_schedule_logs_nothing(
    alice_client: Client, alice_therapy: Therapy, alice_pill: Therapy
) -> None:
    # The tablet is taken on Wednesdays, and 8:00 AM is the anakinra's time, not its own.
    for slot in ("2026-11-17T09:00", "2026-11-18T08:00", "2026-11-11T09:00", "nonsense"):
        response = alice_client.post(URL, _tap(alice_pill, slot), headers=HTMX)

        [alert] = select(_card(response), '[role="alert"]')
        assert "That dose is no longer on the list. Reload the page and try again." in words(alert)
    assert DoseLog.objects.count() == 0


# --- refusals ----------------------------------------------------------------------------


def test_a_second_one_tap_on_a_once_daily_day_asks_in_the_card_and_saves_nothing(
    alice_client: Client,
    alice: User,
    alice_patient: Patient,
    make_therapy: MakeTherapy,
    log_dose: LogDose,
) -> None:
    # 50 mg once a day: a second tap stays within the 100 mg maximum, so it is asked.
    therapy = make_therapy(alice, prescribed_dose="50")
    log_dose(therapy, new_york(2026, 11, 18, 7))

    response = alice_client.post(URL, _tap(therapy), headers=HTMX)

    assert response.status_code == 200
    [alert] = select(_card(response), '[role="alert"]')
    assert SECOND_DOSE in words(alert)
    # Where to confirm it: the full form of the same medicine.
    [link] = select(alert, f'a[href="/p/{alice_patient.uuid}/doses/new/?therapy={therapy.uuid}"]')
    assert words(link) == "Open the full dose form"
    assert "The dose is logged" not in words(response)
    assert DoseLog.objects.count() == 1


def test_a_second_one_tap_without_htmx_goes_to_the_full_form_with_the_question(
    alice_client: Client,
    alice: User,
    alice_patient: Patient,
    make_therapy: MakeTherapy,
    log_dose: LogDose,
) -> None:
    # 50 mg once a day: a second tap stays within the 100 mg maximum, so it is asked.
    therapy = make_therapy(alice, prescribed_dose="50")
    log_dose(therapy, new_york(2026, 11, 18, 7))

    response = alice_client.post(URL, _tap(therapy))

    assert response.status_code == 302
    assert response["Location"] == f"/p/{alice_patient.uuid}/doses/new/?therapy={therapy.uuid}"
    assert DoseLog.objects.count() == 1
    assert SECOND_DOSE in words(alice_client.get(response["Location"]))


def test_one_tap_above_the_daily_max_is_refused_and_saves_nothing(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), dose_mg="60")

    response = alice_client.post(URL, _tap(alice_therapy), headers=HTMX)

    assert over_max(160, 100) in words(_card(response))
    assert DoseLog.objects.count() == 1


def test_one_tap_holds_a_per_kg_patient_to_that_days_weight(
    alice_client: Client,
    alice: User,
    make_therapy: MakeTherapy,
    log_dose: LogDose,
    clock: time_machine.Traveller,
) -> None:
    # NOMID, 2 mg/kg twice a day at 10 kg: 20 mg a dose, at most 8 x 10 = 80 mg a day.
    therapy = make_therapy(alice, NOMID, "2", weight_kg="10", dose_times=["08:00", "20:00"])
    log_dose(therapy, new_york(2026, 11, 17, 8), dose_mg="50")
    log_dose(therapy, new_york(2026, 11, 18, 8), dose_mg="50")
    # Weighed again today: 12.5 kg, so today allows 100 mg and a dose is 25 mg.
    Weight.objects.create(
        patient=therapy.patient, measured_on=datetime.date(2026, 11, 18), weight_kg="12.5"
    )
    clock.move_to(new_york(2026, 11, 18, 20, 5))

    yesterday = alice_client.post(URL, _tap(therapy, "2026-11-17T20:00"), headers=HTMX)
    today = alice_client.post(URL, _tap(therapy, "2026-11-18T20:00"), headers=HTMX)

    # Yesterday's evening dose is 20 mg by yesterday's weight: 70 mg within 80.
    assert "The dose is logged. Thank you." in words(_card(yesterday))
    # Today's is 25 mg by today's: 75 mg within 100.
    assert "The dose is logged. Thank you." in words(_card(today))
    totals = dict(
        DoseLog.objects.values("local_date")
        .annotate(total=Sum("dose_mg"))
        .values_list("local_date", "total")
    )
    assert totals == {
        datetime.date(2026, 11, 17): Decimal("70"),
        datetime.date(2026, 11, 18): Decimal("75"),
    }
    # One more for yesterday's evening slot would make 90 mg, above yesterday's 80.
    again = alice_client.post(URL, _tap(therapy, "2026-11-17T20:00"), headers=HTMX)
    assert over_max(90, 80, "17 November") in words(_card(again))
    assert DoseLog.objects.count() == 4


def test_one_tap_without_a_submission_id_saves_nothing(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.post(URL, _tap(alice_therapy, submission_id=""), headers=HTMX)

    [alert] = select(_card(response), '[role="alert"]')
    assert words(alert) == "This field is required. Open the full dose form"
    assert DoseLog.objects.count() == 0


def test_one_tap_for_a_dose_by_weight_without_a_weight_asks_for_one(
    sam_client: Client, mia: Patient, make_therapy: MakeTherapy
) -> None:
    therapy = make_therapy(mia, NOMID, "1", dose_times=["08:00", "20:00"])

    response = sam_client.post(_quick(mia), _tap(therapy), headers=HTMX)

    [alert] = select(_card(response), '[role="alert"]')
    assert "This dose is by body weight: enter a current weight first." in words(alert)
    assert "Mia’s weight is not entered yet. Enter a current weight" in words(_card(response))
    assert DoseLog.objects.count() == 0


# --- on the night the clocks go back ----------------------------------------------------


@pytest.mark.parametrize(
    ("now", "pass_"),
    [
        (datetime.datetime(2026, 11, 1, 5, 30, tzinfo=datetime.UTC), "first"),
        (datetime.datetime(2026, 11, 1, 6, 30, tzinfo=datetime.UTC), "second"),
    ],
    ids=["1:30 AM the first time", "1:30 AM the second time"],
)
def test_a_one_tap_in_the_hour_that_happens_twice_is_logged_at_that_very_moment(
    alice_client: Client,
    alice: User,
    make_therapy: MakeTherapy,
    clock: time_machine.Traveller,
    now: datetime.datetime,
    pass_: str,
) -> None:
    # A dose due at 1:00 AM; on 1 November 2026 New York's clock shows 1:30 AM twice.
    therapy = make_therapy(alice, usual_dose_time=datetime.time(1, 0))
    clock.move_to(now)
    local = timezone.localtime(now, therapy.patient.zone)
    assert (local.hour, local.minute, local.fold) == (1, 30, pass_ == "second")

    response = alice_client.post(URL, _tap(therapy, "2026-11-01T01:00"), headers=HTMX)

    assert "The dose is logged. Thank you." in words(_card(response))
    assert DoseLog.objects.get().taken_at == now


# --- resubmission ------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_double_tap_makes_one_row(
    alice_client: Client, alice_therapy: Therapy, headers: dict[str, str]
) -> None:
    data = _tap(alice_therapy)

    first = alice_client.post(URL, data, headers=headers)
    again = alice_client.post(URL, data, headers=headers)

    assert first.status_code == again.status_code
    assert DoseLog.objects.count() == 1
    assert str(DoseLog.objects.get().submission_id) == data["submission_id"]
    if headers:
        # The repeat is answered like the first: no question, no refusal.
        assert "The dose is logged. Thank you." in words(_card(again))
        assert SECOND_DOSE not in words(again)


# --- who may tap -------------------------------------------------------------------------


def test_bob_may_not_log_for_alice(
    bob_client: Client, alice_patient: Patient, alice_therapy: Therapy, bob_therapy: Therapy
) -> None:
    assert bob_client.post(_quick(alice_patient), _tap(alice_therapy)).status_code == 404
    # On his own page, alice's therapy is not his: nothing is logged for either.
    response = bob_client.post(URL, _tap(alice_therapy), headers=HTMX)
    assert "That dose is no longer on the list." in words(_card(response))
    assert DoseLog.objects.count() == 0


def test_another_familys_account_may_not_log_for_the_child(
    alice_client: Client, alice_therapy: Therapy, mia: Patient, mia_therapy: Therapy
) -> None:
    assert alice_client.post(_quick(mia), _tap(mia_therapy), headers=HTMX).status_code == 404
    assert DoseLog.objects.count() == 0


def test_a_caregiver_whose_access_ended_may_not_log(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy
) -> None:
    end_access(una, mia)

    assert una_client.post(_quick(mia), _tap(mia_therapy), headers=HTMX).status_code == 404
    assert DoseLog.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_one_tap_rejects_other_methods(
    alice_client: Client, alice_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405
    assert DoseLog.objects.count() == 0


def test_one_tap_sends_anonymous_visitors_to_sign_in(
    client: Client, alice_therapy: Therapy
) -> None:
    plain = client.post(URL, _tap(alice_therapy))
    htmx = client.post(URL, _tap(alice_therapy), headers=HTMX)

    assert plain.status_code == 302
    assert plain["Location"] == "/accounts/login/?next=/doses/quick/"
    assert htmx["HX-Redirect"] == "/accounts/login/?next=/doses/quick/"
    assert DoseLog.objects.count() == 0
