"""Actions that span several rows and must hold under concurrent requests."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from monographs.models import InjectionSite, SideEffect, plain_number
from portal.models import User

if TYPE_CHECKING:
    from .forms import LabResultForm

from .models import (
    DoseLog,
    LabResult,
    SideEffectReport,
    SideEffectReportItem,
    Therapy,
    to_cells_per_ul,
)

# What the patient ticked: each side effect with its severity ("" if not given) and start.
Chosen = list[tuple[SideEffect, str, datetime.date | None]]


class Answer(TypedDict):
    """One answer to the checklist, as report_side_effects and is_same_answer take it."""

    chosen: Chosen
    other: str
    none_reported: bool


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


Severity = SideEffectReportItem.Severity

Urgency = SideEffect.Urgency


def report_side_effects(
    patient: User,
    *,
    dose: DoseLog | None,
    chosen: Chosen,
    other: str,
    none_reported: bool,
) -> SideEffectReport:
    """Save a report and its items together; urgent ones go to the care team's queue."""
    urgency = min((effect.urgency for effect, _, _ in chosen), default=None)
    severe = any(severity == Severity.SEVERE for _, severity, _ in chosen)
    needs_review = bool(
        (urgency is not None and urgency <= Urgency.CALL_DOCTOR) or other.strip() or severe
    )
    with transaction.atomic():
        report = SideEffectReport.objects.create(
            patient=patient,
            dose=dose,
            none_reported=none_reported,
            other=other.strip(),
            urgency=urgency,
            needs_review=needs_review,
        )
        SideEffectReportItem.objects.bulk_create(
            SideEffectReportItem(
                report=report, side_effect=effect, severity=severity, started_on=started
            )
            for effect, severity, started in chosen
        )
    return report


def is_same_answer(
    report: SideEffectReport,
    *,
    chosen: Chosen,
    other: str,
    none_reported: bool,
) -> bool:
    items = {(item.side_effect_id, item.severity, item.started_on) for item in report.items.all()}
    return (
        report.none_reported == none_reported
        and report.other == other.strip()
        and items == {(effect.pk, severity, started) for effect, severity, started in chosen}
    )


def record_lab_result(patient: User, form: LabResultForm) -> LabResult:
    rule, month = form.rule_and_month()
    value = to_cells_per_ul(form.cleaned_data["value"], form.cleaned_data["unit"])
    return LabResult.objects.create(
        patient=patient,
        rule=rule,
        due_month=month,
        taken_on=form.cleaned_data["taken_on"],
        value=value,
        entered_value=form.cleaned_data["value"],
        entered_unit=form.cleaned_data["unit"],
        needs_review=rule.needs_review(value),
    )
