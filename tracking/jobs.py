"""Background work for the job worker (`manage.py run_huey`)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

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
