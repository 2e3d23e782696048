"""The named world's fixed facts and plain builders; the fixtures are in tests/conftest.py.

NOW is 10:00 in New York on Wednesday 18 November 2026, after the US clocks went
back (New York is UTC-5). Every test that asks for `clock`, or for a therapy, runs at
NOW with time standing still, so "today", the 14-day strip and the 30-day adherence
window are the same on every run.
"""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal
from typing import Protocol

from django.utils import timezone

from monographs.models import DosingRegimen, InjectionSite, LabRule, Medicine, SideEffect
from portal.models import User
from tracking.models import (
    CareRelationship,
    DoseLog,
    LabResult,
    Patient,
    SideEffectReport,
    SideEffectReportItem,
    Therapy,
)
from tracking.services import end_care

PASSWORD = "correct-horse-battery"  # every fixture user's
NORTH_CLINIC = "North Clinic"  # carol's care team: every world patient but bob
SOUTH_CLINIC = "South Clinic"  # dave's: bob

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime.datetime(2026, 11, 18, 15, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 18)
ALICE_STARTED = TODAY - datetime.timedelta(days=40)
# Bob started earlier, so a page that showed alice's dates to bob would be caught.
BOB_STARTED = TODAY - datetime.timedelta(days=100)

# The seeded anakinra regimens, by indication.
RA = "Rheumatoid arthritis (RA)"  # fixed, once a day, at most 100 mg
NOMID = "NOMID"  # per kg, once a day or split in two, at most 8 mg/kg a day
DIRA = "DIRA"  # per kg, once a day, at most 8 mg/kg a day
KIDNEY = "Severe kidney disease"  # fixed, every other day

WEDNESDAY = 2  # TODAY's weekday(), the weekly tablet's day

Urgency = SideEffect.Urgency


def new_york(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """A wall-clock moment in New York, as an aware datetime."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def local_time(
    therapy: Therapy, day: datetime.date, hour: int = 8, minute: int = 0
) -> datetime.datetime:
    """A wall-clock moment where the therapy's patient lives."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=therapy.patient.zone)


class MakeTherapy(Protocol):
    def __call__(
        self,
        person: User | Patient,
        indication: str = ...,
        prescribed_dose: Decimal | str = ...,
        *,
        weight_kg: Decimal | str | None = ...,
        start_date: datetime.date = ...,
        someone_else_injects: bool = ...,
        time_zone: str = ...,
        usual_dose_time: datetime.time = ...,
        dose_times: list[str] | None = ...,
        medicine: Medicine | None = ...,
        regimen: DosingRegimen | None = ...,
        weekdays: list[int] | None = ...,
    ) -> Therapy: ...


class LogDose(Protocol):
    def __call__(
        self,
        therapy: Therapy,
        at: datetime.datetime,
        *,
        dose_mg: Decimal | str | None = ...,
        site: InjectionSite | None = ...,
        status: str = ...,
        skip_reason: str = ...,
        note: str = ...,
        slot_time: datetime.time | None = ...,
        by: User | None = ...,
    ) -> DoseLog: ...


class BulkDoses(Protocol):
    def __call__(self, therapy: Therapy, count: int) -> list[DoseLog]: ...


def prompt_effects(medicine: Medicine, urgency: int) -> list[SideEffect]:
    """The side effects of one tier that the prompt after a dose asks about, in page order."""
    return list(SideEffect.objects.filter(medicine=medicine, urgency=urgency, ask_after_dose=True))


def own_patient(person: User | Patient) -> Patient:
    """The patient given, or the account's own patient record."""
    if isinstance(person, Patient):
        return person
    return Patient.objects.get(care__account=person, care__role=CareRelationship.Role.SELF)


def end_access(account: User, patient: Patient) -> None:
    """The account stops acting for the patient now, as ending it on the caregivers page does."""
    end_care(CareRelationship.objects.get(patient=patient, account=account))


def ended_caregiver(patient: Patient) -> User:
    """Eve, who helped this patient until her access was ended."""
    account = User.objects.create_user("eve@example.com", PASSWORD, display_name="Eve")
    CareRelationship.objects.create(
        patient=patient,
        account=account,
        role=CareRelationship.Role.CAREGIVER,
        ended_at=timezone.now(),
    )
    return account


def new_report(
    patient: User | Patient,
    *effects: SideEffect,
    other: str = "",
    none_reported: bool = False,
    dose: DoseLog | None = None,
    severity: str = "",
    needs_review: bool = False,
) -> SideEffectReport:
    """A side-effect report row written directly; urgency is the most urgent effect's tier."""
    report = SideEffectReport.objects.create(
        patient=own_patient(patient),
        dose=dose,
        none_reported=none_reported,
        other=other,
        urgency=min((effect.urgency for effect in effects), default=None),
        needs_review=needs_review,
    )
    for effect in effects:
        SideEffectReportItem.objects.create(report=report, side_effect=effect, severity=severity)
    return report


def new_result(
    patient: User | Patient,
    rule: LabRule,
    *,
    month: int | None,
    value: int | str,
    taken_on: datetime.date,
    needs_review: bool = False,
) -> LabResult:
    """A blood test result row written directly, in cells/µL."""
    return LabResult.objects.create(
        patient=own_patient(patient),
        rule=rule,
        due_month=month,
        taken_on=taken_on,
        value=Decimal(value),
        entered_value=Decimal(value),
        entered_unit=LabResult.Unit.CELLS_PER_UL,
        needs_review=needs_review,
    )
