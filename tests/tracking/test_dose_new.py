"""/doses/new/: the full dose form for a slot, its refusals, the second-dose question, clocks."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from pytest_django.asserts import assertContains

from monographs.models import InjectionSite, Medicine
from portal.models import User
from tests.pages import (
    FUTURE,
    NOT_POSITIVE,
    SECOND_DOSE,
    Markup,
    Radio,
    attr,
    field_errors,
    form_data,
    helper_only,
    over_max,
    radios,
    second_in_slot,
    select,
    select_one,
    words,
)
from tests.world import NOMID, BulkDoses, LogDose, MakeTherapy, end_access, new_york
from tracking.models import DoseLog, Patient, Therapy, Weight

URL = "/doses/new/"
Area = InjectionSite.BodyArea
NO_DOSE = "Enter the dose taken, in mg."
NO_SITE = "Choose where the injection was given."


def _data(site: InjectionSite | None, /, **changes: str) -> dict[str, str]:
    data = {
        "status": "taken",
        "slot": "2026-11-18T08:00",
        "taken_at": "2026-11-18T09:30",
        "dose_mg": "100",
        "site": str(site.pk) if site else "",
        "skip_reason": "",
        "note": "",
        "submission_id": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


def _new(patient: Patient) -> str:
    return f"/p/{patient.uuid}/doses/new/"


def _value(page: Markup, name: str) -> str:
    """What the form's input called `name` holds."""
    return attr(select_one(page, f'input[name="{name}"]'), "value")


def _slot_choices(page: Markup) -> list[tuple[str, str, bool]]:
    """The slots the form offers: (value, words, chosen)."""
    return [
        (attr(option, "value"), words(option), option.has_attr("selected"))
        for option in select(page, 'select[name="slot"] option')
    ]


@pytest.fixture
def thigh(sites: dict[str, InjectionSite]) -> InjectionSite:
    return sites[Area.LEFT_THIGH]


@pytest.fixture
def twice_daily(alice: User, make_therapy: MakeTherapy) -> Therapy:
    """Alice on NOMID at 08:00 and 20:00: 2 mg/kg at 10 kg, 20 mg a dose, 80 mg a day."""
    return make_therapy(alice, NOMID, "2", weight_kg="10", dose_times=["08:00", "20:00"])


# --- the form ---------------------------------------------------------------------------


def test_form_starts_from_now_the_slot_due_the_prescribed_dose_and_the_suggested_site(
    alice_client: Client, alice_patient: Patient, alice_therapy: Therapy
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>Log a dose</h1>", html=True)
    assert "Anakinra (Kineret) for Alice." in words(response)
    form = select_one(response, "form#dose-form")
    assert attr(form, "action") == _new(alice_patient)
    assert _slot_choices(response) == [
        ("2026-11-17T08:00", "Tue 17 Nov, 8:00 AM", False),
        ("2026-11-18T08:00", "Wed 18 Nov, 8:00 AM", True),
        ("", "An extra dose, not on the schedule", False),
    ]
    assert _value(response, "taken_at") == "2026-11-18T10:00"  # 15:00 UTC in New York
    assert Decimal(_value(response, "dose_mg")) == Decimal("100")
    assert uuid.UUID(_value(response, "submission_id"))
    assert _value(response, "therapy") == str(alice_therapy.uuid)
    [checked] = [radio for radio in radios(response, "site") if radio.checked]
    assert checked.label == "Front of left thigh"
    assert "Suggested: Front of left thigh, the site used least recently." in words(response)
    assert [radio.label for radio in radios(response, "status")] == ["Taken", "Skipped"]
    assert "Did you take this dose?" in words(response)


def test_form_labels_every_site_and_marks_the_helper_only_ones(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    labels = [radio.label for radio in radios(alice_client.get(URL), "site")]

    assert labels == [
        "Front of left thigh",
        "Front of right thigh",
        "Left side of lower belly",
        "Right side of lower belly",
        "Back of left upper arm (only when someone else injects)",
        "Back of right upper arm (only when someone else injects)",
        "Upper outer left buttock (only when someone else injects)",
        "Upper outer right buttock (only when someone else injects)",
    ]


def test_body_map_shows_the_suggested_site_and_when_each_was_last_used(
    alice_client: Client,
    alice_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 16, 8), site=sites[Area.LEFT_ABDOMEN])
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), site=sites[Area.LEFT_THIGH])

    response = alice_client.get(URL)

    body_map = select_one(response, '.body-map svg[role="img"]')
    # Each site's circle is drawn by its state and named in its <title>.
    suggested = [words(site) for site in body_map.select("circle.body-map__site--suggested")]
    used = [words(site) for site in body_map.select("circle.body-map__site--used")]
    assert suggested == ["Front of right thigh (suggested next), not used yet"]
    assert sorted(used) == [
        "Front of left thigh, last used 17 Nov",
        "Left side of lower belly, last used 16 Nov",
    ]
    history = [words(item) for item in select(response, ".site-history li")]
    assert "Left side of lower belly: last used 16 Nov 2026" in history
    assert "Suggested next site: Front of right thigh." in words(body_map)
    [checked] = [radio for radio in radios(response, "site") if radio.checked]
    assert checked.label == "Front of right thigh"


def test_helper_box_starts_ticked_when_someone_else_injects(
    alice_client: Client, alice: User, make_therapy: MakeTherapy
) -> None:
    make_therapy(alice, someone_else_injects=True)

    box = select_one(alice_client.get(URL), 'input[name="helper_injecting"]')

    assert box.has_attr("checked")


def test_form_offers_the_next_open_slot_once_the_first_is_filled(
    alice_client: Client, twice_daily: Therapy, log_dose: LogDose
) -> None:
    log_dose(twice_daily, new_york(2026, 11, 18, 8, 5))

    choices = _slot_choices(alice_client.get(URL))

    assert [(value, chosen) for value, _, chosen in choices] == [
        ("2026-11-17T08:00", False),
        ("2026-11-17T20:00", False),
        ("2026-11-18T08:00", False),
        ("2026-11-18T20:00", True),
        ("", False),
    ]
    assert [label for _, label, _ in choices][3] == "Wed 18 Nov, Evening, 8:00 PM"


def test_the_dose_shows_in_ml_where_the_strength_is_known(
    sam_client: Client, mia: Patient, mia_therapy: Therapy, anakinra: Medicine
) -> None:
    Medicine.objects.filter(pk=anakinra.pk).update(
        strength_mg=Decimal("100"), strength_ml=Decimal("0.67")
    )

    page = words(sam_client.get(_new(mia)))

    assert "Anakinra (Kineret) for Mia: 16 mg is 0.11 mL." in page


# --- saving -----------------------------------------------------------------------------


def test_logging_a_taken_dose_saves_it_in_its_slot_and_goes_to_today(
    alice_client: Client,
    alice: User,
    alice_patient: Patient,
    alice_therapy: Therapy,
    thigh: InjectionSite,
) -> None:
    response = alice_client.post(
        URL, _data(thigh, taken_at="2026-11-18T07:45", dose_mg="100", note="left it late")
    )

    assert response.status_code == 302
    assert response["Location"] == f"/p/{alice_patient.uuid}/"
    dose = DoseLog.objects.get()
    assert dose.patient == alice_patient
    assert dose.therapy == alice_therapy
    assert dose.status == DoseLog.Status.TAKEN
    # Typed as New York wall-clock time, stored in UTC.
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 12, 45, tzinfo=datetime.UTC)
    assert (dose.local_date, dose.slot_time) == (datetime.date(2026, 11, 18), datetime.time(8))
    assert dose.dose_mg == Decimal("100")
    assert dose.site == thigh
    assert dose.note == "left it late"
    assert dose.entered_by == alice
    assert dose.history.get().history_user == alice
    today = words(alice_client.get("/"))
    assert "Dose logged: 100 mg at 7:45 AM, Front of left thigh." in today


def test_logging_a_skipped_dose_keeps_the_reason_and_no_dose_or_site(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    response = alice_client.post(
        URL, _data(thigh, status="skipped", skip_reason="Fever, told to pause")
    )

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert dose.status == DoseLog.Status.SKIPPED
    assert dose.skip_reason == "Fever, told to pause"
    assert dose.dose_mg is None
    assert dose.site is None
    assert dose.slot_time == datetime.time(8)
    assert "Skipped dose logged for 18 November." in words(alice_client.get("/"))


def test_a_late_dose_for_yesterdays_slot_counts_for_yesterday(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    response = alice_client.post(URL, _data(thigh, slot="2026-11-17T08:00"))

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert (dose.local_date, dose.slot_time) == (datetime.date(2026, 11, 17), datetime.time(8))
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 14, 30, tzinfo=datetime.UTC)


def test_an_extra_dose_late_in_the_evening_counts_for_that_new_york_day(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    response = alice_client.post(URL, _data(thigh, slot="", taken_at="2026-11-17T23:30"))

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC)
    assert (dose.local_date, dose.slot_time) == (datetime.date(2026, 11, 17), None)


def test_a_time_within_the_clock_drift_grace_is_not_the_future(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    response = alice_client.post(URL, _data(thigh, taken_at="2026-11-18T10:01"))

    assert response.status_code == 302
    assert DoseLog.objects.count() == 1


def test_a_helper_only_site_is_accepted_when_the_helper_box_is_ticked(
    alice_client: Client, alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    arm = sites[Area.LEFT_ARM]

    response = alice_client.post(URL, _data(arm, helper_injecting="on"))

    assert response.status_code == 302
    assert DoseLog.objects.get().site == arm


def test_bobs_dose_is_his_own(
    bob_client: Client,
    bob: User,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    thigh: InjectionSite,
) -> None:
    response = bob_client.post(URL, _data(thigh))

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert dose.patient == bob_therapy.patient
    assert dose.therapy == bob_therapy
    assert dose.entered_by == bob
    assert not DoseLog.objects.for_patient(alice_therapy.patient).exists()


# --- a family: each caregiver logs from their own sign-in ------------------------------


def test_una_logs_mias_dose_and_the_entry_records_who(
    una_client: Client,
    una: User,
    mia: Patient,
    mia_therapy: Therapy,
    thigh: InjectionSite,
) -> None:
    form = una_client.get(_new(mia))
    assert "Anakinra (Kineret) for Mia." in words(form)
    assert "Did Mia get this dose?" in words(form)
    assert Decimal(_value(form, "dose_mg")) == Decimal("16")

    response = una_client.post(_new(mia), _data(thigh, dose_mg="16"))

    assert response["Location"] == f"/p/{mia.uuid}/"
    dose = DoseLog.objects.get()
    assert (dose.patient, dose.therapy, dose.entered_by) == (mia, mia_therapy, una)


def test_sam_logs_each_childs_dose_on_that_childs_form(
    sam_client: Client,
    sam: User,
    mia: Patient,
    leo: Patient,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
    thigh: InjectionSite,
) -> None:
    sam_client.post(_new(mia), _data(thigh, dose_mg="16", slot="2026-11-18T20:00"))
    sam_client.post(_new(leo), _data(thigh, dose_mg="22", slot="2026-11-18T07:30"))

    assert sorted(
        DoseLog.objects.values_list("patient__name", "therapy", "slot_time", "entered_by")
    ) == [
        ("Leo", leo_therapy.pk, datetime.time(7, 30), sam.pk),
        ("Mia", mia_therapy.pk, datetime.time(20), sam.pk),
    ]


def test_a_therapy_of_another_child_is_404_on_this_childs_form(
    sam_client: Client,
    leo: Patient,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
    thigh: InjectionSite,
) -> None:
    data = _data(thigh, dose_mg="16", therapy=str(mia_therapy.uuid))

    assert sam_client.get(_new(leo), {"therapy": str(mia_therapy.uuid)}).status_code == 404
    assert sam_client.post(_new(leo), data).status_code == 404
    assert DoseLog.objects.count() == 0


# --- an adult on two medicines ---------------------------------------------------------


def test_with_two_medicines_the_form_asks_which_one_first(
    alice_client: Client, alice_patient: Patient, alice_therapy: Therapy, alice_pill: Therapy
) -> None:
    response = alice_client.get(URL)

    assertContains(response, "<h1>Log a dose for Alice</h1>", html=True)
    choices = select(response, "ul.choices a")
    assert [words(link) for link in choices] == [
        "Anakinra (Kineret) 8:00 AM, every day",
        "Weeklyzumab 9:00 AM on Wednesdays",
    ]
    assert [attr(link, "href") for link in choices] == [
        f"{_new(alice_patient)}?therapy={alice_therapy.uuid}",
        f"{_new(alice_patient)}?therapy={alice_pill.uuid}",
    ]
    # A post that names no medicine asks the same question and saves nothing.
    assert "Which medicine?" in words(alice_client.post(URL, _data(None)))
    assert DoseLog.objects.count() == 0


def test_the_weekly_tablet_is_logged_without_any_site(
    alice_client: Client, alice: User, alice_therapy: Therapy, alice_pill: Therapy
) -> None:
    form = alice_client.get(URL, {"therapy": str(alice_pill.uuid)})

    assert "Weeklyzumab for Alice." in words(form)
    # Nothing about injecting: no site to choose, no body map, no helper box.
    assert radios(form, "site") == []
    assert select(form, ".body-map, input[name='helper_injecting']") == []
    assert "Injection site" not in words(form)
    assert _slot_choices(form) == [
        ("2026-11-18T09:00", "Wed 18 Nov, 9:00 AM", True),
        ("", "An extra dose, not on the schedule", False),
    ]
    assert Decimal(_value(form, "dose_mg")) == Decimal("15")

    data = form_data(form, "dose-form")
    response = alice_client.post(URL, {**data, "taken_at": "2026-11-18T09:05"})

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert (dose.therapy, dose.dose_mg, dose.site, dose.slot_time) == (
        alice_pill,
        Decimal("15"),
        None,
        datetime.time(9),
    )
    assert "Dose logged: 15 mg at 9:05 AM." in words(alice_client.get("/"))


def test_the_anakinra_beside_the_tablet_still_needs_its_site(
    alice_client: Client, alice_therapy: Therapy, alice_pill: Therapy
) -> None:
    response = alice_client.post(URL, _data(None, therapy=str(alice_therapy.uuid)))

    assert field_errors(response, "site") == [NO_SITE]
    assert DoseLog.objects.count() == 0


def test_a_slot_of_the_other_medicine_is_refused(
    alice_client: Client, alice_therapy: Therapy, alice_pill: Therapy, thigh: InjectionSite
) -> None:
    response = alice_client.post(
        URL, _data(None, therapy=str(alice_pill.uuid), dose_mg="15", slot="2026-11-18T08:00")
    )

    assert response.status_code == 200
    # The tablet has no 8:00 AM slot: one message under the slot field, nothing saved.
    assert len(field_errors(response, "slot")) == 1
    assert DoseLog.objects.count() == 0


# --- refusals: re-render with the message, save nothing -------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"taken_at": "2026-11-18T11:00"}, "taken_at", FUTURE),
        ({"taken_at": "2026-11-19T09:00"}, "taken_at", FUTURE),
        ({"dose_mg": "0"}, "dose_mg", NOT_POSITIVE),
        ({"dose_mg": "-5"}, "dose_mg", NOT_POSITIVE),
        ({"dose_mg": ""}, "dose_mg", NO_DOSE),
        ({"dose_mg": "150"}, "dose_mg", over_max(150, 100)),
        ({"site": ""}, "site", NO_SITE),
        ({"status": "skipped"}, "skip_reason", "Say briefly why the dose was skipped."),
    ],
    ids=[
        "an hour ahead",
        "tomorrow",
        "dose zero",
        "dose negative",
        "dose missing",
        "above the daily max",
        "no site",
        "skipped without a reason",
    ],
)
def test_a_refused_dose_re_renders_with_a_plain_message_and_saves_nothing(
    alice_client: Client,
    alice_therapy: Therapy,
    thigh: InjectionSite,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = alice_client.post(URL, _data(thigh, **changes))

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert DoseLog.objects.count() == 0
    # What the patient typed is still there to correct.
    assert _value(response, "taken_at") == changes.get("taken_at", "2026-11-18T09:30")


def test_a_helper_only_site_is_refused_without_the_helper_box(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, sites: dict[str, InjectionSite]
) -> None:
    # Even for a patient who usually has help: the box says who gives this injection.
    make_therapy(alice, someone_else_injects=True)

    response = alice_client.post(URL, _data(sites[Area.RIGHT_BUTTOCK]))

    assert response.status_code == 200
    assert field_errors(response, "site") == [helper_only("Upper outer right buttock")]
    assert DoseLog.objects.count() == 0


def test_a_dose_taking_the_days_total_over_the_max_is_refused(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), dose_mg="60")

    response = alice_client.post(URL, _data(thigh, dose_mg="60", confirm_second="true"))

    assert response.status_code == 200
    assert field_errors(response, "dose_mg") == [over_max(120, 100)]
    assert DoseLog.objects.count() == 1


def test_a_per_kg_patients_daily_max_is_dose_per_kg_times_weight(
    alice_client: Client, twice_daily: Therapy, thigh: InjectionSite
) -> None:
    # NOMID: at most 8 mg/kg a day; at 10 kg that is 80 mg, in one or two doses.
    first = alice_client.post(URL, _data(thigh, dose_mg="50", taken_at="2026-11-18T07:00"))
    assert first.status_code == 302

    response = alice_client.post(URL, _data(thigh, dose_mg="40", slot="2026-11-18T20:00"))

    assert response.status_code == 200
    assert field_errors(response, "dose_mg") == [over_max(90, 80)]
    assert DoseLog.objects.count() == 1
    # The same patient may still take up to the maximum: 50 + 30 = 80 mg.
    assert (
        alice_client.post(URL, _data(thigh, dose_mg="30", slot="2026-11-18T20:00")).status_code
        == 302
    )
    assert list(DoseLog.objects.order_by("dose_mg").values_list("dose_mg", flat=True)) == [
        Decimal("30"),
        Decimal("50"),
    ]


def test_each_days_maximum_uses_the_weight_in_effect_that_day(
    alice_client: Client, twice_daily: Therapy, thigh: InjectionSite, log_dose: LogDose
) -> None:
    log_dose(twice_daily, new_york(2026, 11, 17, 8), dose_mg="50")
    log_dose(twice_daily, new_york(2026, 11, 18, 8), dose_mg="50")
    # Weighed again today at 12.5 kg: 100 mg a day from today; yesterday stays at 80.
    Weight.objects.create(
        patient=twice_daily.patient, measured_on=datetime.date(2026, 11, 18), weight_kg="12.5"
    )

    # The form starts from this evening's dose by today's weight: 2 mg/kg x 12.5 kg.
    assert Decimal(_value(alice_client.get(URL), "dose_mg")) == Decimal("25")

    yesterday = alice_client.post(URL, _data(thigh, dose_mg="40", slot="2026-11-17T20:00"))
    today = alice_client.post(URL, _data(thigh, dose_mg="40", slot="2026-11-18T20:00"))

    assert field_errors(yesterday, "dose_mg") == [over_max(90, 80, "17 November")]
    assert today.status_code == 302
    assert DoseLog.objects.filter(local_date=datetime.date(2026, 11, 18)).aggregate(
        total=Sum("dose_mg")
    ) == {"total": Decimal("90")}


def test_a_dose_by_weight_without_any_weight_asks_for_one(
    sam_client: Client, mia: Patient, make_therapy: MakeTherapy, thigh: InjectionSite
) -> None:
    make_therapy(mia, NOMID, "1", dose_times=["08:00", "20:00"], someone_else_injects=True)

    response = sam_client.post(_new(mia), _data(thigh, dose_mg="16"))

    assert response.status_code == 200
    assert field_errors(response, "dose_mg") == [
        "This dose is by body weight: enter a current weight first."
    ]
    assert DoseLog.objects.count() == 0


def test_yesterdays_doses_do_not_count_towards_todays_max(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 17, 23, 30))

    response = alice_client.post(URL, _data(thigh, taken_at="2026-11-18T00:30"))

    assert response.status_code == 302
    assert DoseLog.objects.count() == 2


# --- a second dose in a slot already filled -------------------------------------------


def test_a_second_dose_on_a_once_daily_day_asks_first_then_saves_when_confirmed(
    alice_client: Client, alice_patient: Patient, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    first = alice_client.post(URL, _data(thigh, dose_mg="40", taken_at="2026-11-18T07:00"))
    assert first["Location"] == f"/p/{alice_patient.uuid}/"
    second = _data(thigh, dose_mg="40")

    question = alice_client.post(URL, second)

    assert question.status_code == 200
    alert = select_one(question, "#confirm-second")
    assert SECOND_DOSE in words(alert)
    assert words(select_one(alert, "button")) == "Yes, log another dose"
    confirm = select_one(question, 'input[name="confirm_second"]')
    assert attr(confirm, "type") == "hidden"
    assert attr(confirm, "value").lower() == "true"
    assert _value(question, "submission_id") == second["submission_id"]
    assert DoseLog.objects.count() == 1

    confirmed = alice_client.post(URL, form_data(question, "dose-form"))

    assert confirmed.status_code == 302
    assert DoseLog.objects.count() == 2
    assert DoseLog.objects.aggregate(total=Sum("dose_mg")) == {"total": Decimal("80")}


def test_a_second_dose_in_a_twice_daily_slot_asks_about_that_slot(
    alice_client: Client, twice_daily: Therapy, thigh: InjectionSite
) -> None:
    alice_client.post(URL, _data(thigh, dose_mg="20", taken_at="2026-11-18T07:00"))

    response = alice_client.post(URL, _data(thigh, dose_mg="20"))

    assert response.status_code == 200
    assert second_in_slot("8:00 AM") in words(select_one(response, "#confirm-second"))
    assert DoseLog.objects.count() == 1


def test_a_dose_in_the_other_slot_of_a_twice_daily_day_is_not_asked_about(
    alice_client: Client, twice_daily: Therapy, thigh: InjectionSite
) -> None:
    alice_client.post(URL, _data(thigh, dose_mg="20", taken_at="2026-11-18T07:00"))

    response = alice_client.post(URL, _data(thigh, dose_mg="20", slot="2026-11-18T20:00"))

    assert response.status_code == 302
    assert DoseLog.objects.count() == 2


def test_a_second_caregiver_logging_a_slot_already_filled_is_asked_first(
    sam_client: Client,
    una: User,
    mia: Patient,
    mia_therapy: Therapy,
    thigh: InjectionSite,
    log_dose: LogDose,
) -> None:
    log_dose(mia_therapy, new_york(2026, 11, 18, 8, 5), by=una)

    response = sam_client.post(_new(mia), _data(thigh, dose_mg="16"))

    assert second_in_slot("8:00 AM") in words(select_one(response, "#confirm-second"))
    assert DoseLog.objects.count() == 1


def test_a_confirmed_second_dose_is_still_held_to_the_daily_max(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), dose_mg="100")

    response = alice_client.post(URL, _data(thigh, dose_mg="40", confirm_second="true"))

    assert response.status_code == 200
    assert field_errors(response, "dose_mg") == [over_max(140, 100)]
    assert DoseLog.objects.count() == 1


def test_a_skipped_entry_does_not_make_the_next_dose_a_second_one(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), status="skipped", skip_reason="late")

    response = alice_client.post(URL, _data(thigh))

    assert response.status_code == 302
    assert DoseLog.objects.taken().count() == 1


def test_an_extra_dose_is_not_asked_about_but_is_held_to_the_daily_max(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, thigh: InjectionSite
) -> None:
    make_therapy(alice, prescribed_dose="50")
    alice_client.post(URL, _data(thigh, dose_mg="50", taken_at="2026-11-18T07:00"))

    extra = alice_client.post(URL, _data(thigh, dose_mg="40", slot=""))
    too_much = alice_client.post(URL, _data(thigh, dose_mg="20", slot=""))

    assert extra.status_code == 302
    assert field_errors(too_much, "dose_mg") == [over_max(110, 100)]
    assert DoseLog.objects.count() == 2


# --- resubmission -----------------------------------------------------------------------


def test_the_same_form_posted_twice_makes_one_row(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    data = _data(thigh)

    first = alice_client.post(URL, data)
    again = alice_client.post(URL, data)

    assert first.status_code == again.status_code == 302
    assert DoseLog.objects.count() == 1
    assert str(DoseLog.objects.get().submission_id) == data["submission_id"]


def test_a_new_form_for_the_same_slot_is_a_second_dose_not_a_resubmission(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    alice_client.post(URL, _data(thigh, dose_mg="40", taken_at="2026-11-18T07:00"))

    response = alice_client.post(URL, _data(thigh, dose_mg="40"))

    assert response.status_code == 200
    assert SECOND_DOSE in words(response)
    assert DoseLog.objects.count() == 1


def test_a_form_submission_id_already_used_by_another_patient_saves_nothing_for_them(
    bob_client: Client,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    thigh: InjectionSite,
    log_dose: LogDose,
) -> None:
    alices = log_dose(alice_therapy, new_york(2026, 11, 18, 8, 15), note="private")

    response = bob_client.post(URL, _data(thigh, submission_id=str(alices.submission_id)))

    assert response.status_code == 200
    assert "This form has already been used. Reload the page and try again." in words(response)
    assert DoseLog.objects.count() == 1
    assert not DoseLog.objects.for_patient(bob_therapy.patient).exists()
    for page in (response, bob_client.get("/")):
        assert "8:15" not in page.content.decode()  # nowhere, not even in an attribute


# --- the clocks change ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ("first", datetime.datetime(2026, 11, 1, 5, 30, tzinfo=datetime.UTC)),
        ("second", datetime.datetime(2026, 11, 1, 6, 30, tzinfo=datetime.UTC)),
    ],
    ids=["the first 1:30 AM", "the second 1:30 AM"],
)
def test_a_time_that_happened_twice_is_asked_about_then_saved_as_the_one_chosen(
    alice_client: Client,
    alice_therapy: Therapy,
    thigh: InjectionSite,
    clock: time_machine.Traveller,
    answer: str,
    stored: datetime.datetime,
) -> None:
    # On 1 November 2026 New York's clocks went back from 2:00 to 1:00 AM.
    clock.move_to(new_york(2026, 11, 1, 9))

    question = alice_client.post(
        URL, _data(thigh, slot="2026-11-01T08:00", taken_at="2026-11-01T01:30")
    )

    assert question.status_code == 200
    assert field_errors(question, "taken_at") == [
        "1:30 AM happened twice on 1 November 2026, when the clocks went back. "
        "Choose below whether it was the first or the second time."
    ]
    assert radios(question, "clock_change") == [
        Radio("first", "The first time (before the clocks went back)", checked=False),
        Radio("second", "The second time (after)", checked=False),
    ]
    assert DoseLog.objects.count() == 0

    response = alice_client.post(URL, {**form_data(question, "dose-form"), "clock_change": answer})

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert dose.taken_at == stored
    assert (dose.local_date, dose.slot_time) == (datetime.date(2026, 11, 1), datetime.time(8))


def test_a_time_that_never_happened_is_refused_with_a_plain_message(
    alice_client: Client,
    alice: User,
    make_therapy: MakeTherapy,
    thigh: InjectionSite,
    clock: time_machine.Traveller,
) -> None:
    # 02:30 on 8 March 2026 never happened in New York: the clocks jumped from 2:00 to 3:00.
    make_therapy(alice, start_date=datetime.date(2026, 3, 1))
    clock.move_to(new_york(2026, 3, 8, 9))

    response = alice_client.post(
        URL, _data(thigh, slot="2026-03-08T08:00", taken_at="2026-03-08T02:30")
    )

    assert response.status_code == 200
    assert field_errors(response, "taken_at") == [
        "2:30 AM did not happen on 8 March 2026 where the patient lives: the clocks went "
        "forward an hour. Enter the time as the clock showed it after the change."
    ]
    assert radios(response, "clock_change") == []
    assert DoseLog.objects.count() == 0


# --- who may log ------------------------------------------------------------------------


def test_bob_gets_404_for_alices_form_and_her_therapy(
    bob_client: Client,
    alice_patient: Patient,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    thigh: InjectionSite,
) -> None:
    assert bob_client.get(_new(alice_patient)).status_code == 404
    assert bob_client.post(_new(alice_patient), _data(thigh)).status_code == 404
    # On his own form, a therapy id of hers is not found either.
    assert bob_client.get(URL, {"therapy": str(alice_therapy.uuid)}).status_code == 404
    assert bob_client.post(URL, _data(thigh, therapy=str(alice_therapy.uuid))).status_code == 404
    assert DoseLog.objects.count() == 0


def test_another_familys_account_gets_404_for_the_childs_form(
    alice_client: Client,
    alice_therapy: Therapy,
    mia: Patient,
    mia_therapy: Therapy,
    thigh: InjectionSite,
) -> None:
    assert alice_client.get(_new(mia)).status_code == 404
    assert alice_client.post(_new(mia), _data(thigh, dose_mg="16")).status_code == 404
    assert alice_client.get(URL, {"therapy": str(mia_therapy.uuid)}).status_code == 404
    assert DoseLog.objects.count() == 0


def test_a_caregiver_whose_access_ended_gets_404_for_the_childs_form(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy, thigh: InjectionSite
) -> None:
    end_access(una, mia)

    assert una_client.get(_new(mia)).status_code == 404
    assert una_client.post(_new(mia), _data(thigh, dose_mg="16")).status_code == 404
    assert DoseLog.objects.count() == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_dose_form_rejects_other_methods(
    alice_client: Client, alice_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_dose_form_sends_anonymous_visitors_to_sign_in(
    client: Client, thigh: InjectionSite
) -> None:
    assert client.get(URL)["Location"] == "/accounts/login/?next=/doses/new/"
    response = client.post(URL, _data(thigh))
    assert response["Location"] == "/accounts/login/?next=/doses/new/"
    assert DoseLog.objects.count() == 0


@pytest.mark.parametrize("count", [10, 1000])
def test_dose_form_query_count_does_not_grow_with_the_log(
    alice_client: Client,
    alice_therapy: Therapy,
    make_bulk_doses: BulkDoses,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    make_bulk_doses(alice_therapy, count)

    # 1 session, 2 user, 3 the account's patients; the patient's therapies: 4 with
    # regimen and medicine, 5 injection sites, 6 lab rules, 7 weights; 8 the doses of
    # the two days whose slots the form offers, 9 last use of each site, 10 the sites
    # to choose from.
    with django_assert_max_num_queries(10):
        response = alice_client.get(URL)

    assert response.status_code == 200
    assert len(radios(response, "site")) == 8
