"""Email reminders: lab tests due soon, today or overdue, and each dose slot not logged.

Each reminder is a ReminderDelivery row, unique per account, patient, reason, day and slot,
claimed before the email is sent: however often, or however many copies of the
command run at once, a reminder goes out once. A claim still unsent after CLAIM_LEASE
was left by a worker that died; the next sweep takes it over and sends it, so a dose
reminder is never lost with a worker (only one that died in the instant after its email
left, before recording it, can go twice). Every account that acts for the patient, and
asked for that kind of email, gets its own.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.models import User

from .models import (
    CareRelationship,
    DoseLog,
    LabResult,
    Patient,
    PatientPreferences,
    ReminderDelivery,
    Therapy,
    slots_between,
)

logger = logging.getLogger(__name__)

Reason = ReminderDelivery.Reason
LAB_SOON_DAYS = 3
DOSE_GRACE = datetime.timedelta(hours=2)
OVERDUE_EVERY_DAYS = 7
# Sending one email takes seconds (EMAIL_TIMEOUT is 20): a claim this old with nothing
# sent belongs to a worker that is gone.
CLAIM_LEASE = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class Due:
    reason: str
    due_date: datetime.date
    slot: str = ""


def reminders_due(
    patient: Patient,
    therapies: list[Therapy],
    preferences: PatientPreferences | None,
    results: list[LabResult],
    doses: list[DoseLog],
    now: datetime.datetime,
) -> list[Due]:
    """What one account should be reminded of about this patient now.

    ``therapies`` are those active yesterday or today, and ``doses`` the patient's
    entries of those two days. A dose reminder is per slot, once its time plus
    DOSE_GRACE has passed with nothing logged for it, on the day that moment falls on:
    an 11:00 PM dose is reminded of at 1:00 AM, though that is the next day.
    """
    today = now.astimezone(patient.zone).date()
    yesterday = today - datetime.timedelta(days=1)
    wanted: dict[tuple[str, datetime.date, str], Due] = {}
    if preferences is None or preferences.email_lab_reminders:
        for therapy in (t for t in therapies if t.is_active_on(today)):
            for due in therapy.lab_due_dates(results):
                if due.result is not None:
                    continue
                days = (due.due_date - today).days
                if 0 < days <= LAB_SOON_DAYS:
                    reminder = Due(Reason.LAB_SOON, due.due_date)
                elif days == 0:
                    reminder = Due(Reason.LAB_TODAY, due.due_date)
                elif days < 0:
                    # One reminder per overdue week, keyed by the week's first day.
                    weeks = -days // OVERDUE_EVERY_DAYS
                    key = due.due_date + datetime.timedelta(days=weeks * OVERDUE_EVERY_DAYS)
                    reminder = Due(Reason.LAB_OVERDUE, key)
                else:
                    continue
                wanted[(reminder.reason, reminder.due_date, "")] = reminder
    if preferences is None or preferences.email_dose_reminders:
        for slot in slots_between(therapies, yesterday, today, doses, now):
            remind_at = slot.due_at + DOSE_GRACE
            if slot.is_logged or now < remind_at or patient.local_date(remind_at) != today:
                continue
            # Two therapies due at the same time share one reminder: it names no medicine.
            slot_key = slot.time.strftime("%H:%M")
            wanted[(Reason.DOSE_NOT_LOGGED, slot.day, slot_key)] = Due(
                Reason.DOSE_NOT_LOGGED, slot.day, slot_key
            )
    return list(wanted.values())


def claim(patient: Patient, account: User, due: Due) -> ReminderDelivery | None:
    """Take the reminder for this run, or None if another run has it or sent it.

    A claim older than CLAIM_LEASE and never sent is taken over instead: of several
    sweeps that find it at once, exactly one wins (see take_over). Claims are timed by
    the clock, not by the sweep's `now`: a long sweep's last claims are as fresh as its
    first.
    """
    try:
        with transaction.atomic():
            return ReminderDelivery.objects.create(
                patient=patient,
                account=account,
                reason=due.reason,
                due_date=due.due_date,
                slot=due.slot,
            )
    except IntegrityError:
        pass
    stale = ReminderDelivery.objects.filter(
        patient=patient,
        account=account,
        reason=due.reason,
        due_date=due.due_date,
        slot=due.slot,
        sent_at=None,
        claimed_at__lt=timezone.now() - CLAIM_LEASE,
    ).first()
    if stale is None or not take_over(stale):
        return None
    return stale


def take_over(delivery: ReminderDelivery) -> bool:
    """Claim an unsent delivery now, if nobody has since it was read (compare-and-set: the
    same on SQLite and PostgreSQL)."""
    now = timezone.now()
    taken = ReminderDelivery.objects.filter(
        pk=delivery.pk, sent_at=None, claimed_at=delivery.claimed_at
    ).update(claimed_at=now)
    if taken != 1:
        return False
    delivery.claimed_at = now
    return True


def send_due_reminders(now: datetime.datetime | None = None) -> int:
    """Send every reminder that is due and not claimed (or whose claim outlived its lease);
    returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    patients = Patient.objects.filter(therapies__isnull=False).distinct().order_by("pk")
    for patient in patients.iterator(chunk_size=200):
        care = list(
            CareRelationship.objects.filter(
                patient=patient, ended_at=None, account__is_active=True
            ).select_related("account", "account__preferences")
        )
        if not care:
            continue
        today = patient.local_date(now)
        yesterday = today - datetime.timedelta(days=1)
        therapies = [
            t for t in therapies_of(patient) if t.is_active_on(yesterday) or t.is_active_on(today)
        ]
        if not therapies:
            continue
        results = list(LabResult.objects.for_patient(patient))
        doses = list(DoseLog.objects.for_patient(patient).between(yesterday, today))
        for relationship in care:
            account = relationship.account
            preferences = getattr(account, "preferences", None)
            for due in reminders_due(patient, therapies, preferences, results, doses, now):
                delivery = claim(patient, account, due)
                if delivery is None:
                    continue
                # Outside any transaction: email can be slow, and the claim must stay.
                try:
                    _send(patient, relationship, delivery, now)
                # Whatever one reminder's failure, the sweep goes on to everyone else's.
                except Exception:
                    logger.exception(
                        "Reminder %s could not be sent; it will be retried", delivery.pk
                    )
                    ReminderDelivery.objects.filter(
                        pk=delivery.pk, sent_at=None, claimed_at=delivery.claimed_at
                    ).delete()
                    continue
                ReminderDelivery.objects.filter(pk=delivery.pk, sent_at=None).update(sent_at=now)
                sent += 1
    return sent


def therapies_of(patient: Patient) -> list[Therapy]:
    """Lighter than access.therapies_for: the sweep runs for every patient every minute
    and reads no injection sites or weights, only slots and lab rules."""
    therapies = list(
        Therapy.objects.for_patient(patient)
        .select_related("medicine", "regimen")
        .prefetch_related("medicine__lab_rules")
    )
    for therapy in therapies:
        therapy.patient = patient
    return therapies


def _send(
    patient: Patient,
    relationship: CareRelationship,
    delivery: ReminderDelivery,
    now: datetime.datetime,
) -> None:
    account = relationship.account
    context = {
        "account": account,
        "patient": patient,
        "for_self": relationship.is_self,
        "reason": delivery.reason,
        "due_date": delivery.due_date,
        "is_today": delivery.due_date == patient.local_date(now),
        "slot_time": datetime.time.fromisoformat(delivery.slot) if delivery.slot else None,
        "Reason": Reason,
        "site_url": settings.SITE_URL.rstrip("/"),
        "labs_path": reverse("tracking:labs", kwargs={"patient_uuid": patient.uuid}),
        "dose_path": reverse("tracking:dose-new", kwargs={"patient_uuid": patient.uuid}),
        "account_path": reverse("tracking:account"),
    }
    # Times in the email are the patient's, whoever reads it.
    with timezone.override(patient.zone):
        # One line whatever a name holds: a line break in a header is refused outright.
        subject = " ".join(
            render_to_string("tracking/email/reminder_subject.txt", context).split()
        )
        text = render_to_string("tracking/email/reminder.txt", context)
        html = render_to_string("tracking/email/reminder.html", context)
    message = EmailMultiAlternatives(subject, text, to=[account.email])
    message.attach_alternative(html, "text/html")
    message.send()
