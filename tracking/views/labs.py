"""Blood tests: due dates, results, and the private calendar feed."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from icalendar import Calendar, Event

from portal.http import PortalRequest, SignedInRequest

from ..access import get_result_for_request, therapies_for, with_patient
from ..charts import trend_chart
from ..forms import ALREADY_RECORDED, LabResultForm, Wording
from ..models import LabDue, LabResult, Patient, PatientPreferences, Therapy, describe_days
from ..services import record_lab_result

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _labs_context(
    patient: Patient,
    therapies: list[Therapy],
    results: list[LabResult],
    form: LabResultForm,
    wording: Wording,
) -> dict[str, Any]:
    today = patient.today()
    groups: dict[str, list[dict[str, Any]]] = {
        "overdue": [],
        "soon": [],
        "upcoming": [],
        "done": [],
    }
    for due in _dues(therapies, results):
        groups[due.state(today)].append({"due": due, "words": describe_days(due.due_date, today)})
    ruled = [(rule, therapy) for therapy in therapies for rule in therapy.medicine.lab_rules.all()]
    rule, rule_therapy = ruled[0] if ruled else (None, None)
    threshold = rule.review_below if rule else None
    return {
        "patient": patient,
        "wording": wording,
        "groups": groups,
        "results": results,
        "chart": trend_chart([r for r in results if rule and r.rule_id == rule.pk], threshold),
        "rule": rule,
        "rule_therapy": rule_therapy,
        "form": form,
    }


def _results_of(patient: Patient) -> list[LabResult]:
    """The patient's results, each sharing the patient: their links name it, without a query."""
    results = list(LabResult.objects.for_patient(patient).select_related("rule"))
    for result in results:
        result.patient = patient
    return results


def _dues(therapies: list[Therapy], results: list[LabResult]) -> list[LabDue]:
    """The scheduled tests of every therapy the patient has had, earliest first."""
    dues = [due for therapy in therapies for due in therapy.lab_due_dates(results)]
    return sorted(dues, key=lambda due: (due.due_date, due.rule.pk))


@require_http_methods(["GET", "POST"])
@with_patient
def labs(request: SignedInRequest, patient: Patient) -> HttpResponse:
    therapies = therapies_for(patient)
    results = _results_of(patient)
    dues = _dues(therapies, results)
    if request.method == "POST":
        form = LabResultForm(request.POST, dues=dues, today=patient.today())
        if form.is_valid():
            try:
                with transaction.atomic():
                    result = record_lab_result(patient, form, entered_by=request.user)
            except IntegrityError:
                form.add_error("due", ALREADY_RECORDED)
            else:
                return redirect(result)
    else:
        first_open = next((d for d in dues if d.result is None), None)
        initial_due = f"{first_open.rule.pk}:{first_open.month}" if first_open else None
        form = LabResultForm(
            dues=dues, initial={"due": initial_due, "unit": LabResult.Unit.CELLS_PER_UL}
        )
    wording = Wording(patient, request.care)
    context = _labs_context(patient, therapies, results, form, wording)
    return render(request, "tracking/labs.html", context)


@require_GET
@with_patient
def lab_result(request: SignedInRequest, patient: Patient, uuid: uuid.UUID) -> HttpResponse:
    result = get_result_for_request(request, uuid)
    context = {"result": result, "patient": patient, "wording": Wording(patient, request.care)}
    return render(request, "tracking/lab_result.html", context)


@require_GET
def lab_calendar(request: PortalRequest, token: str) -> HttpResponse:
    """A private feed: the token is the only key, so a wrong one is a plain 404.

    It holds the tests still to do of every patient the account acts for.
    """
    # Only URL-safe tokens are ever issued; anything else (a NUL byte makes PostgreSQL
    # raise) is a 404 without asking the database.
    if not TOKEN_PATTERN.fullmatch(token):
        raise Http404
    # A deactivated account's link stops working with it.
    preferences = (
        PatientPreferences.objects.filter(calendar_token=token, account__is_active=True)
        .select_related("account")
        .first()
    )
    if preferences is None:
        raise Http404
    calendar = Calendar()
    # Neutral names: a shared or synced calendar should not reveal the medicine.
    calendar.add("prodid", "-//Patient portal//blood tests//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Blood tests")
    for patient in Patient.objects.for_account(preferences.account):
        therapies = therapies_for(patient)
        results = list(LabResult.objects.for_patient(patient))
        for due in _dues(therapies, results):
            if due.result is not None:
                continue
            event = Event()
            # No health detail in the title: calendars are often shared or synced.
            event.add("summary", "Blood test due")
            event.add("dtstart", due.due_date)
            event.add("dtend", due.due_date + datetime.timedelta(days=1))
            event.add("dtstamp", timezone.now())
            event.add("uid", f"{patient.uuid}-{due.rule.pk}-{due.month}@patient-portal")
            calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="blood-tests.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
