"""`manage.py seed_load_data`: the benchmarks' patients, made by the models' own rules.

Small runs (a dozen patients, a month) ending on TODAY: the counts it prints are the
rows it made, every row is one the portal itself could have written, the same arguments
make the same rows, and a generated account signs in and sees its pages.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django.fixtures import Settings

from portal.models import User
from tests.pages import words
from tests.world import TODAY
from tracking.management.commands.seed_load_data import LOAD_PASSWORD, ZONES
from tracking.models import (
    CareRelationship,
    DoseLog,
    LabResult,
    Patient,
    PatientPreferences,
    SideEffectReport,
    SideEffectReportItem,
    Therapy,
    Weight,
    days_over_limit,
)

pytestmark = pytest.mark.django_db
CUTOFF = datetime.datetime.combine(TODAY, datetime.time(0), datetime.UTC)


def seed(patients: int = 12, days: int = 30, seed: int = 1, label: str = "load") -> str:
    out = io.StringIO()
    call_command(
        "seed_load_data",
        patients=patients,
        days=days,
        seed=seed,
        label=label,
        end_date=TODAY,
        stdout=out,
    )
    return out.getvalue()


def loaded_patients() -> list[Patient]:
    return list(Patient.objects.filter(care__account__email__startswith="load-").distinct())


def snapshot() -> list[tuple[Any, ...]]:
    """Everything a run writes, by value (no database ids, which depend on the table)."""
    rows: list[tuple[Any, ...]] = []
    rows += User.objects.filter(email__startswith="load-").values_list(
        "email", "password", "display_name", "date_joined"
    )
    rows += Patient.objects.values_list(
        "uuid", "name", "date_of_birth", "time_zone", "created_at", "care_teams__name"
    )
    rows += CareRelationship.objects.values_list("patient__uuid", "account__email", "role")
    rows += PatientPreferences.objects.values_list(
        "account__email", "email_lab_reminders", "email_dose_reminders", "calendar_token"
    )
    rows += Weight.objects.values_list("patient__uuid", "measured_on", "weight_kg")
    rows += Therapy.objects.values_list(
        "uuid", "regimen__indication", "prescribed_dose", "start_date", "dose_times", "updated_at"
    )
    rows += DoseLog.objects.values_list(
        "uuid",
        "therapy__uuid",
        "status",
        "taken_at",
        "local_date",
        "slot_time",
        "dose_mg",
        "site__name",
        "skip_reason",
        "entered_by__email",
        "created_at",
    )
    rows += SideEffectReport.objects.values_list(
        "uuid", "dose__uuid", "none_reported", "other", "urgency", "needs_review", "created_at"
    )
    rows += SideEffectReportItem.objects.values_list(
        "report__uuid", "side_effect__name", "severity", "started_on"
    )
    rows += LabResult.objects.values_list(
        "uuid", "due_month", "taken_on", "value", "entered_value", "entered_unit", "created_at"
    )
    return sorted(rows, key=repr)


def test_makes_the_rows_it_prints() -> None:
    output = seed()

    # Patients 8 and 9 are children with one guardian; the other ten sign in themselves.
    assert Patient.objects.count() == 12
    assert User.objects.filter(email__startswith="load-").count() == 11
    assert Therapy.objects.count() == 12
    roles = sorted(CareRelationship.objects.values_list("role", flat=True))
    assert roles == ["guardian"] * 2 + ["self"] * 10
    guardian = User.objects.get(email="load-guardian-00008@example.com")
    assert Patient.objects.for_account(guardian).count() == 2
    doses = DoseLog.objects.count()
    taken = DoseLog.objects.filter(status=DoseLog.Status.TAKEN).count()
    assert "12 patients (11 accounts, 12 care relationships" in output
    assert f"{doses} dose entries ({taken} taken, {doses - taken} skipped)" in output
    assert f"{SideEffectReport.objects.count()} side-effect answers" in output
    assert f"{LabResult.objects.count()} lab results" in output
    # A dose in most slots: 12 patients, 30 days, one twice a day, one every other day.
    assert 300 < doses < 400
    assert 0 < doses - taken < doses // 10
    assert SideEffectReport.objects.exists()
    assert SideEffectReportItem.objects.exists()
    assert LabResult.objects.exists()


def test_every_row_keeps_the_models_rules() -> None:
    seed()

    patients = loaded_patients()
    assert len(patients) == 12
    assert {patient.time_zone for patient in patients} <= set(ZONES)
    for patient in patients:
        assert patient.care_teams.exists()
        therapy = Therapy.objects.select_related("regimen", "medicine").get(patient=patient)
        therapy.patient = patient
        therapy.full_clean()
        doses = list(DoseLog.objects.filter(patient=patient).select_related("site"))
        slots = [(dose.local_date, dose.slot_time) for dose in doses]
        assert len(slots) == len(set(slots)), "at most one entry per slot"
        usable = set(therapy.usable_sites())
        for dose in doses:
            assert dose.slot_time in therapy.slot_times_on(dose.local_date)
            assert patient.local_date(dose.taken_at) == dose.local_date
            assert dose.taken_at < CUTOFF
            assert dose.taken_at <= dose.created_at < CUTOFF + datetime.timedelta(hours=1)
            if dose.is_taken:
                assert dose.dose_mg == therapy.dose_mg_on(dose.local_date)
                assert dose.site in usable
            else:
                assert dose.skip_reason
                assert dose.site is None
                assert dose.dose_mg is None
        assert days_over_limit([therapy], doses) == []
        assert not therapy.needs_new_weight(TODAY)
        months = set(therapy.medicine.lab_rules.get().due_months)
        for result in LabResult.objects.filter(patient=patient):
            assert result.due_month is None or result.due_month in months
            assert result.taken_on < TODAY
            assert result.created_at <= CUTOFF
    for report in SideEffectReport.objects.select_related("dose").prefetch_related("items"):
        assert report.dose is not None
        assert report.dose.patient_id == report.patient_id
        assert report.dose.taken_at < report.created_at < CUTOFF
        items = list(report.items.select_related("side_effect"))
        assert report.none_reported == (not items)
        assert report.urgency == min((i.side_effect.urgency for i in items), default=None)


def test_the_same_arguments_make_the_same_rows() -> None:
    seed(seed=7)
    first = snapshot()
    User.objects.filter(email__startswith="load-").delete()
    Patient.objects.all().delete()
    assert not DoseLog.objects.exists()

    seed(seed=7)
    assert snapshot() == first
    User.objects.filter(email__startswith="load-").delete()
    Patient.objects.all().delete()

    seed(seed=8)
    assert snapshot() != first


def test_a_generated_account_signs_in_and_sees_its_pages(clock: object) -> None:
    seed()
    adult = Patient.objects.get(care__account__email="load-00000@example.com")
    client = Client()

    signed_in = client.post(
        "/accounts/login/", {"username": "load-00000@example.com", "password": LOAD_PASSWORD}
    )
    assert signed_in.status_code == 302
    response = client.get("/")

    assert response.status_code == 200
    text = words(response.content.decode())
    assert adult.name in text
    for page in ("/doses/", "/labs/", "/side-effects/", "/summary/"):
        assert client.get(page).status_code == 200, page

    guardian = Client()
    signed_in = guardian.post(
        "/accounts/login/",
        {"username": "load-guardian-00008@example.com", "password": LOAD_PASSWORD},
    )
    assert signed_in.status_code == 302
    for child in Patient.objects.filter(care__account__email="load-guardian-00008@example.com"):
        response = guardian.get(f"/p/{child.uuid}/doses/")
        assert response.status_code == 200
        assert child.name in words(response.content.decode())


def test_a_second_label_adds_more_and_the_same_label_is_refused() -> None:
    seed(patients=3)
    seed(patients=2, label="probe")
    assert Patient.objects.count() == 5

    with pytest.raises(CommandError, match="already here"):
        seed(patients=2, label="probe")
    assert Patient.objects.count() == 5


def test_refused_in_production(settings: Settings) -> None:
    settings.DJANGO_ENV = "production"

    with pytest.raises(CommandError, match="production"):
        seed()
    assert not Patient.objects.exists()
    assert not User.objects.filter(email__startswith="load-").exists()
