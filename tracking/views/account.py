"""The account page: reminder choices, the calendar link, and a download of all data."""

from __future__ import annotations

import datetime
import json
import zoneinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.http import SignedInRequest
from portal.models import User

from ..access import preferences_for, therapies_for
from ..forms import PreferencesForm
from ..models import (
    CareRelationship,
    DoseLog,
    LabResult,
    PatientPreferences,
    ReminderDelivery,
    SideEffectReport,
)


@require_http_methods(["GET", "POST"])
@login_required
def account(request: SignedInRequest) -> HttpResponse:
    preferences = preferences_for(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST, instance=preferences)
        if form.is_valid():
            form.save()
            messages.success(request, "Your email choices are saved.")
            return redirect("tracking:account")
    else:
        form = PreferencesForm(instance=preferences)
    feed_path = reverse("tracking:lab-calendar", kwargs={"token": preferences.calendar_token})
    context = {
        "form": form,
        "calendar_url": request.build_absolute_uri(feed_path),
        "care_list": request.care_list,
        "acts_for_others": any(not care.is_self for care in request.care_list),
    }
    return render(request, "tracking/account.html", context)


@require_POST
@login_required
def calendar_reset(request: SignedInRequest) -> HttpResponse:
    preferences_for(request.user).reset_calendar_token()
    messages.success(
        request, "Your calendar link has changed. The old link no longer works anywhere."
    )
    return redirect("tracking:account")


@require_GET
@login_required
def data_export(request: SignedInRequest) -> HttpResponse:
    """Everything the portal holds about the account and the patients it acts for, as JSON."""
    user = request.user
    preferences = PatientPreferences.objects.filter(account=user).first()
    data = {
        "exported_at": timezone.now(),
        "account": {"email": user.email, "name": user.display_name},
        # The calendar token stays out: a download is often passed on, the link is a key.
        "preferences": preferences
        and {
            "email_lab_reminders": preferences.email_lab_reminders,
            "email_dose_reminders": preferences.email_dose_reminders,
        },
        "patients": [_patient_data(care, user) for care in request.care_list],
    }
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-kineret-portal-data.json"'
    return response


def _local(moment: datetime.datetime | None, zone: zoneinfo.ZoneInfo) -> datetime.datetime | None:
    """A time as the patient lived it, with its offset: the export agrees with the pages."""
    return None if moment is None else timezone.localtime(moment, zone)


def _name(account: User | None) -> str | None:
    return account.get_short_name() if account else None


def _patient_data(care: CareRelationship, account: User) -> dict[str, Any]:
    patient = care.patient
    zone = patient.zone
    therapies = therapies_for(patient)
    doses = (
        DoseLog.objects.for_patient(patient)
        .select_related("site", "entered_by", "therapy__medicine")
        .order_by("taken_at")
    )
    reports = (
        SideEffectReport.objects.for_patient(patient)
        .select_related("entered_by")
        .prefetch_related("items__side_effect")
    )
    results = (
        LabResult.objects.for_patient(patient)
        .select_related("rule", "entered_by")
        .order_by("taken_on")
    )
    # Reminders belong to the account they were sent to, like the choices behind them.
    reminders = ReminderDelivery.objects.filter(patient=patient, account=account).order_by(
        "due_date", "id"
    )
    return {
        "name": patient.name,
        "you_act_as": "Yourself" if care.is_self else care.get_role_display(),
        "date_of_birth": patient.date_of_birth,
        "time_zone": patient.time_zone,
        "weights": [
            {"measured_on": w.measured_on, "weight_kg": w.weight_kg} for w in patient.weights.all()
        ],
        "therapies": [
            {
                "medicine": therapy.medicine.display_name,
                "regimen": therapy.regimen.indication,
                "prescribed_dose": therapy.prescribed_dose,
                "unit": therapy.regimen.unit,
                "start_date": therapy.start_date,
                "end_date": therapy.end_date,
                "schedule": therapy.schedule_text,
            }
            for therapy in therapies
        ],
        "doses": [
            {
                "id": dose.uuid,
                "medicine": dose.therapy.medicine.display_name,
                "status": dose.status,
                "taken_at": _local(dose.taken_at, zone),
                "local_date": dose.local_date,
                "scheduled_time": dose.slot_time,
                "dose_mg": dose.dose_mg,
                "site": dose.site.name if dose.site else None,
                "skip_reason": dose.skip_reason,
                "note": dose.note,
                "logged_by": _name(dose.entered_by),
            }
            for dose in doses
        ],
        "side_effect_reports": [
            {
                "id": report.uuid,
                "created_at": _local(report.created_at, zone),
                "reported_by": _name(report.entered_by),
                "none_reported": report.none_reported,
                "items": [
                    {
                        "side_effect": item.side_effect.name,
                        "severity": item.severity,
                        "started_on": item.started_on,
                    }
                    for item in report.items.all()
                ],
                "other": report.other,
                "reviewed_at": _local(report.reviewed_at, zone),
            }
            for report in reports
        ],
        "lab_results": [
            {
                "id": result.uuid,
                "test": result.rule.test_name,
                "taken_on": result.taken_on,
                "value_cells_per_ul": result.value,
                "entered_value": result.entered_value,
                "entered_unit": result.get_entered_unit_display(),
                "sent_for_review": result.needs_review,
                "reviewed_at": _local(result.reviewed_at, zone),
                "entered_by": _name(result.entered_by),
            }
            for result in results
        ],
        "reminders": [
            {"reason": r.reason, "due_date": r.due_date, "sent_at": _local(r.sent_at, zone)}
            for r in reminders
        ],
    }
