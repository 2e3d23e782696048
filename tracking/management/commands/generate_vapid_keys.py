from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tracking.push import generate_vapid_keys


class Command(BaseCommand):
    help = "Print a new VAPID key pair for Web Push, as environment variables."

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = generate_vapid_keys()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}\nVAPID_PRIVATE_KEY={private}\n")
