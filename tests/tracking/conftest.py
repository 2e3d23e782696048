"""The tracking world: alice's anakinra therapy, a frozen clock, and a way to log doses.

Time is frozen for every test that asks for a therapy, so "today", the 14-day strip
and the 30-day adherence window are the same on every run. NOW is a weekday in
November, after the US clocks went back: New York is UTC-5.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Protocol

import pytest
import time_machine

from monographs.models import DosingRegimen, InjectionSite, Medicine
from portal.models import User
from tracking.models import DoseLog, Therapy
from tracking.services import DoseEntry, record_dose

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = datetime.UTC
# 10:00 in New York on Wednesday 18 November 2026.
NOW = datetime.datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
TODAY = datetime.date(2026, 11, 18)
START_DAYS_AGO = 40

RA = "Rheumatoid arthritis (RA)"
NOMID = "NOMID"
DIRA = "DIRA"
KIDNEY = "Severe kidney disease"


def new_york(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """A wall-clock moment in New York, as an aware datetime."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still at NOW; a test moves it with clock.move_to(...)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def regimens(anakinra: Medicine) -> dict[str, DosingRegimen]:
    """The seeded anakinra regimens by indication."""
    return {regimen.indication: regimen for regimen in anakinra.regimens.all()}


@pytest.fixture
def sites(anakinra: Medicine) -> dict[str, InjectionSite]:
    """The seeded anakinra injection sites by body area ("left_thigh", ...)."""
    return {site.body_area: site for site in anakinra.injection_sites.all()}


class MakeTherapy(Protocol):
    def __call__(
        self,
        patient: User,
        indication: str = ...,
        prescribed_dose: Decimal | str = ...,
        *,
        weight_kg: Decimal | str | None = ...,
        start_date: datetime.date | None = ...,
        someone_else_injects: bool = ...,
        time_zone: str = ...,
    ) -> Therapy: ...


@pytest.fixture
def make_therapy(
    clock: time_machine.Traveller, anakinra: Medicine, regimens: dict[str, DosingRegimen]
) -> MakeTherapy:
    """A valid, saved therapy; full_clean() first so a fixture can never hold a bad one.

    For the per-kg regimens (NOMID, DIRA) prescribed_dose is mg/kg and weight_kg is needed.
    """

    def make(
        patient: User,
        indication: str = RA,
        prescribed_dose: Decimal | str = "100",
        *,
        weight_kg: Decimal | str | None = None,
        start_date: datetime.date | None = None,
        someone_else_injects: bool = False,
        time_zone: str = "America/New_York",
    ) -> Therapy:
        therapy = Therapy(
            patient=patient,
            medicine=anakinra,
            regimen=regimens[indication],
            prescribed_dose=Decimal(prescribed_dose),
            weight_kg=None if weight_kg is None else Decimal(weight_kg),
            start_date=start_date or TODAY - datetime.timedelta(days=START_DAYS_AGO),
            time_zone=time_zone,
            someone_else_injects=someone_else_injects,
        )
        therapy.full_clean()
        therapy.save()
        return therapy

    return make


@pytest.fixture
def alice_therapy(alice: User, make_therapy: MakeTherapy) -> Therapy:
    """Alice: anakinra for RA, 100 mg once a day, started 40 days ago, in New York."""
    return make_therapy(alice, RA, "100")


@pytest.fixture
def bob_therapy(bob: User, make_therapy: MakeTherapy) -> Therapy:
    """Bob needs a therapy of his own, or every tracking page sends him to set one up."""
    return make_therapy(bob, RA, "100")


@pytest.fixture
def nomid_therapy(alice: User, make_therapy: MakeTherapy) -> Therapy:
    """Alice instead on the NOMID regimen: 2 mg/kg at 10 kg, so at most 8 x 10 = 80 mg a day."""
    return make_therapy(alice, NOMID, "2", weight_kg="10")


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
    ) -> DoseLog: ...


@pytest.fixture
def log_dose() -> LogDose:
    """Log a dose through the same service the views use (the day's rules apply).

    Defaults: taken, the prescribed dose, the suggested site. A second dose on a
    once-daily day is logged as if the patient confirmed it.
    """

    def log(
        therapy: Therapy,
        at: datetime.datetime,
        *,
        dose_mg: Decimal | str | None = None,
        site: InjectionSite | None = None,
        status: str = DoseLog.Status.TAKEN,
        skip_reason: str = "",
        note: str = "",
    ) -> DoseLog:
        taken = status == DoseLog.Status.TAKEN
        if taken and site is None:
            site = therapy.suggest_site(
                DoseLog.objects.for_patient(therapy.patient).last_use_by_site()
            )
        entry = DoseEntry(
            status=status,
            taken_at=at,
            dose_mg=(Decimal(dose_mg) if dose_mg is not None else therapy.dose_mg)
            if taken
            else None,
            site=site if taken else None,
            note=note,
            skip_reason=skip_reason,
        )
        return record_dose(therapy, entry, submission_id=uuid.uuid4(), confirm_second=True)

    return log


def bulk_doses(therapy: Therapy, count: int, *, site: InjectionSite) -> list[DoseLog]:
    """count taken doses at 08:00 local time on count distinct days ending yesterday."""
    yesterday = therapy.today() - datetime.timedelta(days=1)
    rows = []
    for back in range(count):
        day = yesterday - datetime.timedelta(days=back)
        rows.append(
            DoseLog(
                patient=therapy.patient,
                therapy=therapy,
                status=DoseLog.Status.TAKEN,
                taken_at=datetime.datetime.combine(day, datetime.time(8), therapy.zone),
                local_date=day,
                dose_mg=therapy.dose_mg,
                site=site,
            )
        )
    return DoseLog.objects.bulk_create(rows)


BulkDoses = Callable[[Therapy, int], list[DoseLog]]


@pytest.fixture
def make_bulk_doses(sites: dict[str, InjectionSite]) -> BulkDoses:
    """bulk_create count doses for a therapy (no history rows: it is a data load)."""

    def make(therapy: Therapy, count: int) -> list[DoseLog]:
        return bulk_doses(therapy, count, site=sites[InjectionSite.BodyArea.LEFT_THIGH])

    return make
