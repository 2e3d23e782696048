"""Background work for the job worker (`manage.py run_huey`)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .reminders import send_due_reminders

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def send_reminders_every_minute() -> int:
    """Send what is due. Each reminder is claimed by its own row before it goes out, so a
    tick lost with a killed worker is made up by the next one and nothing goes twice."""
    sent = send_due_reminders()
    logger.info("Sent %d reminder(s).", sent)
    return sent
