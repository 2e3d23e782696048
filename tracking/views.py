from __future__ import annotations

import csv
import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from monographs.models import InjectionSite
from portal.http import SignedInRequest

from . import bodymap
from .access import get_dose_for_user, with_therapy
from .calendar import month_grid, parse_month
from .forms import DoseForm, TherapyForm, dose_initial_from
from .labs import describe_days
from .models import (
    DayStatus,
    DoseLog,
    LabResult,
    SideEffectReport,
    Therapy,
    adherence_percent,
    day_statuses,
)
from .services import SecondDoseNeedsConfirmation, record_dose
from .side_effects import SideEffectReportForm, prompt_side_effects

HISTORY_PAGE_SIZE = 20
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
        messages.success(request, _logged_message(dose))
        return redirect("tracking:dashboard")
    context = _today_context(therapy)
    context["quick_problem"] = problem
    context["just_logged"] = not problem
    return render(request, "tracking/dashboard.html#quick-logged", context)


def _logged_message(dose: DoseLog) -> str:
    when = timezone.localtime(dose.taken_at).strftime("%-I:%M %p")
    if dose.is_taken:
        return f"Dose logged: {dose.dose_mg_text} mg at {when}, {dose.site}."
    return f"Skipped dose logged for {dose.local_date:%-d %B}."


@require_http_methods(["GET", "POST"])
@login_required
def therapy_edit(request: SignedInRequest) -> HttpResponse:
    therapy = Therapy.objects.for_patient(request.user).first()
    instance = therapy or Therapy(patient=request.user)
    if request.method == "POST":
        form = TherapyForm(request.POST, instance=instance)
        if form.is_valid():
            form.save()
            messages.success(request, "Your therapy is saved.")
            return redirect("tracking:dashboard")
    else:
        form = TherapyForm(instance=instance, initial={} if therapy else {"time_zone": ""})
    return render(request, "tracking/therapy.html", {"form": form, "is_new": therapy is None})


SiteState = tuple[list[InjectionSite], dict[int, datetime.datetime], InjectionSite | None]


def _site_state(therapy: Therapy) -> SiteState:
    """The medicine's sites, when each was last used, and the one to suggest."""
    last_used = DoseLog.objects.for_patient(therapy.patient).last_use_by_site()
    sites = list(therapy.medicine.injection_sites.all())
    return sites, last_used, therapy.suggest_site(last_used, therapy.usable_sites(sites))


def _dose_form_context(
    therapy: Therapy,
    form: DoseForm,
    state: SiteState,
    *,
    dose: DoseLog | None = None,
    confirm: str = "",
) -> dict[str, Any]:
    sites, last_used, suggested = state
    return {
        "therapy": therapy,
        "form": form,
        "dose": dose,
        "confirm_question": confirm,
        "body_map": bodymap.markers(sites, last_used, suggested, therapy.zone),
        "suggested_site": suggested,
    }


def _save_dose_form(
    request: SignedInRequest, therapy: Therapy, form: DoseForm, dose: DoseLog | None
) -> tuple[DoseLog | None, str]:
    """Validate and record; returns the saved dose, or the confirmation question."""
    if not form.is_valid():
        return None, ""
    try:
        saved = record_dose(
            therapy,
            form.entry(),
            instance=dose,
            submission_id=form.cleaned_data["submission_id"],
            confirm_second=form.cleaned_data["confirm_second"],
        )
    except SecondDoseNeedsConfirmation as error:
        return None, error.messages[0]
    except ValidationError as error:
        form.add_error(None, error)
        return None, ""
    return saved, ""


@require_http_methods(["GET", "POST"])
@with_therapy
def dose_new(request: SignedInRequest, therapy: Therapy) -> HttpResponse:
    confirm = ""
    if request.method == "POST":
        form = DoseForm(request.POST, therapy=therapy)
        saved, confirm = _save_dose_form(request, therapy, form, None)
        if saved is not None:
            messages.success(request, _logged_message(saved))
            return redirect("tracking:dashboard")
        if confirm:
            form = DoseForm({**request.POST.dict(), "confirm_second": "true"}, therapy=therapy)
            form.full_clean()
    state = _site_state(therapy)
    if request.method == "GET":
        form = DoseForm(initial=DoseForm.initial_for(therapy, state[2]), therapy=therapy)
    context = _dose_form_context(therapy, form, state, confirm=confirm)
    return render(request, "tracking/dose_form.html", context)


@require_http_methods(["GET", "POST"])
@with_therapy
def dose_edit(request: SignedInRequest, therapy: Therapy, uuid: uuid.UUID) -> HttpResponse:
    dose = get_dose_for_user(request, uuid)
    confirm = ""
    if request.method == "POST":
        form = DoseForm(request.POST, therapy=therapy)
        saved, confirm = _save_dose_form(request, therapy, form, dose)
        if saved is not None:
            messages.success(request, "Your changes are saved. The earlier version is kept.")
            return redirect("tracking:dose-list")
        if confirm:
            form = DoseForm({**request.POST.dict(), "confirm_second": "true"}, therapy=therapy)
            form.full_clean()
    else:
        form = DoseForm(initial=dose_initial_from(dose, therapy), therapy=therapy)
    context = _dose_form_context(therapy, form, _site_state(therapy), dose=dose, confirm=confirm)
    return render(request, "tracking/dose_form.html", context)


@require_http_methods(["GET", "POST"])
@with_therapy
def dose_delete(request: SignedInRequest, therapy: Therapy, uuid: uuid.UUID) -> HttpResponse:
    dose = get_dose_for_user(request, uuid)
    if request.method == "POST":
        dose.delete()
        messages.success(request, "The entry is deleted. A copy is kept in your record's history.")
        return redirect("tracking:dose-list")
    return render(request, "tracking/dose_delete.html", {"dose": dose, "therapy": therapy})


@require_GET
@with_therapy
def dose_list(request: SignedInRequest, therapy: Therapy) -> HttpResponse:
    today = therapy.today()
    month = parse_month(request.GET.get("month"), default=today)
    logs = DoseLog.objects.for_patient(therapy.patient)
    grid, first, last = month_grid(month)
    statuses = dict(day_statuses(therapy, first, last, logs.between(first, last).status_by_day()))
    page = Paginator(logs.select_related("site"), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "therapy": therapy,
        "page": page,
        "month": month,
        "weeks": [[(day, statuses[day]) for day in week] for week in grid],
        "previous_month": (month - datetime.timedelta(days=1)).replace(day=1),
        "next_month": (month + datetime.timedelta(days=32)).replace(day=1),
        "show_next": (month + datetime.timedelta(days=32)).replace(day=1) <= today,
        "today": today,
        "DayStatus": DayStatus,
    }
    return render(request, "tracking/dose_list.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@with_therapy
def dose_export(request: SignedInRequest, therapy: Therapy) -> StreamingHttpResponse:
    logs = DoseLog.objects.for_patient(therapy.patient).select_related("site").order_by("taken_at")
    zone = therapy.zone  # the rows are written after the view returns, outside its time zone
    writer = csv.writer(_Echo())

    def rows() -> Any:
        yield writer.writerow(["date", "time", "status", "dose_mg", "site", "skip_reason", "note"])
        for dose in logs.iterator(chunk_size=500):
            local = timezone.localtime(dose.taken_at, zone)
            yield writer.writerow(
                [
                    dose.local_date.isoformat(),
                    local.strftime("%H:%M"),
                    dose.status,
                    dose.dose_mg_text,
                    dose.site.name if dose.site else "",
                    _csv_text(dose.skip_reason),
                    _csv_text(dose.note),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dose-log.csv"'
    return response


def _csv_text(value: str) -> str:
    # A spreadsheet runs a cell that starts like a formula; make it plain text.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
