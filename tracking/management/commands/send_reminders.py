from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tracking.reminders import send_due_reminders


class Command(BaseCommand):
    help = "Email due lab-test and dose reminders, each at most once. --loop keeps running."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Run until stopped.")
        parser.add_argument(
            "--interval", type=int, default=300, help="Seconds between runs with --loop."
        )

    def handle(self, *args: Any, loop: bool, interval: int, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        if loop:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            sent = send_due_reminders()
            self.stdout.write(f"Sent {sent} reminder(s).")
            if not loop:
                return
            for _ in range(interval):
                if stopping:
                    return
                time.sleep(1)
