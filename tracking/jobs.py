"""Background work for the job worker (`manage.py run_huey`)."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from portal.models import User

from .reminders import send_due_reminders

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def send_reminders_every_minute() -> int:
    """Send what is due. Each reminder is claimed by its own row before it goes out, so
    however many workers run, each goes once; what a killed worker had not reached goes
    with the next tick, and the one it was sending once its claim's lease is over."""
    sent = send_due_reminders()
    logger.info("Sent %d reminder(s).", sent)
    return sent


@db_task()
def send_email_change(account_pk: int, new_email: str, url: str, hours: int) -> None:
    """The new address gets the link, or, when another account has it, a notice without
    one; the old address is told (without the new one). The request only queues this, so
    its answer and its timing are the same either way."""
    account = User.objects.filter(pk=account_pk).first()
    if account is None:
        return
    context = {"new_email": new_email, "url": url, "hours": hours}
    taken = User.objects.filter(email__iexact=new_email).exclude(pk=account_pk).exists()
    for template, to in (
        ("email_taken" if taken else "email_confirm", new_email),
        ("email_change_notice", account.email),
    ):
        subject = render_to_string(f"tracking/email/{template}_subject.txt", context)
        send_mail(
            " ".join(subject.split()),
            render_to_string(f"tracking/email/{template}.txt", context),
            None,
            [to],
        )
