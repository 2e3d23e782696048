"""The rules that live on the tracking models: sites, dose days, statuses, limits."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from monographs.models import InjectionSite
from portal.models import User
from tests.world import KIDNEY, NOMID, RA, TODAY, LogDose, MakeTherapy, new_york
from tracking.models import (
    DayStatus,
    DoseLog,
    LabResult,
    Therapy,
    adherence_percent,
    day_statuses,
)

Area = InjectionSite.BodyArea
SELF_SITES = [Area.LEFT_THIGH, Area.RIGHT_THIGH, Area.LEFT_ABDOMEN, Area.RIGHT_ABDOMEN]
HELPER_SITES = [Area.LEFT_ARM, Area.RIGHT_ARM, Area.LEFT_BUTTOCK, Area.RIGHT_BUTTOCK]


def _used(sites: dict[str, InjectionSite], *areas: str) -> dict[int, datetime.datetime]:
    """last_used for these areas, oldest first, one day apart."""
    first = new_york(2026, 11, 1, 8)
    return {
        sites[area].pk: first + datetime.timedelta(days=index) for index, area in enumerate(areas)
    }


# --- suggest_site --------------------------------------------------------------------


def test_first_suggestion_is_the_first_self_injection_site(
    alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    assert alice_therapy.suggest_site({}) == sites[Area.LEFT_THIGH]


def test_suggestion_prefers_a_site_never_used(
    alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    suggested = alice_therapy.suggest_site(_used(sites, Area.LEFT_THIGH, Area.RIGHT_THIGH))

    assert suggested == sites[Area.LEFT_ABDOMEN]


def test_suggestion_is_the_least_recently_used_site(
    alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    last_used = _used(
        sites, Area.RIGHT_ABDOMEN, Area.LEFT_THIGH, Area.LEFT_ABDOMEN, Area.RIGHT_THIGH
    )

    assert alice_therapy.suggest_site(last_used) == sites[Area.RIGHT_ABDOMEN]


def test_suggestion_is_never_the_site_used_last_whatever_the_order(
    alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    for order in itertools.permutations(SELF_SITES):
        suggested = alice_therapy.suggest_site(_used(sites, *order))

        assert suggested != sites[order[-1]]
        assert suggested == sites[order[0]]


def test_a_single_usable_site_is_suggested_even_if_used_last(
    alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    only = [sites[Area.LEFT_THIGH]]

    assert alice_therapy.suggest_site(_used(sites, Area.LEFT_THIGH), only) == only[0]


def test_rotation_through_logged_doses_visits_every_self_site_in_turn(
    alice_therapy: Therapy, sites: dict[str, InjectionSite], log_dose: LogDose
) -> None:
    chosen = []
    for day in range(8):
        dose = log_dose(alice_therapy, new_york(2026, 11, 1 + day, 8))
        assert dose.site is not None
        chosen.append(dose.site.body_area)

    assert chosen == SELF_SITES + SELF_SITES
    assert all(earlier != later for earlier, later in zip(chosen, chosen[1:], strict=False))


def test_helper_only_sites_are_not_suggested_to_a_patient_who_injects_alone(
    alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    usable = alice_therapy.usable_sites()
    # The four self sites used recently; the arms and buttocks were never used.
    suggested = alice_therapy.suggest_site(_used(sites, *SELF_SITES))

    assert {site.body_area for site in usable} == set(SELF_SITES)
    assert suggested == sites[Area.LEFT_THIGH]


def test_helper_only_sites_are_offered_when_someone_else_injects(
    alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    alice_therapy.someone_else_injects = True

    usable = alice_therapy.usable_sites()
    suggested = alice_therapy.suggest_site(_used(sites, *SELF_SITES))

    assert {site.body_area for site in usable} == set(SELF_SITES + HELPER_SITES)
    assert suggested == sites[Area.LEFT_ARM]


def test_last_use_by_site_counts_only_the_patients_taken_doses(
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 10, 8), site=sites[Area.LEFT_THIGH])
    log_dose(alice_therapy, new_york(2026, 11, 11, 8), site=sites[Area.RIGHT_THIGH])
    log_dose(alice_therapy, new_york(2026, 11, 12, 8), status="skipped", skip_reason="unwell")
    log_dose(bob_therapy, new_york(2026, 11, 13, 8), site=sites[Area.LEFT_ABDOMEN])

    last_used = DoseLog.objects.for_patient(alice_therapy.patient).last_use_by_site()

    assert last_used == {
        sites[Area.LEFT_THIGH].pk: new_york(2026, 11, 10, 8),
        sites[Area.RIGHT_THIGH].pk: new_york(2026, 11, 11, 8),
    }
    assert alice_therapy.suggest_site(last_used) == sites[Area.LEFT_ABDOMEN]


# --- dose days ---------------------------------------------------------------------


def test_every_other_day_regimen_has_a_dose_on_alternate_days_from_the_start(
    alice: User, make_therapy: MakeTherapy
) -> None:
    start = datetime.date(2026, 11, 2)
    therapy = make_therapy(alice, KIDNEY, "100", start_date=start)
    therapy.end_date = datetime.date(2026, 11, 10)

    days = {
        start + datetime.timedelta(days=n): therapy.is_dose_day(start + datetime.timedelta(days=n))
        for n in range(-1, 11)
    }

    assert [day.day for day, due in days.items() if due] == [2, 4, 6, 8, 10]
    assert days[datetime.date(2026, 11, 1)] is False  # before the start
    assert days[datetime.date(2026, 11, 12)] is False  # after the end, though "even"


def test_once_daily_regimen_has_a_dose_every_day_from_the_start(
    alice_therapy: Therapy,
) -> None:
    start = alice_therapy.start_date

    assert alice_therapy.is_dose_day(start - datetime.timedelta(days=1)) is False
    assert all(alice_therapy.is_dose_day(start + datetime.timedelta(days=n)) for n in range(10))


def test_local_date_is_the_patients_own_day(alice_therapy: Therapy) -> None:
    late_evening = datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC)

    assert alice_therapy.local_date(late_evening) == datetime.date(2026, 11, 17)
    assert alice_therapy.today() == TODAY


# --- day statuses and adherence ---------------------------------------------------------


def test_day_statuses_mark_taken_skipped_missed_due_and_none(alice_therapy: Therapy) -> None:
    first = TODAY - datetime.timedelta(days=3)
    logged = {
        TODAY - datetime.timedelta(days=3): "taken",
        TODAY - datetime.timedelta(days=2): "skipped",
    }

    statuses = day_statuses(alice_therapy, first, TODAY + datetime.timedelta(days=1), logged)

    assert statuses == [
        (TODAY - datetime.timedelta(days=3), DayStatus.TAKEN),
        (TODAY - datetime.timedelta(days=2), DayStatus.SKIPPED),
        (TODAY - datetime.timedelta(days=1), DayStatus.MISSED),
        (TODAY, DayStatus.DUE),
        (TODAY + datetime.timedelta(days=1), DayStatus.NONE),
    ]


def test_days_before_the_start_are_not_missed(alice_therapy: Therapy) -> None:
    before = alice_therapy.start_date - datetime.timedelta(days=1)

    statuses = day_statuses(alice_therapy, before, alice_therapy.start_date, {})

    assert [status for _, status in statuses] == [DayStatus.NONE, DayStatus.MISSED]


def test_off_days_of_an_every_other_day_regimen_are_not_missed(
    alice: User, make_therapy: MakeTherapy
) -> None:
    therapy = make_therapy(alice, KIDNEY, "100", start_date=TODAY - datetime.timedelta(days=4))

    statuses = day_statuses(therapy, therapy.start_date, TODAY, {})

    assert [status for _, status in statuses] == [
        DayStatus.MISSED,
        DayStatus.NONE,
        DayStatus.MISSED,
        DayStatus.NONE,
        DayStatus.DUE,
    ]
    assert adherence_percent(statuses) == 0


def test_taken_beats_skipped_on_the_same_day(alice_therapy: Therapy, log_dose: LogDose) -> None:
    day = TODAY - datetime.timedelta(days=1)
    log_dose(alice_therapy, new_york(2026, 11, 17, 7), status="skipped", skip_reason="late")
    log_dose(alice_therapy, new_york(2026, 11, 17, 21))

    logged = DoseLog.objects.for_patient(alice_therapy.patient).status_by_day()

    assert logged == {day: "taken"}


def test_adherence_counts_taken_among_dose_days_and_ignores_today_until_logged(
    alice_therapy: Therapy,
) -> None:
    first = TODAY - datetime.timedelta(days=4)
    logged = {
        first: "taken",
        first + datetime.timedelta(days=1): "taken",
        first + datetime.timedelta(days=2): "skipped",
    }  # and a missed day before today, which is still due

    statuses = day_statuses(alice_therapy, first, TODAY, logged)

    assert adherence_percent(statuses) == 50  # 2 taken of 4 counted days
    logged[TODAY] = "taken"
    assert adherence_percent(day_statuses(alice_therapy, first, TODAY, logged)) == 60


def test_adherence_is_unknown_without_a_past_dose_day(alice_therapy: Therapy) -> None:
    assert adherence_percent(day_statuses(alice_therapy, TODAY, TODAY, {})) is None


# --- Therapy.clean and the daily maximum ------------------------------------------------


def _therapy(alice: User, regimens: dict, indication: str, dose: str, **fields: object) -> Therapy:
    regimen = regimens[indication]
    values: dict[str, object] = {"start_date": TODAY, "time_zone": "America/New_York"}
    values.update(fields)
    return Therapy(
        patient=alice,
        medicine=regimen.medicine,
        regimen=regimen,
        prescribed_dose=Decimal(dose),
        **values,
    )


def _errors(therapy: Therapy) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        therapy.full_clean()
    return caught.value.message_dict


@pytest.mark.usefixtures("clock")
def test_clean_refuses_a_dose_above_the_regimens_maximum(alice: User, regimens: dict) -> None:
    errors = _errors(_therapy(alice, regimens, RA, "150"))

    assert errors == {
        "prescribed_dose": [
            "That is more than this regimen allows: at most 100 mg a day. "
            "Check the dose on your prescription."
        ]
    }


@pytest.mark.usefixtures("clock")
def test_clean_accepts_the_maximum_itself(alice: User, regimens: dict) -> None:
    _therapy(alice, regimens, RA, "100").full_clean()
    _therapy(alice, regimens, NOMID, "8", weight_kg=Decimal("10")).full_clean()


@pytest.mark.usefixtures("clock")
def test_clean_accepts_a_once_a_day_dose_of_a_regimen_that_may_be_split(
    alice: User, regimens: dict
) -> None:
    # NOMID is "once a day, or split into two": 5 mg/kg once a day is within 8 mg/kg.
    _therapy(alice, regimens, NOMID, "5", weight_kg=Decimal("10")).full_clean()


@pytest.mark.usefixtures("clock")
def test_clean_refuses_one_dose_above_the_daily_maximum(alice: User, regimens: dict) -> None:
    errors = _errors(_therapy(alice, regimens, NOMID, "8.5", weight_kg=Decimal("10")))

    assert errors == {
        "prescribed_dose": [
            "That is more than this regimen allows: at most 8 mg/kg a day. "
            "Check the dose on your prescription."
        ]
    }


@pytest.mark.usefixtures("clock")
def test_clean_asks_for_the_weight_of_a_weight_based_regimen(alice: User, regimens: dict) -> None:
    errors = _errors(_therapy(alice, regimens, NOMID, "2"))

    assert errors == {
        "weight_kg": ["This regimen is dosed by body weight: enter the weight in kg."]
    }


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize("weight", ["0.4", "350.1"])
def test_clean_refuses_a_weight_outside_a_human_range(
    alice: User, regimens: dict, weight: str
) -> None:
    errors = _errors(_therapy(alice, regimens, NOMID, "2", weight_kg=Decimal(weight)))

    assert list(errors) == ["weight_kg"]


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize("weight", ["0.5", "350"])
def test_clean_accepts_the_ends_of_the_weight_range(
    alice: User, regimens: dict, weight: str
) -> None:
    _therapy(alice, regimens, NOMID, "2", weight_kg=Decimal(weight)).full_clean()


@pytest.mark.usefixtures("clock")
def test_clean_refuses_a_start_date_more_than_60_days_ahead(alice: User, regimens: dict) -> None:
    latest = TODAY + datetime.timedelta(days=60)

    _therapy(alice, regimens, RA, "100", start_date=latest).full_clean()
    errors = _errors(
        _therapy(alice, regimens, RA, "100", start_date=latest + datetime.timedelta(days=1))
    )

    assert errors == {
        "start_date": ["The start date is too far ahead. Use a date on or before 17 January 2027."]
    }


@pytest.mark.usefixtures("clock")
def test_clean_refuses_an_unknown_time_zone(alice: User, regimens: dict) -> None:
    errors = _errors(_therapy(alice, regimens, RA, "100", time_zone="Mars/Olympus_Mons"))

    assert errors == {"time_zone": ["Choose a time zone from the list, e.g. America/New_York."]}


def test_max_daily_mg_is_mg_per_kg_times_weight(nomid_therapy: Therapy) -> None:
    assert nomid_therapy.max_daily_mg() == Decimal("80")
    assert nomid_therapy.dose_mg == Decimal("20")
    nomid_therapy.weight_kg = Decimal("12.5")
    assert nomid_therapy.max_daily_mg() == Decimal("100")


def test_max_daily_mg_of_a_fixed_regimen_ignores_weight(alice_therapy: Therapy) -> None:
    alice_therapy.weight_kg = Decimal("90")

    assert alice_therapy.max_daily_mg() == Decimal("100")
    assert alice_therapy.dose_mg == Decimal("100")


def test_max_daily_mg_of_a_weight_based_regimen_needs_a_weight(nomid_therapy: Therapy) -> None:
    with pytest.raises(ValueError, match="needs the patient's weight"):
        nomid_therapy.regimen.max_daily_mg(None)


def test_time_zone_moves_the_local_day_in_summer_too(alice_therapy: Therapy) -> None:
    # In July New York is UTC-4: 03:30 UTC is still 23:30 the evening before.
    with time_machine.travel(datetime.datetime(2026, 7, 2, 3, 30, tzinfo=datetime.UTC)):
        assert alice_therapy.today() == datetime.date(2026, 7, 1)


def test_lab_due_dates_after_the_therapy_ended_are_dropped_but_results_kept(
    alice_therapy: Therapy,
) -> None:
    rule = alice_therapy.medicine.lab_rules.get()
    start = alice_therapy.start_date
    month_3 = LabResult(rule=rule, due_month=3, taken_on=start, value=Decimal(2000))
    alice_therapy.end_date = start + datetime.timedelta(days=45)

    dues = alice_therapy.lab_due_dates([month_3])

    # Before the first dose and month 1 fall inside the therapy; month 3 has a result.
    assert [(due.month, due.result is not None) for due in dues] == [
        (0, False),
        (1, False),
        (3, True),
    ]
