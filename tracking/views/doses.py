"""The dose log: new, edit, delete, history and the CSV download."""

from __future__ import annotations

import csv
import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from monographs.models import InjectionSite
from portal.http import SignedInRequest

from ..access import get_dose_for_user, with_therapy
from ..calendar import month_grid, parse_month
from ..charts import markers
from ..forms import DoseForm, dose_initial_from
from ..models import DayStatus, DoseLog, Therapy, day_statuses
from ..services import SecondDoseNeedsConfirmation, record_dose

HISTORY_PAGE_SIZE = 20

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
        "body_map": markers(sites, last_used, suggested, therapy.zone),
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
            messages.success(request, saved.logged_message())
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
