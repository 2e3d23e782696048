from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from portal.models import User
from portal.roles import CLINICIANS

DEMO_PASSWORD = "demo-only-password"  # noqa: S105 - development only, refused without DEBUG
DEMO_PATIENT = "patient@example.com"
DEMO_CLINICIAN = "clinician@example.com"


class Command(BaseCommand):
    help = "Create a demo patient and a demo clinician (development only; needs DEBUG)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts exist only in development (DEBUG on).")
        patient = self._ensure_user(DEMO_PATIENT, display_name="Dana (demo patient)")
        clinician = self._ensure_user(
            DEMO_CLINICIAN, display_name="Dr Demo (demo clinician)", is_staff=True
        )
        clinician.groups.add(Group.objects.get(name=CLINICIANS))
        self.stdout.write(
            "Demo accounts (development only):\n"
            f"  patient:   {patient.email} / {DEMO_PASSWORD}\n"
            f"  clinician: {clinician.email} / {DEMO_PASSWORD}  (admin at /admin/)"
        )

    def _ensure_user(self, email: str, *, display_name: str, is_staff: bool = False) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, display_name=display_name, is_staff=is_staff
            )
        return user
