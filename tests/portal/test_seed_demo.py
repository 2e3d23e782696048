"""seed_demo: demo accounts for a development machine, never anywhere else."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django import Settings

from monographs.models import DosingRegimen
from portal.management.commands.seed_demo import DEMO_PASSWORD
from portal.models import User
from portal.roles import CARE_TEAM, CONTENT_EDITORS, CONTENT_REVIEWERS
from tests.pages import select, select_one, words
from tests.world import TODAY
from tracking.models import (
    CareRelationship,
    CareTeam,
    DoseLog,
    LabResult,
    Patient,
    SideEffectReport,
    SlotStatus,
    Therapy,
    Weight,
    slots_between,
)

PATIENT = "patient@example.com"
PARENT = "parent@example.com"
CAREGIVER = "caregiver@example.com"
CLINICIAN = "clinician@example.com"
EDITOR = "editor@example.com"
REVIEWER = "reviewer@example.com"


def _seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_refused_without_debug(db: None, settings: Settings) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        _seed_demo()

    assert not User.objects.filter(email__in=[PATIENT, CLINICIAN]).exists()


def test_creates_patients_and_staff_in_their_roles(db: None, settings: Settings) -> None:
    settings.DEBUG = True

    _seed_demo()

    patient = User.objects.get(email=PATIENT)
    assert not patient.is_staff
    assert not patient.groups.exists()
    assert patient.check_password(DEMO_PASSWORD)
    for email, role in (
        (CLINICIAN, CARE_TEAM),
        (EDITOR, CONTENT_EDITORS),
        (REVIEWER, CONTENT_REVIEWERS),
    ):
        staff = User.objects.get(email=email)
        assert staff.is_staff, email
        assert not staff.is_superuser, email
        assert list(staff.groups.values_list("name", flat=True)) == [role]
        assert staff.check_password(DEMO_PASSWORD), email


def test_the_clinician_sees_every_demo_patient_through_the_demo_clinic(
    db: None, settings: Settings
) -> None:
    settings.DEBUG = True

    _seed_demo()

    clinician = User.objects.get(email=CLINICIAN)
    [clinic] = CareTeam.objects.all()
    assert clinic.name == "Demo Clinic"
    assert list(clinic.members.all()) == [clinician]
    assert sorted(p.name for p in Patient.objects.seen_by(clinician)) == ["Dana", "Leo", "Mia"]
    assert Patient.objects.seen_by(User.objects.get(email=EDITOR)).count() == 0


def test_prints_the_credentials(db: None, settings: Settings) -> None:
    settings.DEBUG = True

    output = _seed_demo()

    for email in (PATIENT, PARENT, CAREGIVER, CLINICIAN, EDITOR, REVIEWER):
        assert email in output
    assert DEMO_PASSWORD in output
    assert "Staff accounts set up an authenticator app the first time they sign in." in output


def _world() -> dict[str, object]:
    """Every row the demo world is made of."""
    return {
        "users": {user.email: (user.pk, user.password) for user in User.objects.all()},
        "patients": list(Patient.objects.values_list("pk", "name")),
        "care": list(CareRelationship.objects.values_list("pk", "patient", "account", "role")),
        "clinics": sorted(CareTeam.objects.values_list("pk", "patients", "members")),
        "roles": sorted(User.objects.values_list("email", "groups__name")),
        "therapies": list(Therapy.objects.values_list("pk", "patient", "dose_times")),
        "weights": list(Weight.objects.values_list("pk", "patient", "weight_kg")),
        "doses": DoseLog.objects.count(),
        "reports": SideEffectReport.objects.count(),
        "results": LabResult.objects.count(),
    }


def test_running_twice_changes_nothing(db: None, settings: Settings) -> None:
    settings.DEBUG = True
    _seed_demo()
    first = _world()

    output = _seed_demo()

    assert _world() == first
    assert PATIENT in output


def _patient_of(email: str, role: str) -> list[Patient]:
    return list(Patient.objects.filter(care__account__email=email, care__role=role))


@pytest.mark.usefixtures("clock")
def test_the_adult_patient_has_two_months_of_history_to_show(db: None, settings: Settings) -> None:
    settings.DEBUG = True
    _seed_demo()

    [dana] = _patient_of(PATIENT, CareRelationship.Role.SELF)
    [therapy] = Therapy.objects.filter(patient=dana).select_related("regimen", "medicine")
    assert (therapy.medicine.slug, therapy.regimen.indication) == (
        "anakinra",
        "Rheumatoid arthritis (RA)",
    )
    doses = list(DoseLog.objects.filter(patient=dana))
    slots = slots_between([therapy], therapy.start_date, TODAY, doses)
    statuses = {slot.status for slot in slots}
    assert {SlotStatus.TAKEN, SlotStatus.SKIPPED, SlotStatus.MISSED} <= statuses
    assert (TODAY - therapy.start_date).days >= 55
    assert SideEffectReport.objects.filter(patient=dana).count() == 2
    results = LabResult.objects.filter(patient=dana, rule__short_name="ANC")
    assert results.count() == 3
    assert results.filter(needs_review=True).count() == 1
    # Every entry says who made it.
    assert {dose.entered_by.email for dose in doses if dose.entered_by} == {PATIENT}


@pytest.mark.usefixtures("clock")
def test_the_parent_has_two_children_and_one_has_a_second_caregiver(
    db: None, settings: Settings
) -> None:
    settings.DEBUG = True
    _seed_demo()

    children = {p.name: p for p in _patient_of(PARENT, CareRelationship.Role.GUARDIAN)}
    assert sorted(children) == ["Leo", "Mia"]
    assert _patient_of(CAREGIVER, CareRelationship.Role.CAREGIVER) == [children["Mia"]]
    assert not Patient.objects.filter(care__account__email=CAREGIVER).exclude(
        pk=children["Mia"].pk
    )
    schedules = {
        therapy.patient.name: (therapy.regimen.indication, therapy.dose_times)
        for therapy in Therapy.objects.filter(patient__in=children.values()).select_related(
            "patient", "regimen"
        )
    }
    assert schedules == {"Mia": ("NOMID", ["08:00", "20:00"]), "Leo": ("DIRA", ["07:30"])}
    assert children["Mia"].weight_on(TODAY) == 16
    mia_therapy = Therapy.objects.get(patient=children["Mia"])
    assert mia_therapy.regimen.basis == DosingRegimen.Basis.PER_KG


def test_the_clinician_has_a_review_queue(db: None, settings: Settings) -> None:
    settings.DEBUG = True
    _seed_demo()

    assert SideEffectReport.objects.awaiting_review().exists()
    assert LabResult.objects.awaiting_review().exists()


@pytest.mark.usefixtures("clock")
def test_the_demo_accounts_land_on_their_patients_today(
    client: Client, db: None, settings: Settings
) -> None:
    settings.DEBUG = True
    _seed_demo()

    for email, shown in ((PATIENT, None), (PARENT, "Showing Leo"), (CAREGIVER, "Showing Mia")):
        client.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD})
        response = client.get("/")
        assert response.status_code == 200, email  # not the set-up form
        assert "dose now" in words(response), email  # "Log the 8:00 AM dose now": one is due
        if shown:
            assert words(select_one(response, ".switcher__current")) == shown
        else:
            assert select(response, 'nav[aria-label="Patients"]') == []
        client.post("/accounts/logout/")


def test_the_demo_accounts_can_sign_in(client: Client, db: None, settings: Settings) -> None:
    settings.DEBUG = True
    _seed_demo()

    patient = client.post("/accounts/login/", {"username": PATIENT, "password": DEMO_PASSWORD})
    assert patient.status_code == 302
    client.post("/accounts/logout/")
    for email in (CLINICIAN, EDITOR, REVIEWER):
        staff = client.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD})
        assert staff.status_code == 302, email
        client.post("/accounts/logout/")
    # What each role may then do in admin (after its second factor): tests/portal/test_roles.py.
