"""Actions that span several rows and must hold under concurrent requests."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from monographs.models import InjectionSite, plain_number

from .models import DoseLog, Therapy


class SecondDoseNeedsConfirmation(ValidationError):
    """A dose is already logged today on a once-daily regimen: ask before adding one."""


@dataclass(frozen=True)
class DoseEntry:
    status: str
    taken_at: datetime.datetime
    dose_mg: Decimal | None
    site: InjectionSite | None
    note: str = ""
    skip_reason: str = ""


def record_dose(
    therapy: Therapy,
    entry: DoseEntry,
    *,
    instance: DoseLog | None = None,
    submission_id: uuid.UUID | None = None,
    confirm_second: bool = False,
) -> DoseLog:
    """Create or update a dose log entry, enforcing the day's rules under a lock.

    Raises ValidationError (field "dose_mg") when the day's total would pass the
    regimen's maximum, and SecondDoseNeedsConfirmation for a second dose on a
    once-daily day. A repeated submission_id returns the row it already made.
    """
    local_date = therapy.local_date(entry.taken_at)
    with transaction.atomic():
        # Serialise writers for this patient so two requests cannot both pass the
        # daily maximum check (SQLite already serialises: IMMEDIATE transactions).
        Therapy.objects.select_for_update().filter(pk=therapy.pk).first()
        if submission_id is not None:
            existing = DoseLog.objects.filter(submission_id=submission_id).first()
            if existing is not None:
                return _same_patients(existing, therapy)
        if entry.status == DoseLog.Status.TAKEN:
            _check_day_rules(therapy, local_date, entry.dose_mg, instance, confirm_second)
        dose = instance or DoseLog(patient=therapy.patient, therapy=therapy)
        dose.status = entry.status
        dose.taken_at = entry.taken_at
        dose.local_date = local_date
        dose.dose_mg = entry.dose_mg if entry.status == DoseLog.Status.TAKEN else None
        dose.site = entry.site if entry.status == DoseLog.Status.TAKEN else None
        dose.note = entry.note
        dose.skip_reason = entry.skip_reason if entry.status == DoseLog.Status.SKIPPED else ""
        if instance is None:
            dose.submission_id = submission_id
        try:
            with transaction.atomic():
                dose.save()
        except IntegrityError:
            # Same form posted twice at the same instant: the other request won.
            existing = DoseLog.objects.filter(submission_id=submission_id).first()
            if submission_id is None or existing is None:
                raise
            return _same_patients(existing, therapy)
    return dose


def _same_patients(existing: DoseLog, therapy: Therapy) -> DoseLog:
    """The row a resubmitted form already made; never another patient's."""
    if existing.patient_id != therapy.patient_id:
        # Only a replayed or forged form gets here: say nothing about the other row.
        raise ValidationError("This form has already been used. Reload the page and try again.")
    return existing


def _check_day_rules(
    therapy: Therapy,
    local_date: datetime.date,
    dose_mg: Decimal | None,
    instance: DoseLog | None,
    confirm_second: bool,
) -> None:
    others = DoseLog.objects.for_patient(therapy.patient).taken().on_day(local_date)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    totals = others.aggregate(total=Sum("dose_mg"))
    already = totals["total"] or Decimal(0)
    maximum = therapy.max_daily_mg()
    if already + (dose_mg or 0) > maximum:
        raise ValidationError(
            {
                "dose_mg": (
                    f"That would make {plain_number(already + (dose_mg or 0))} mg on "
                    f"{local_date:%-d %B}, more than your most per day of "
                    f"{plain_number(maximum)} mg. "
                    "Nothing was saved. If your prescriber changed your dose, ask your "
                    "care team to update your therapy."
                )
            }
        )
    if already and therapy.doses_per_day == 1 and not confirm_second:
        raise SecondDoseNeedsConfirmation(
            f"You have already logged a dose on {local_date:%-d %B}. "
            "Your medicine is usually taken once a day. Log another dose anyway?",
            code="confirm_second",
        )
