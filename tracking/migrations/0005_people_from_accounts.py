"""Each account that holds records becomes a patient who acts for themself.

The patient takes the account's id, so every foreign key that named the account
(rows and their history rows alike) names the patient once 0006 retargets it:
nothing recorded is rewritten, and nothing is lost.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.management.color import no_style
from django.db import migrations

# The regimen frequencies of 0003, and the schedule days they allow.
EVERY_OTHER_DAY = "every_other_day"
WEEKLY = "weekly"


def _name(user: Any) -> str:
    return user.display_name or user.email.split("@", 1)[0]


def people_from_accounts(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("portal", "User")
    Patient = apps.get_model("tracking", "Patient")
    CareRelationship = apps.get_model("tracking", "CareRelationship")
    Weight = apps.get_model("tracking", "Weight")
    Therapy = apps.get_model("tracking", "Therapy")
    DoseLog = apps.get_model("tracking", "DoseLog")
    SideEffectReport = apps.get_model("tracking", "SideEffectReport")
    LabResult = apps.get_model("tracking", "LabResult")
    ReminderDelivery = apps.get_model("tracking", "ReminderDelivery")

    owners: set[int] = set()
    for model in (Therapy, DoseLog, SideEffectReport, LabResult, ReminderDelivery):
        owners.update(model.objects.values_list("patient_id", flat=True).distinct())
    therapies = {t.patient_id: t for t in Therapy.objects.select_related("regimen")}
    for user in User.objects.filter(pk__in=owners).order_by("pk"):
        therapy = therapies.get(user.pk)
        patient = Patient.objects.create(
            pk=user.pk,
            name=_name(user),
            time_zone=therapy.time_zone if therapy else "America/New_York",
        )
        CareRelationship.objects.create(patient=patient, account=user, role="self")
        if therapy is not None and therapy.weight_kg is not None:
            Weight.objects.create(
                patient=patient,
                measured_on=therapy.start_date,
                weight_kg=therapy.weight_kg,
                entered_by=user,
            )
    HistoricalTherapy = apps.get_model("tracking", "HistoricalTherapy")
    for therapy in therapies.values():
        therapy.uuid = uuid.uuid4()
        HistoricalTherapy.objects.filter(id=therapy.pk).update(uuid=therapy.uuid)
        frequency = therapy.regimen.frequency
        therapy.dose_times = [therapy.usual_dose_time.strftime("%H:%M")]
        if frequency == EVERY_OTHER_DAY:
            therapy.dose_days = "every_other_day"
        elif frequency == WEEKLY:
            therapy.dose_days = "weekdays"
            therapy.weekdays = [therapy.start_date.weekday()]
        else:
            therapy.dose_days = "daily"
        therapy.save(update_fields=["uuid", "dose_times", "dose_days", "weekdays"])
        # The one slot of each day was the usual time: each dose fills its day's slot.
        DoseLog.objects.filter(therapy=therapy).update(slot_time=therapy.usual_dose_time)
    for model in (DoseLog, SideEffectReport, LabResult):
        for row in model.objects.filter(entered_by=None).only("pk", "patient_id"):
            model.objects.filter(pk=row.pk).update(entered_by_id=row.patient_id)
    for reminder in ReminderDelivery.objects.all():
        ReminderDelivery.objects.filter(pk=reminder.pk).update(account_id=reminder.patient_id)
    # Patients were given ids by hand: move PostgreSQL's sequence past them.
    statements = schema_editor.connection.ops.sequence_reset_sql(no_style(), [Patient])
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def accounts_from_people(apps: Any, schema_editor: Any) -> None:
    """Going back: the account-era fields are restored from the patient's own."""
    Therapy = apps.get_model("tracking", "Therapy")
    Weight = apps.get_model("tracking", "Weight")
    Patient = apps.get_model("tracking", "Patient")
    zones = dict(Patient.objects.values_list("pk", "time_zone"))
    for therapy in Therapy.objects.all():
        weight = (
            Weight.objects.filter(patient_id=therapy.patient_id).order_by("-measured_on").first()
        )
        therapy.time_zone = zones.get(therapy.patient_id, "America/New_York")
        therapy.usual_dose_time = datetime.time.fromisoformat(therapy.dose_times[0])
        therapy.weight_kg = weight.weight_kg if weight else None
        therapy.save(update_fields=["time_zone", "usual_dose_time", "weight_kg"])
    Patient.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("tracking", "0004_people_and_schedules"),
    ]

    operations = [
        migrations.RunPython(people_from_accounts, accounts_from_people),
    ]
