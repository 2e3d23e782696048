"""Migrations 0004–0006: each account's records become a patient's, and nothing is lost.

The test migrates a real database back to the account-owned shape (0003), writes the
data a running portal held then, migrates forward and reads it with today's models.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tracking.models import (
    CareRelationship,
    DoseLog,
    LabResult,
    Patient,
    PatientPreferences,
    ReminderDelivery,
    SideEffectReport,
    Therapy,
)

BEFORE = [("tracking", "0003_dose_indexes")]
START = datetime.date(2026, 10, 1)


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_each_account_becomes_a_patient_who_acts_for_themself_with_every_record_kept() -> None:
    call_command("seed_monographs", verbosity=0)
    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    User = old.get_model("portal", "User")
    Medicine = old.get_model("monographs", "Medicine")
    OldTherapy = old.get_model("tracking", "Therapy")
    OldDose = old.get_model("tracking", "DoseLog")
    OldReport = old.get_model("tracking", "SideEffectReport")
    OldResult = old.get_model("tracking", "LabResult")
    OldPreferences = old.get_model("tracking", "PatientPreferences")
    OldReminder = old.get_model("tracking", "ReminderDelivery")
    anakinra = Medicine.objects.get(slug="anakinra")
    nomid = anakinra.regimens.get(indication="NOMID")
    site = anakinra.injection_sites.first()
    rule = anakinra.lab_rules.first()
    mia = User.objects.create(email="mia@example.com", display_name="Mia")
    nobody = User.objects.create(email="nobody@example.com")
    therapy = OldTherapy.objects.create(
        patient=mia,
        medicine=anakinra,
        regimen=nomid,
        prescribed_dose=Decimal("2"),
        weight_kg=Decimal("16"),
        start_date=START,
        time_zone="Asia/Tokyo",
        usual_dose_time=datetime.time(9, 30),
    )
    dose = OldDose.objects.create(
        patient=mia,
        therapy=therapy,
        status="taken",
        taken_at=datetime.datetime(2026, 10, 2, 0, 30, tzinfo=datetime.UTC),
        local_date=datetime.date(2026, 10, 2),
        dose_mg=Decimal("32"),
        site=site,
    )
    OldReport.objects.create(patient=mia, dose=dose, other="Itchy", needs_review=True)
    OldResult.objects.create(
        patient=mia,
        rule=rule,
        due_month=0,
        taken_on=START,
        value=Decimal("950"),
        entered_value=Decimal("950"),
        entered_unit="cells_ul",
        needs_review=True,
    )
    OldPreferences.objects.create(patient=mia, email_dose_reminders=False, calendar_token="t")
    OldReminder.objects.create(patient=mia, reason="dose", due_date=START)

    executor.loader.build_graph()
    _migrate(executor.loader.graph.leaf_nodes())

    patient = Patient.objects.get()
    assert patient.name == "Mia"
    assert patient.time_zone == "Asia/Tokyo"
    assert [w.weight_kg for w in patient.weights.all()] == [Decimal("16.0")]
    [care] = CareRelationship.objects.all()
    assert (care.account.email, care.role, care.patient) == ("mia@example.com", "self", patient)
    assert not CareRelationship.objects.filter(account__email=nobody.email).exists()
    [moved] = Therapy.objects.all()
    assert moved.patient == patient
    assert moved.dose_times == ["09:30"]
    assert moved.dose_days == "daily"
    assert moved.uuid is not None
    assert moved.dose_mg_on(datetime.date(2026, 10, 2)) == Decimal("32.00")
    [kept] = DoseLog.objects.select_related("entered_by").all()
    assert kept.entered_by is not None
    assert (kept.patient, kept.slot_time, kept.entered_by.email) == (
        patient,
        datetime.time(9, 30),
        "mia@example.com",
    )
    assert kept.dose_mg == Decimal("32")
    assert SideEffectReport.objects.get().patient == patient
    assert LabResult.objects.get().patient == patient
    assert PatientPreferences.objects.get().account.email == "mia@example.com"
    reminder = ReminderDelivery.objects.get()
    assert (reminder.patient, reminder.account.email) == (patient, "mia@example.com")
    # Every history row still names its record's patient.
    assert {row.patient_id for row in Therapy.history.all()} <= {patient.pk}
    # New patients get new ids: the sequence moved past the ones given by hand.
    assert Patient.objects.create(name="Leo").pk > patient.pk
