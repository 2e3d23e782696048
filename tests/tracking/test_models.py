"""The rules that live on the tracking models: sites, schedules, slots, days, doses, limits."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from monographs.models import DosingRegimen, InjectionSite, Medicine
from portal.models import User
from tests.world import (
    ALICE_STARTED,
    KIDNEY,
    NOMID,
    NOW,
    RA,
    TODAY,
    WEDNESDAY,
    LogDose,
    MakeTherapy,
    new_york,
)
from tracking.models import (
    MISSED_AFTER,
    WEIGHT_MESSAGE,
    Adherence,
    DayStatus,
    DoseLog,
    LabResult,
    Patient,
    Slot,
    SlotStatus,
    Therapy,
    Weight,
    days_between,
    days_over_limit,
    slot_status,
    slots_between,
)

Area = InjectionSite.BodyArea
SELF_SITES = [Area.LEFT_THIGH, Area.RIGHT_THIGH, Area.LEFT_ABDOMEN, Area.RIGHT_ABDOMEN]
HELPER_SITES = [Area.LEFT_ARM, Area.RIGHT_ARM, Area.LEFT_BUTTOCK, Area.RIGHT_BUTTOCK]
MORNING, EVENING = datetime.time(8), datetime.time(20)


def _days(back: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=back)


def _used(sites: dict[str, InjectionSite], *areas: str) -> dict[int, datetime.datetime]:
    """last_used for these areas, oldest first, one day apart."""
    first = new_york(2026, 11, 1, 8)
    return {
        sites[area].pk: first + datetime.timedelta(days=index) for index, area in enumerate(areas)
    }


def _entry(
    therapy: Therapy,
    day: datetime.date,
    time: datetime.time | None,
    status: str = DoseLog.Status.TAKEN,
) -> DoseLog:
    """An entry for a slot, unsaved: the slot rules only read what it fills."""
    return DoseLog(
        patient=therapy.patient,
        therapy=therapy,
        status=status,
        taken_at=datetime.datetime.combine(day, time or datetime.time(12), therapy.patient.zone),
        local_date=day,
        slot_time=time,
        dose_mg=therapy.dose_mg_on(day) if status == DoseLog.Status.TAKEN else None,
    )


def _statuses(slots: list[Slot]) -> list[tuple[int, str, SlotStatus]]:
    return [(slot.day.day, f"{slot.time:%H:%M}", slot.status) for slot in slots]


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


def test_a_medicine_without_injection_sites_suggests_none(alice_pill: Therapy) -> None:
    assert alice_pill.is_injected is False
    assert alice_pill.usable_sites() == []
    assert alice_pill.suggest_site({}) is None


# --- schedules: which days and times make slots ---------------------------------------


def test_every_other_day_schedule_has_a_dose_on_alternate_days_from_the_start(
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
    assert therapy.schedule_text == "8:00 AM, every other day, counting from the start date"


def test_once_daily_schedule_has_a_dose_every_day_from_the_start(
    alice_therapy: Therapy,
) -> None:
    start = alice_therapy.start_date

    assert alice_therapy.is_dose_day(start - datetime.timedelta(days=1)) is False
    assert all(alice_therapy.is_dose_day(start + datetime.timedelta(days=n)) for n in range(10))
    assert alice_therapy.schedule_text == "8:00 AM, every day"


def test_weekday_schedule_has_a_dose_only_on_its_day_of_the_week(alice_pill: Therapy) -> None:
    fortnight = [_days(back) for back in range(13, -1, -1)]

    assert [day for day in fortnight if alice_pill.is_dose_day(day)] == [_days(7), TODAY]
    assert {day.weekday() for day in fortnight if alice_pill.is_dose_day(day)} == {WEDNESDAY}
    assert alice_pill.slot_times_on(_days(1)) == []
    assert alice_pill.slot_times_on(TODAY) == [datetime.time(9)]
    assert alice_pill.schedule_text == "9:00 AM on Wednesdays"


def test_a_twice_daily_schedule_makes_two_slots_a_day_earliest_first(
    mia_therapy: Therapy,
) -> None:
    mia_therapy.dose_times = ["20:00", "08:00"]

    assert mia_therapy.times == [MORNING, EVENING]
    assert mia_therapy.doses_per_day == 2
    assert mia_therapy.slot_times_on(TODAY) == [MORNING, EVENING]
    assert mia_therapy.schedule_text == "8:00 AM and 8:00 PM, every day"


def test_a_therapy_that_ended_makes_no_slot_after_its_end_and_keeps_the_ones_before(
    alice_therapy: Therapy,
) -> None:
    alice_therapy.end_date = _days(3)

    slots = slots_between([alice_therapy], _days(5), TODAY, [], NOW)

    assert [slot.day for slot in slots] == [_days(5), _days(4), _days(3)]
    assert alice_therapy.has_ended is True
    assert alice_therapy.is_active_on(_days(3)) is True
    assert alice_therapy.is_active_on(_days(2)) is False
    days = days_between([alice_therapy], _days(5), TODAY, [], NOW)
    assert [day.status for day in days] == [DayStatus.MISSED] * 3 + [DayStatus.NONE] * 3


def test_an_ongoing_therapy_or_one_ending_today_has_not_ended(alice_therapy: Therapy) -> None:
    assert alice_therapy.has_ended is False
    alice_therapy.end_date = TODAY
    assert alice_therapy.has_ended is False
    assert alice_therapy.slot_times_on(TODAY) == [MORNING]


def test_local_date_is_the_patients_own_day(alice_therapy: Therapy) -> None:
    late_evening = datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC)

    assert alice_therapy.patient.local_date(late_evening) == datetime.date(2026, 11, 17)
    assert alice_therapy.patient.today() == TODAY


def test_time_zone_moves_the_local_day_in_summer_too(alice_therapy: Therapy) -> None:
    # In July New York is UTC-4: 03:30 UTC is still 23:30 the evening before.
    with time_machine.travel(datetime.datetime(2026, 7, 2, 3, 30, tzinfo=datetime.UTC)):
        assert alice_therapy.patient.today() == datetime.date(2026, 7, 1)


# --- slots and their status -----------------------------------------------------------


def test_a_slot_is_later_then_due_then_missed_once_the_grace_period_has_passed() -> None:
    due_at = new_york(2026, 11, 18, 20)

    assert datetime.timedelta(hours=4) == MISSED_AFTER
    assert slot_status((), due_at, due_at - datetime.timedelta(minutes=1)) == SlotStatus.LATER
    assert slot_status((), due_at, due_at) == SlotStatus.DUE
    before_missed = due_at + MISSED_AFTER - datetime.timedelta(minutes=1)
    assert slot_status((), due_at, before_missed) == SlotStatus.DUE
    assert slot_status((), due_at, due_at + MISSED_AFTER) == SlotStatus.MISSED


def test_a_logged_slot_is_taken_or_skipped_whenever_it_was_logged(
    mia_therapy: Therapy,
) -> None:
    due_at = new_york(2026, 11, 18, 20)
    taken = _entry(mia_therapy, TODAY, EVENING)
    skipped = _entry(mia_therapy, TODAY, EVENING, DoseLog.Status.SKIPPED)
    early = due_at - datetime.timedelta(hours=2)
    late = due_at + MISSED_AFTER * 3

    assert slot_status((taken,), due_at, early) == SlotStatus.TAKEN
    assert slot_status((skipped,), due_at, late) == SlotStatus.SKIPPED
    # A dose given after a skipped entry: the slot was taken.
    assert slot_status((skipped, taken), due_at, late) == SlotStatus.TAKEN


def test_slots_between_lists_each_slot_with_its_status(mia_therapy: Therapy) -> None:
    # NOW is 10:00 on the 18th: yesterday evening's slot passed its grace at midnight.
    slots = slots_between([mia_therapy], _days(1), TODAY, [], NOW)

    assert _statuses(slots) == [
        (17, "08:00", SlotStatus.MISSED),
        (17, "20:00", SlotStatus.MISSED),
        (18, "08:00", SlotStatus.DUE),
        (18, "20:00", SlotStatus.LATER),
    ]
    assert slots[3].due_at == datetime.datetime(2026, 11, 19, 1, 0, tzinfo=datetime.UTC)
    assert slots[3].key == "2026-11-18T20:00"
    assert [slot.label for slot in slots[2:]] == ["Morning, 8:00 AM", "Evening, 8:00 PM"]


def test_a_once_a_day_slot_is_named_by_its_time_alone(alice_therapy: Therapy) -> None:
    [slot] = slots_between([alice_therapy], TODAY, TODAY, [], NOW)

    assert slot.label == "8:00 AM"
    assert slot.key == "2026-11-18T08:00"


def test_each_entry_fills_only_its_own_therapy_day_and_time(
    mia_therapy: Therapy, make_therapy: MakeTherapy, mia: Patient
) -> None:
    second = make_therapy(mia, NOMID, "1", start_date=_days(1))
    morning = _entry(mia_therapy, _days(1), MORNING)
    skipped = _entry(second, _days(1), MORNING, DoseLog.Status.SKIPPED)

    slots = slots_between([mia_therapy, second], _days(1), _days(1), [morning, skipped], NOW)

    assert [(slot.therapy, slot.time, slot.status, slot.doses) for slot in slots] == [
        (mia_therapy, MORNING, SlotStatus.TAKEN, (morning,)),
        (second, MORNING, SlotStatus.SKIPPED, (skipped,)),
        (mia_therapy, EVENING, SlotStatus.MISSED, ()),
    ]
    assert slots[0].dose == morning
    assert slots[2].dose is None


def test_an_extra_dose_off_the_schedule_fills_no_slot(mia_therapy: Therapy) -> None:
    extra = _entry(mia_therapy, _days(1), None)

    slots = slots_between([mia_therapy], _days(1), _days(1), [extra], NOW)

    assert [slot.status for slot in slots] == [SlotStatus.MISSED, SlotStatus.MISSED]


def test_the_entry_a_slot_shows_is_the_dose_taken_before_a_skipped_one(
    mia_therapy: Therapy,
) -> None:
    skipped = _entry(mia_therapy, _days(1), MORNING, DoseLog.Status.SKIPPED)
    taken = _entry(mia_therapy, _days(1), MORNING)

    [slot, _] = slots_between([mia_therapy], _days(1), _days(1), [skipped, taken], NOW)

    assert slot.doses == (skipped, taken)
    assert slot.dose == taken


def test_slots_follow_the_patients_zone(make_therapy: MakeTherapy, alice: User) -> None:
    # NOW is midnight in Tokyo, already the 19th; 08:00 there is 23:00 UTC on the 18th.
    therapy = make_therapy(alice, time_zone="Asia/Tokyo")
    tokyo_today = datetime.date(2026, 11, 19)

    slots = slots_between(
        [therapy], tokyo_today - datetime.timedelta(days=1), tokyo_today, [], NOW
    )

    assert therapy.patient.today() == tokyo_today
    assert [slot.due_at for slot in slots] == [
        datetime.datetime(2026, 11, 17, 23, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 18, 23, 0, tzinfo=datetime.UTC),
    ]
    assert [slot.status for slot in slots] == [SlotStatus.MISSED, SlotStatus.LATER]


# --- days, counting doses -------------------------------------------------------------


def test_days_between_counts_the_doses_of_each_day(mia_therapy: Therapy) -> None:
    entries = [
        _entry(mia_therapy, _days(5), MORNING),
        _entry(mia_therapy, _days(5), EVENING),
        _entry(mia_therapy, _days(4), MORNING),  # the evening dose never logged
        _entry(mia_therapy, _days(3), MORNING, DoseLog.Status.SKIPPED),
        _entry(mia_therapy, _days(3), EVENING, DoseLog.Status.SKIPPED),
        _entry(mia_therapy, _days(2), MORNING),
        _entry(mia_therapy, _days(2), EVENING, DoseLog.Status.SKIPPED),
        _entry(mia_therapy, TODAY, MORNING),
    ]

    days = days_between([mia_therapy], _days(6), TODAY, entries, NOW)

    assert [(day.day.day, day.status, day.count_text) for day in days] == [
        (12, DayStatus.MISSED, "0 of 2"),
        (13, DayStatus.TAKEN, "2 of 2"),
        (14, DayStatus.PART, "1 of 2"),
        (15, DayStatus.SKIPPED, "0 of 2"),
        (16, DayStatus.PART, "1 of 2"),
        (17, DayStatus.MISSED, "0 of 2"),
        (18, DayStatus.DUE, "1 of 2"),  # the evening dose is still to come
    ]
    assert DayStatus.PART.label == "Part taken"


def test_only_the_morning_dose_of_a_twice_daily_day_is_part_taken_not_taken(
    mia_therapy: Therapy,
) -> None:
    # What the issue measured: the strip said "Taken" and adherence 100 %.
    morning = _entry(mia_therapy, _days(1), MORNING)

    [day] = days_between([mia_therapy], _days(1), _days(1), [morning], NOW)
    slots = slots_between([mia_therapy], _days(1), _days(1), [morning], NOW)

    assert (day.status, day.taken, day.due, day.count_text) == (DayStatus.PART, 1, 2, "1 of 2")
    assert Adherence.of(slots) == Adherence(taken=1, due=2)
    assert Adherence.of(slots).percent == 50


def test_a_once_daily_day_has_no_count(alice_therapy: Therapy) -> None:
    taken = _entry(alice_therapy, _days(1), MORNING)

    [day] = days_between([alice_therapy], _days(1), _days(1), [taken], NOW)

    assert (day.status, day.count_text) == (DayStatus.TAKEN, "")


def test_days_before_the_start_are_not_missed(alice_therapy: Therapy) -> None:
    before = alice_therapy.start_date - datetime.timedelta(days=1)

    days = days_between([alice_therapy], before, alice_therapy.start_date, [], NOW)

    assert [day.status for day in days] == [DayStatus.NONE, DayStatus.MISSED]


def test_off_days_of_an_every_other_day_schedule_are_not_missed(
    alice: User, make_therapy: MakeTherapy
) -> None:
    therapy = make_therapy(alice, KIDNEY, "100", start_date=_days(4))

    days = days_between([therapy], therapy.start_date, TODAY, [], NOW)
    slots = slots_between([therapy], therapy.start_date, TODAY, [], NOW)

    assert [day.status for day in days] == [
        DayStatus.MISSED,
        DayStatus.NONE,
        DayStatus.MISSED,
        DayStatus.NONE,
        DayStatus.DUE,
    ]
    assert Adherence.of(slots) == Adherence(taken=0, due=2)
    assert Adherence.of(slots).percent == 0


def test_a_dose_on_a_day_with_no_slot_still_shows_as_taken(
    alice: User, make_therapy: MakeTherapy
) -> None:
    therapy = make_therapy(alice, KIDNEY, "100", start_date=_days(2))
    off_day = _entry(therapy, _days(1), MORNING)

    days = days_between([therapy], _days(2), _days(1), [off_day], NOW)

    assert [day.status for day in days] == [DayStatus.MISSED, DayStatus.TAKEN]


def test_two_therapies_count_together_on_a_day(
    alice_therapy: Therapy, alice_pill: Therapy
) -> None:
    # Last Wednesday alice had two doses due: her anakinra at 08:00, the tablet at 09:00.
    wednesday = _days(7)
    anakinra = _entry(alice_therapy, wednesday, MORNING)

    [day] = days_between([alice_therapy, alice_pill], wednesday, wednesday, [anakinra], NOW)
    [thursday] = days_between([alice_therapy, alice_pill], _days(6), _days(6), [], NOW)

    assert (day.status, day.count_text) == (DayStatus.PART, "1 of 2")
    assert (thursday.status, thursday.due) == (DayStatus.MISSED, 1)


# --- adherence: doses taken of the doses due ------------------------------------------


def test_adherence_counts_doses_taken_among_doses_due_and_not_those_to_come(
    mia_therapy: Therapy,
) -> None:
    entries = [
        _entry(mia_therapy, _days(2), MORNING),
        _entry(mia_therapy, _days(2), EVENING),
        _entry(mia_therapy, _days(1), MORNING),
        _entry(mia_therapy, _days(1), EVENING, DoseLog.Status.SKIPPED),
    ]

    slots = slots_between([mia_therapy], _days(3), TODAY, entries, NOW)

    # Three days of two: 3 taken, 1 skipped, 2 missed; this morning's (due) and this
    # evening's (later) are not counted until they are logged or missed.
    assert Adherence.of(slots) == Adherence(taken=3, due=6)
    assert Adherence.of(slots).percent == 50
    entries.append(_entry(mia_therapy, TODAY, MORNING))
    slots = slots_between([mia_therapy], _days(3), TODAY, entries, NOW)
    assert Adherence.of(slots) == Adherence(taken=4, due=7)
    assert Adherence.of(slots).percent == 57


def test_adherence_is_unknown_before_any_dose_was_due(alice_therapy: Therapy) -> None:
    slots = slots_between([alice_therapy], TODAY, TODAY, [], new_york(2026, 11, 18, 7))

    assert Adherence.of(slots) == Adherence(taken=0, due=0)
    assert Adherence.of(slots).percent is None


# --- Therapy.clean: the dose and the schedule the regimen allows ---------------------


def _therapy(
    patient: Patient,
    regimen: DosingRegimen,
    dose: str,
    **fields: object,
) -> Therapy:
    values: dict[str, object] = {
        "start_date": TODAY,
        "dose_times": ["08:00"],
        "dose_days": regimen.allowed_days()[0],
    }
    values.update(fields)
    return Therapy(
        patient=patient,
        medicine=regimen.medicine,
        regimen=regimen,
        prescribed_dose=Decimal(dose),
        **values,
    )


def _errors(instance: Therapy | Patient | Weight) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


@pytest.mark.usefixtures("clock")
def test_clean_refuses_a_dose_above_the_regimens_maximum(
    alice_patient: Patient, regimens: dict[str, DosingRegimen]
) -> None:
    errors = _errors(_therapy(alice_patient, regimens[RA], "150"))

    assert errors == {
        "prescribed_dose": [
            "That is more than this regimen allows: at most 100 mg a day. "
            "Check the dose on your prescription."
        ]
    }


@pytest.mark.usefixtures("clock")
def test_clean_accepts_the_maximum_itself(
    alice_patient: Patient, regimens: dict[str, DosingRegimen]
) -> None:
    _therapy(alice_patient, regimens[RA], "100").full_clean()
    _therapy(alice_patient, regimens[NOMID], "8").full_clean()


@pytest.mark.usefixtures("clock")
def test_clean_accepts_a_once_a_day_dose_of_a_regimen_that_may_be_split(
    alice_patient: Patient, regimens: dict[str, DosingRegimen]
) -> None:
    # NOMID is "once a day, or split into two": 5 mg/kg once a day is within 8 mg/kg.
    _therapy(alice_patient, regimens[NOMID], "5").full_clean()
    _therapy(alice_patient, regimens[NOMID], "4", dose_times=["08:00", "20:00"]).full_clean()


@pytest.mark.usefixtures("clock")
def test_clean_refuses_one_dose_above_the_daily_maximum(
    alice_patient: Patient, regimens: dict[str, DosingRegimen]
) -> None:
    errors = _errors(_therapy(alice_patient, regimens[NOMID], "8.5"))

    assert errors == {
        "prescribed_dose": [
            "That is more than this regimen allows: at most 8 mg/kg a day. "
            "Check the dose on your prescription."
        ]
    }


@pytest.mark.usefixtures("clock")
def test_clean_accepts_a_weight_based_therapy_before_a_weight_is_entered(
    alice_patient: Patient, regimens: dict[str, DosingRegimen]
) -> None:
    # The weight is the patient's, dated, and entered on its own page.
    therapy = _therapy(alice_patient, regimens[NOMID], "2")
    therapy.full_clean()
    therapy.save()

    assert therapy.dose_mg_on(TODAY) is None
    assert therapy.max_daily_mg_on(TODAY) is None
    assert therapy.needs_new_weight(TODAY) is True


@pytest.mark.parametrize("weight", ["0.4", "350.1"])
def test_a_weight_outside_a_human_range_is_refused(alice_patient: Patient, weight: str) -> None:
    errors = _errors(Weight(patient=alice_patient, measured_on=TODAY, weight_kg=Decimal(weight)))

    assert errors == {"weight_kg": [WEIGHT_MESSAGE]}


@pytest.mark.parametrize("weight", ["0.5", "350"])
def test_the_ends_of_the_weight_range_are_accepted(alice_patient: Patient, weight: str) -> None:
    Weight(patient=alice_patient, measured_on=TODAY, weight_kg=Decimal(weight)).full_clean()


@pytest.mark.usefixtures("clock")
def test_clean_refuses_a_start_date_more_than_60_days_ahead(
    alice_patient: Patient, regimens: dict[str, DosingRegimen]
) -> None:
    latest = TODAY + datetime.timedelta(days=60)

    _therapy(alice_patient, regimens[RA], "100", start_date=latest).full_clean()
    errors = _errors(
        _therapy(
            alice_patient, regimens[RA], "100", start_date=latest + datetime.timedelta(days=1)
        )
    )

    assert errors == {
        "start_date": ["The start date is too far ahead. Use a date on or before 17 January 2027."]
    }


def test_a_patient_in_an_unknown_time_zone_is_refused(db: None) -> None:
    errors = _errors(Patient(name="Xena", time_zone="Mars/Olympus_Mons"))

    assert errors == {"time_zone": ["Choose a time zone from the list, e.g. America/New_York."]}


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize(
    ("indication", "fields", "errors"),
    [
        (
            RA,
            {"dose_times": ["08:00", "20:00"]},
            {"dose_times": ["This regimen is taken once a day: enter one time."]},
        ),
        (
            NOMID,
            {"dose_times": ["07:00", "13:00", "19:00"]},
            {"dose_times": ["This regimen is taken at most 2 times a day."]},
        ),
        (
            NOMID,
            {"dose_times": ["08:00", "08:00"]},
            {"dose_times": ["Enter each time of day once, like 08:00."]},
        ),
        (
            RA,
            {"dose_times": ["8 o'clock"]},
            {"dose_times": ["Enter each time of day once, like 08:00."]},
        ),
        (
            KIDNEY,
            {"dose_days": "daily"},
            {
                "dose_days": [
                    "This regimen is taken every other day, counting from the start date."
                ]
            },
        ),
        (
            RA,
            {"dose_days": "weekdays", "weekdays": [0]},
            {"dose_days": ["This regimen is taken every day."]},
        ),
    ],
    ids=[
        "twice on a once-a-day regimen",
        "three times on a split regimen",
        "the same time twice",
        "not a time",
        "daily on an every-other-day regimen",
        "weekdays on a daily regimen",
    ],
)
def test_clean_holds_the_schedule_to_what_the_regimen_allows(
    alice_patient: Patient,
    regimens: dict[str, DosingRegimen],
    indication: str,
    fields: dict[str, object],
    errors: dict[str, list[str]],
) -> None:
    dose = "1" if indication == NOMID else "100"

    assert _errors(_therapy(alice_patient, regimens[indication], dose, **fields)) == errors


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize(
    ("weekdays", "message"),
    [
        ([], "Choose the days of the week."),
        ([7], "Choose the days of the week."),
        ([2, 2], "Choose the days of the week."),
        ([0, 3], "Choose 1 day of the week."),
    ],
    ids=["none", "not a day", "the same day twice", "two days"],
)
def test_a_weekly_schedule_needs_its_one_day_of_the_week(
    alice_patient: Patient, weekly_pill: Medicine, weekdays: list[int], message: str
) -> None:
    regimen = weekly_pill.regimens.get()

    _therapy(alice_patient, regimen, "15", weekdays=[WEDNESDAY]).full_clean()
    assert _errors(_therapy(alice_patient, regimen, "15", weekdays=weekdays)) == {
        "weekdays": [message]
    }


# --- doses and limits from the weight in effect that day ------------------------------


@pytest.fixture
def heavier(nomid_therapy: Therapy) -> Therapy:
    """Alice on NOMID, 2 mg/kg: 10 kg from the start, 12.5 kg from 10 November."""
    Weight.objects.create(
        patient=nomid_therapy.patient,
        measured_on=datetime.date(2026, 11, 10),
        weight_kg=Decimal("12.5"),
    )
    return nomid_therapy


def test_a_dose_by_weight_uses_the_weight_in_effect_that_day(heavier: Therapy) -> None:
    assert heavier.dose_mg_on(datetime.date(2026, 11, 9)) == Decimal("20")
    assert heavier.max_daily_mg_on(datetime.date(2026, 11, 9)) == Decimal("80")
    assert heavier.dose_mg_on(datetime.date(2026, 11, 10)) == Decimal("25")
    assert heavier.max_daily_mg_on(datetime.date(2026, 11, 10)) == Decimal("100")
    assert heavier.dose_mg == Decimal("25")  # today's
    # Before the first weight there is nothing to dose by.
    before = ALICE_STARTED - datetime.timedelta(days=1)
    assert heavier.dose_mg_on(before) is None
    assert heavier.max_daily_mg_on(before) is None


def test_a_fixed_dose_ignores_the_weight(alice_therapy: Therapy) -> None:
    Weight.objects.create(patient=alice_therapy.patient, measured_on=TODAY, weight_kg=90)

    assert alice_therapy.dose_mg_on(TODAY) == Decimal("100")
    assert alice_therapy.max_daily_mg_on(TODAY) == Decimal("100")
    assert alice_therapy.max_daily_mg_on(ALICE_STARTED - datetime.timedelta(days=9)) == 100
    assert alice_therapy.needs_new_weight(TODAY) is False


def test_max_daily_mg_of_a_weight_based_regimen_needs_a_weight(nomid_therapy: Therapy) -> None:
    with pytest.raises(ValueError, match="needs the patient's weight"):
        nomid_therapy.regimen.max_daily_mg(None)


def test_a_lower_weight_later_flags_an_earlier_day_only_from_when_it_applies(
    nomid_therapy: Therapy, log_dose: LogDose
) -> None:
    # 80 mg on the 14th and on the 17th: each within 8 mg/kg x 10 kg when logged.
    for day in (14, 17):
        log_dose(nomid_therapy, new_york(2026, 11, day, 8), dose_mg="40")
        log_dose(nomid_therapy, new_york(2026, 11, day, 9), dose_mg="40")
    # Then a weight of 5 kg, measured on the 15th, is entered: 40 mg a day from then on.
    Weight.objects.create(
        patient=nomid_therapy.patient, measured_on=datetime.date(2026, 11, 15), weight_kg=5
    )
    doses = list(DoseLog.objects.for_patient(nomid_therapy.patient))

    flagged = days_over_limit([nomid_therapy], doses)

    assert flagged == [(datetime.date(2026, 11, 17), nomid_therapy, Decimal(80), Decimal(40))]


@pytest.mark.parametrize(
    ("weighed_days_ago", "asks"), [(90, False), (91, True)], ids=["90 days", "91 days"]
)
def test_a_new_weight_is_asked_for_once_the_latest_is_older_than_the_regimen_allows(
    alice: User, make_therapy: MakeTherapy, weighed_days_ago: int, asks: bool
) -> None:
    therapy = make_therapy(alice, NOMID, "2", weight_kg="10", start_date=_days(weighed_days_ago))

    assert therapy.regimen.weight_valid_days == 90
    assert therapy.needs_new_weight(TODAY) is asks


def test_the_regimen_sets_how_old_a_weight_may_be(nomid_therapy: Therapy) -> None:
    # The weight was entered at the start, 40 days ago.
    assert nomid_therapy.needs_new_weight(TODAY) is False
    nomid_therapy.regimen.weight_valid_days = 30
    assert nomid_therapy.needs_new_weight(TODAY) is True
    Weight.objects.create(patient=nomid_therapy.patient, measured_on=_days(1), weight_kg=11)
    assert nomid_therapy.needs_new_weight(TODAY) is False


def test_the_dose_in_ml_is_rounded_as_the_clinician_set(mia_therapy: Therapy) -> None:
    medicine = mia_therapy.medicine
    assert mia_therapy.dose_ml is None  # no strength entered: no volume shown

    medicine.strength_mg, medicine.strength_ml = Decimal("100"), Decimal("0.67")

    # 16 mg of 100 mg in 0.67 mL is 0.1072 mL.
    assert mia_therapy.dose_mg == Decimal("16")
    assert mia_therapy.dose_ml == Decimal("0.11")
    medicine.ml_decimals = 3
    assert mia_therapy.dose_ml == Decimal("0.107")
    assert medicine.dose_ml(Decimal("100")) == Decimal("0.670")


# --- lab due dates --------------------------------------------------------------------


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
