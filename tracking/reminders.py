"""Email reminders: lab tests due soon, today or overdue, and a dose not yet logged.

Each reminder is a ReminderDelivery row, unique per patient, reason and due date,
claimed before the email is sent: however often, or however many copies of the
command run at once, a reminder goes out at most once.
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

from .models import DoseLog, LabResult, PatientPreferences, ReminderDelivery, Therapy

logger = logging.getLogger(__name__)

Reason = ReminderDelivery.Reason
LAB_SOON_DAYS = 3
DOSE_GRACE = datetime.timedelta(hours=2)
OVERDUE_EVERY_DAYS = 7


@dataclass(frozen=True)
class Due:
    reason: str
    due_date: datetime.date


def reminders_due(
    therapy: Therapy,
    preferences: PatientPreferences | None,
    results: list[LabResult],
    logged_today: bool,
    now: datetime.datetime,
) -> list[Due]:
    """What this patient should be reminded of now (before checking what was sent)."""
    local_now = now.astimezone(therapy.zone)
    today = local_now.date()
    wanted: dict[tuple[str, datetime.date], Due] = {}
    if preferences is None or preferences.email_lab_reminders:
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
            wanted[(reminder.reason, reminder.due_date)] = reminder
    if (preferences is None or preferences.email_dose_reminders) and not logged_today:
        usual = datetime.datetime.combine(today, therapy.usual_dose_time, tzinfo=therapy.zone)
        if therapy.is_dose_day(today) and local_now >= usual + DOSE_GRACE:
            wanted[(Reason.DOSE_NOT_LOGGED, today)] = Due(Reason.DOSE_NOT_LOGGED, today)
    return list(wanted.values())


def claim(patient_id: int, due: Due) -> ReminderDelivery | None:
    """Take the reminder for this run, or None if another run already has it."""
    try:
        with transaction.atomic():
            return ReminderDelivery.objects.create(
                patient_id=patient_id, reason=due.reason, due_date=due.due_date
            )
    except IntegrityError:
        return None


def send_due_reminders(now: datetime.datetime | None = None) -> int:
    """Send every reminder that is due and not yet claimed; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    therapies = Therapy.objects.filter(patient__is_active=True).select_related(
        "patient", "patient__preferences", "medicine"
    )
    for therapy in therapies.iterator(chunk_size=200):
        patient = therapy.patient
        preferences = getattr(patient, "preferences", None)
        today = therapy.local_date(now)
        results = list(LabResult.objects.for_patient(patient))
        logged_today = DoseLog.objects.for_patient(patient).on_day(today).exists()
        for due in reminders_due(therapy, preferences, results, logged_today, now):
            delivery = claim(patient.pk, due)
            if delivery is None:
                continue
            # Outside any transaction: email can be slow, and the claim must stay.
            try:
                _send(therapy, delivery)
            except OSError:
                logger.exception("Reminder %s could not be sent; it will be retried", delivery.pk)
                ReminderDelivery.objects.filter(pk=delivery.pk, sent_at=None).delete()
                continue
            ReminderDelivery.objects.filter(pk=delivery.pk, sent_at=None).update(sent_at=now)
            sent += 1
    return sent


def _send(therapy: Therapy, delivery: ReminderDelivery) -> None:
    context = {
        "patient": therapy.patient,
        "reason": delivery.reason,
        "due_date": delivery.due_date,
        "Reason": Reason,
        "site_url": settings.SITE_URL.rstrip("/"),
        "labs_path": reverse("tracking:labs"),
        "dose_path": reverse("tracking:dose-new"),
        "account_path": reverse("tracking:account"),
    }
    subject = render_to_string("tracking/email/reminder_subject.txt", context).strip()
    text = render_to_string("tracking/email/reminder.txt", context)
    html = render_to_string("tracking/email/reminder.html", context)
    message = EmailMultiAlternatives(subject, text, to=[therapy.patient.email])
    message.attach_alternative(html, "text/html")
    message.send()
