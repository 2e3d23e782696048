from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from monographs.seed import SEEDED_SLUGS, seed_monographs


class Command(BaseCommand):
    help = (
        "Add the seeded medicine monographs that are missing. Never changes a medicine "
        "that already exists, so it is safe to run on every start."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_monographs()
        if options["verbosity"] < 1:
            return
        for slug in SEEDED_SLUGS:
            if slug in created:
                self.stdout.write(self.style.SUCCESS(f"{slug}: created"))
            else:
                self.stdout.write(f"{slug}: already present, left unchanged")
