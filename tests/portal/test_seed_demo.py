"""seed_demo: demo accounts for a development machine, never anywhere else."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django import Settings

from portal.management.commands.seed_demo import DEMO_PASSWORD
from portal.models import User

PATIENT = "patient@example.com"
CLINICIAN = "clinician@example.com"


def _seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_refused_without_debug(db: None, settings: Settings) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        _seed_demo()

    assert not User.objects.filter(email__in=[PATIENT, CLINICIAN]).exists()


def test_creates_a_patient_and_a_clinician(db: None, settings: Settings) -> None:
    settings.DEBUG = True

    _seed_demo()

    patient = User.objects.get(email=PATIENT)
    clinician = User.objects.get(email=CLINICIAN)
    assert not patient.is_staff
    assert not patient.groups.exists()
    assert clinician.is_staff
    assert not clinician.is_superuser
    assert list(clinician.groups.values_list("name", flat=True)) == ["Clinicians"]
    assert patient.check_password(DEMO_PASSWORD)
    assert clinician.check_password(DEMO_PASSWORD)


def test_prints_the_credentials(db: None, settings: Settings) -> None:
    settings.DEBUG = True

    output = _seed_demo()

    assert PATIENT in output
    assert CLINICIAN in output
    assert DEMO_PASSWORD in output


def test_running_twice_changes_nothing(db: None, settings: Settings) -> None:
    settings.DEBUG = True
    _seed_demo()
    first = {user.email: (user.pk, user.password) for user in User.objects.all()}

    output = _seed_demo()

    assert {user.email: (user.pk, user.password) for user in User.objects.all()} == first
    assert User.objects.get(email=CLINICIAN).groups.count() == 1
    assert PATIENT in output


def test_the_demo_accounts_can_sign_in(client: Client, db: None, settings: Settings) -> None:
    settings.DEBUG = True
    _seed_demo()

    patient = client.post("/accounts/login/", {"username": PATIENT, "password": DEMO_PASSWORD})
    assert patient.status_code == 302
    client.post("/accounts/logout/")
    clinician = client.post("/accounts/login/", {"username": CLINICIAN, "password": DEMO_PASSWORD})

    assert clinician.status_code == 302
    # The Clinicians group is what lets the demo clinician edit monographs.
    assert client.get("/admin/monographs/medicine/").status_code == 200
    assert client.get("/admin/monographs/section/add/").status_code == 200
