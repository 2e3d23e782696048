from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tracking.reminders import send_due_reminders


class Command(BaseCommand):
    help = (
        "Email due lab-test and dose reminders now, each once. "
        "The job worker (manage.py run_huey) does the same every minute."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due_reminders()
        self.stdout.write(f"Sent {sent} reminder(s).")
