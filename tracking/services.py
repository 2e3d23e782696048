"""Writes that span several rows, or talk to the outside, and must hold under concurrency."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from monographs.models import InjectionSite, SideEffect, plain_number
from portal.models import User

from .models import (
    CaregiverInvitation,
    CareRelationship,
    DoseLog,
    LabResult,
    Patient,
    SideEffectReport,
    SideEffectReportItem,
    Therapy,
    Weight,
    to_cells_per_ul,
)

if TYPE_CHECKING:
    from .forms import LabResultForm

# What the patient ticked: each side effect with its severity ("" if not given) and start.
Chosen = list[tuple[SideEffect, str, datetime.date | None]]


class Answer(TypedDict):
    """One answer to the checklist, as report_side_effects and is_same_answer take it."""

    chosen: Chosen
    other: str
    none_reported: bool


class SecondDoseNeedsConfirmation(ValidationError):
    """The slot already has a dose: ask before adding another."""


@dataclass(frozen=True)
class DoseEntry:
    status: str
    taken_at: datetime.datetime
    dose_mg: Decimal | None
    site: InjectionSite | None
    # The slot it fills: the patient's day, and the schedule's time (None: an extra dose).
    slot_date: datetime.date | None = None
    slot_time: datetime.time | None = None
    note: str = ""
    skip_reason: str = ""


def record_dose(
    therapy: Therapy,
    entry: DoseEntry,
    *,
    entered_by: User | None,
    instance: DoseLog | None = None,
    submission_id: uuid.UUID | None = None,
    confirm_second: bool = False,
) -> DoseLog:
    """Create or update a dose log entry, enforcing the day's rules under a lock.

    Raises ValidationError (field "dose_mg") when the day's total would pass the
    maximum for that day, and SecondDoseNeedsConfirmation when the slot already
    holds a dose. A repeated submission_id returns the row it already made.
    """
    local_date = entry.slot_date or therapy.patient.local_date(entry.taken_at)
    with transaction.atomic():
        # Serialise writers for this patient, whichever caregiver logs, so two requests
        # cannot both pass the daily maximum check (SQLite serialises already:
        # IMMEDIATE transactions).
        Patient.objects.select_for_update().filter(pk=therapy.patient_id).first()
        if submission_id is not None:
            existing = DoseLog.objects.filter(submission_id=submission_id).first()
            if existing is not None:
                return _same_patients(existing, therapy)
        if entry.status == DoseLog.Status.TAKEN:
            _check_day_rules(therapy, local_date, entry, instance, confirm_second)
        dose = instance or DoseLog(patient=therapy.patient, therapy=therapy)
        taken = entry.status == DoseLog.Status.TAKEN
        dose.status = entry.status
        dose.taken_at = entry.taken_at
        dose.local_date = local_date
        dose.slot_time = entry.slot_time
        dose.dose_mg = entry.dose_mg if taken else None
        dose.site = entry.site if taken else None
        dose.note = entry.note
        dose.skip_reason = "" if taken else entry.skip_reason
        if instance is None:
            dose.submission_id = submission_id
            dose.entered_by = entered_by
        try:
            with transaction.atomic():
                dose.save()
        except IntegrityError:
            # Same form posted twice at the same instant: the other request won.
            existing = (
                DoseLog.objects.filter(submission_id=submission_id).first()
                if submission_id is not None
                else None
            )
            if existing is None:
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
    entry: DoseEntry,
    instance: DoseLog | None,
    confirm_second: bool,
) -> None:
    others = DoseLog.objects.filter(therapy=therapy).taken().on_day(local_date)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    already = others.aggregate(total=Sum("dose_mg"))["total"] or Decimal(0)
    maximum = therapy.max_daily_mg_on(local_date)
    if maximum is None:
        raise ValidationError(
            {"dose_mg": "This dose is by body weight: enter a current weight first."}
        )
    total = already + (entry.dose_mg or 0)
    if total > maximum:
        raise ValidationError(
            {
                "dose_mg": (
                    f"That would make {plain_number(total)} mg on "
                    f"{local_date:%-d %B}, more than the most per day of "
                    f"{plain_number(maximum)} mg. "
                    "Nothing was saved. If the prescriber changed the dose, ask your "
                    "care team to update the therapy."
                )
            }
        )
    if confirm_second or entry.slot_time is None:
        return
    if others.filter(slot_time=entry.slot_time).exists():
        if therapy.doses_per_day == 1:
            question = (
                f"A dose is already logged on {local_date:%-d %B}. "
                "This medicine is usually taken once a day. Log another dose anyway?"
            )
        else:
            question = (
                f"The {entry.slot_time:%-I:%M %p} dose of {local_date:%-d %B} is already "
                "logged. Log another dose anyway?"
            )
        raise SecondDoseNeedsConfirmation(question, code="confirm_second")


def set_up_patient(
    account: User,
    *,
    role: str,
    name: str,
    date_of_birth: datetime.date | None,
    time_zone: str,
    weight_kg: Decimal | None,
) -> Patient:
    """A new person this account acts for, with their first weight if given."""
    with transaction.atomic():
        patient = Patient.objects.create(
            name=name, date_of_birth=date_of_birth, time_zone=time_zone
        )
        CareRelationship.objects.create(patient=patient, account=account, role=role)
        if weight_kg is not None:
            record_weight(patient, weight_kg, entered_by=account)
    return patient


def record_weight(patient: Patient, weight_kg: Decimal, *, entered_by: User) -> Weight:
    """Today's weight; a second one on the same day replaces the first."""
    weight, _ = Weight.objects.update_or_create(
        patient=patient,
        measured_on=patient.today(),
        defaults={"weight_kg": weight_kg, "entered_by": entered_by},
    )
    return weight


class LastCaregiver(ValidationError):
    """Ending this access would leave the patient with no one who acts for them."""


def end_care(care: CareRelationship) -> None:
    """End one account's access at once; a patient always keeps someone."""
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=care.patient_id).first()
        others = CareRelationship.objects.filter(patient=care.patient_id, ended_at=None).exclude(
            pk=care.pk
        )
        if not others.exists():
            raise LastCaregiver(
                "This is the only person who acts for this patient, so it cannot be ended. "
                "Ask the care team if that needs to change."
            )
        CareRelationship.objects.filter(pk=care.pk, ended_at=None).update(ended_at=timezone.now())


def invite_caregiver(
    patient: Patient, *, invited_by: User, email: str, role: str, accept_url: Callable[[str], str]
) -> CaregiverInvitation:
    """Save the invitation, then email its link (outside the transaction: mail is slow)."""
    invitation = CaregiverInvitation.objects.create(
        patient=patient, invited_by=invited_by, email=email.lower(), role=role
    )
    context = {
        "invitation": invitation,
        "inviter": invited_by.get_full_name(),
        "url": accept_url(invitation.token()),
        "days": CaregiverInvitation.VALID_FOR.days,
    }
    send_mail(
        render_to_string("tracking/email/invitation_subject.txt", context).strip(),
        render_to_string("tracking/email/invitation.txt", context),
        None,
        [invitation.email],
    )
    return invitation


class InvitationUsed(ValidationError):
    """Someone else opened this link first, or it was cancelled."""


def accept_invitation(invitation: CaregiverInvitation, account: User) -> CareRelationship:
    """The account now acts for the patient; the link works only this once."""
    with transaction.atomic():
        claimed = CaregiverInvitation.objects.filter(
            pk=invitation.pk, accepted_at=None, cancelled_at=None
        ).update(accepted_at=timezone.now(), accepted_by=account)
        if claimed != 1:
            raise InvitationUsed("This invitation has already been used.")
        care = CareRelationship.objects.filter(
            patient=invitation.patient_id, account=account, ended_at=None
        ).first()
        if care is None:
            care = CareRelationship.objects.create(
                patient=invitation.patient, account=account, role=invitation.role
            )
    return care


Severity = SideEffectReportItem.Severity

Urgency = SideEffect.Urgency


def report_side_effects(
    patient: Patient,
    *,
    entered_by: User,
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
            entered_by=entered_by,
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


def record_lab_result(patient: Patient, form: LabResultForm, *, entered_by: User) -> LabResult:
    rule, month = form.rule_and_month()
    value = to_cells_per_ul(form.cleaned_data["value"], form.cleaned_data["unit"])
    return LabResult.objects.create(
        patient=patient,
        entered_by=entered_by,
        rule=rule,
        due_month=month,
        taken_on=form.cleaned_data["taken_on"],
        value=value,
        entered_value=form.cleaned_data["value"],
        entered_unit=form.cleaned_data["unit"],
        needs_review=rule.needs_review(value),
    )
