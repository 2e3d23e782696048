"""Today: the dashboard and the one-tap log."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.http import SignedInRequest

from ..access import with_therapy
from ..forms import DoseForm, SideEffectReportForm
from ..models import (
    DayStatus,
    DoseLog,
    LabResult,
    SideEffectReport,
    Therapy,
    adherence_percent,
    day_statuses,
    describe_days,
    prompt_side_effects,
)
from ..services import SecondDoseNeedsConfirmation, record_dose

STRIP_DAYS = 14

ADHERENCE_DAYS = 30


def _today_context(therapy: Therapy) -> dict[str, Any]:
    """Everything the dashboard's cards show, in a fixed number of queries."""
    today = therapy.today()
    logs = DoseLog.objects.for_patient(therapy.patient)
    sites = therapy.usable_sites()
    suggested = therapy.suggest_site(logs.last_use_by_site(), sites)
    first = today - datetime.timedelta(days=ADHERENCE_DAYS - 1)
    statuses = day_statuses(therapy, first, today, logs.between(first, today).status_by_day())
    todays = list(logs.on_day(today).select_related("site").order_by("taken_at"))
    taken_today = [dose for dose in todays if dose.is_taken]
    return {
        "prompt_form": _side_effect_prompt(therapy, taken_today[-1] if taken_today else None),
        "therapy": therapy,
        "today": today,
        "todays_doses": todays,
        "today_status": statuses[-1][1],
        "is_dose_day": therapy.is_dose_day(today),
        "suggested_site": suggested,
        "strip": statuses[-STRIP_DAYS:],
        "adherence": adherence_percent(statuses),
        "adherence_days": ADHERENCE_DAYS,
        "can_quick_log": suggested is not None and len(taken_today) < therapy.doses_per_day,
        "quick_submission_id": uuid.uuid4(),
        "DayStatus": DayStatus,
    }


def _side_effect_prompt(therapy: Therapy, dose: DoseLog | None) -> SideEffectReportForm | None:
    """After a dose is logged, ask about side effects until the patient answers."""
    if dose is None or SideEffectReport.objects.filter(dose=dose).exists():
        return None
    effects = prompt_side_effects(therapy.medicine)
    return SideEffectReportForm(side_effects=effects, initial={"dose": dose.uuid})


def _safety_context(therapy: Therapy) -> dict[str, Any]:
    """The side-effect and blood-test cards of the full dashboard page."""
    today = therapy.today()
    results = list(LabResult.objects.for_patient(therapy.patient))
    open_dues = [due for due in therapy.lab_due_dates(results) if due.result is None]
    next_due = min(open_dues, key=lambda due: due.due_date, default=None)
    reports = SideEffectReport.objects.for_patient(therapy.patient)
    return {
        "next_lab": next_due,
        "next_lab_words": describe_days(next_due.due_date, today) if next_due else "",
        "overdue_labs": sum(1 for due in open_dues if due.due_date < today),
        "latest_report": reports.first(),
        "reports_waiting": reports.awaiting_review().count(),
    }


@require_GET
@vary_on_headers("HX-Request")
@with_therapy
def dashboard(request: SignedInRequest, therapy: Therapy) -> HttpResponse:
    context = _today_context(therapy)
    if request.htmx:
        return render(request, "tracking/dashboard.html#today-card", context)
    context.update(_safety_context(therapy))
    return render(request, "tracking/dashboard.html", context)


@require_POST
@vary_on_headers("HX-Request")
@with_therapy
def dose_quick(request: SignedInRequest, therapy: Therapy) -> HttpResponse:
    """One tap: today's dose now, at the prescribed dose and the suggested site."""
    logs = DoseLog.objects.for_patient(therapy.patient)
    site = therapy.suggest_site(logs.last_use_by_site())
    form = DoseForm(
        {
            "status": DoseLog.Status.TAKEN,
            "taken_at": timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M"),
            "dose_mg": str(therapy.dose_mg),
            "site": site.pk if site else "",
            "helper_injecting": "on" if therapy.someone_else_injects else "",
            "submission_id": request.POST.get("submission_id", ""),
        },
        therapy=therapy,
    )
    problem = ""
    if form.is_valid():
        try:
            dose = record_dose(
                therapy, form.entry(), submission_id=form.cleaned_data["submission_id"]
            )
        except SecondDoseNeedsConfirmation as error:
            problem = error.messages[0]
        except ValidationError as error:
            problem = " ".join(error.messages)
    else:
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if not request.htmx:
        if problem:
            messages.error(request, problem)
            return redirect("tracking:dose-new")
        messages.success(request, dose.logged_message())
        return redirect("tracking:dashboard")
    context = _today_context(therapy)
    context["quick_problem"] = problem
    context["just_logged"] = not problem
    return render(request, "tracking/dashboard.html#quick-logged", context)
