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
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from monographs.models import InjectionSite
from portal.http import SignedInRequest

from ..access import (
    get_dose_for_request,
    get_therapy_for_request,
    patient_redirect,
    therapies_for,
    with_patient,
)
from ..calendar import month_grid, parse_month
from ..charts import markers
from ..forms import DoseForm, Wording, dose_initial_from
from ..models import (
    Day,
    DayStatus,
    DoseLog,
    Patient,
    Slot,
    SlotStatus,
    Therapy,
    days_between,
    slots_between,
)
from ..services import SecondDoseNeedsConfirmation, record_dose

HISTORY_PAGE_SIZE = 20
# The dose form offers the slots of today and of the day before.
FORM_DAYS = 2

SiteState = tuple[list[InjectionSite], dict[int, datetime.datetime], InjectionSite | None]


def _site_state(therapy: Therapy) -> SiteState:
    """The medicine's sites, when each was last used, and the one to suggest."""
    last_used = therapy.last_use_by_site()
    sites = list(therapy.medicine.injection_sites.all())
    return sites, last_used, therapy.suggest_site(last_used, therapy.usable_sites(sites))


def _recent_slots(therapy: Therapy, dose: DoseLog | None = None) -> list[Slot]:
    today = therapy.patient.today()
    first = today - datetime.timedelta(days=FORM_DAYS - 1)
    if dose is not None:
        first = min(first, dose.local_date)
    doses = list(DoseLog.objects.filter(therapy=therapy).between(first, today))
    slots = slots_between([therapy], first, today, doses)
    if dose is not None:
        # Editing keeps the entry's own slot on offer, however old it is.
        slots = [
            s
            for s in slots
            if s.day >= today - datetime.timedelta(days=FORM_DAYS - 1)
            or (s.day == dose.local_date and s.time == dose.slot_time)
        ]
    return slots


def _next_slot(slots: list[Slot]) -> Slot | None:
    """The slot a new entry most likely fills: today's due one, else the earliest open."""
    order = {SlotStatus.DUE: 0, SlotStatus.MISSED: 1, SlotStatus.LATER: 2}
    open_slots = [s for s in slots if s.status in order]
    today = max((s.day for s in slots), default=None)
    open_slots.sort(key=lambda s: (s.day != today, order[s.status], s.time))
    return open_slots[0] if open_slots else None


def _form(
    request: SignedInRequest, therapy: Therapy, slots: list[Slot], data: Any = None, **kwargs: Any
) -> DoseForm:
    wording = Wording(therapy.patient, request.care)
    return DoseForm(data, therapy=therapy, slots=slots, wording=wording, **kwargs)


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
        "patient": therapy.patient,
        "therapy": therapy,
        "form": form,
        "dose": dose,
        "confirm_question": confirm,
        "body_map": markers(sites, last_used, suggested, therapy.patient.zone)
        if therapy.is_injected
        else [],
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
            entered_by=request.user,
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


def _chosen_therapy(
    request: SignedInRequest, patient: Patient
) -> tuple[Therapy | None, list[Therapy]]:
    """The therapy the form is for (named in the address, or the only current one),
    and the current ones to choose from when it is neither."""
    raw = request.POST.get("therapy") or request.GET.get("therapy") or ""
    try:
        named = uuid.UUID(raw) if raw else None
    except ValueError:
        named = None
    if named is not None:
        return get_therapy_for_request(request, named), []
    today = patient.today()
    current = [t for t in therapies_for(patient) if t.is_active_on(today)]
    # An unreadable name offers the choice rather than guessing.
    only = current[0] if len(current) == 1 and not raw else None
    return only, current


@require_http_methods(["GET", "POST"])
@with_patient
def dose_new(request: SignedInRequest, patient: Patient) -> HttpResponse:
    therapy, choices = _chosen_therapy(request, patient)
    if therapy is None:
        return render(
            request, "tracking/dose_choose.html", {"patient": patient, "therapies": choices}
        )
    slots = _recent_slots(therapy)
    confirm = ""
    if request.method == "POST":
        form = _form(request, therapy, slots, request.POST)
        saved, confirm = _save_dose_form(request, therapy, form, None)
        if saved is not None:
            messages.success(request, saved.logged_message())
            return patient_redirect(request, "tracking:dashboard")
        if confirm:
            form = _form(
                request, therapy, slots, {**request.POST.dict(), "confirm_second": "true"}
            )
            form.full_clean()
    state = _site_state(therapy)
    if request.method == "GET":
        initial = DoseForm.initial_for(therapy, state[2], _next_slot(slots))
        form = _form(request, therapy, slots, initial=initial)
    context = _dose_form_context(therapy, form, state, confirm=confirm)
    return render(request, "tracking/dose_form.html", context)


@require_http_methods(["GET", "POST"])
@with_patient
def dose_edit(request: SignedInRequest, patient: Patient, uuid: uuid.UUID) -> HttpResponse:
    dose = get_dose_for_request(request, uuid)
    dose.patient = patient  # the lookup went through this patient: no need to fetch it again
    therapy = get_therapy_for_request(request, dose.therapy.uuid)
    slots = _recent_slots(therapy, dose)
    confirm = ""
    if request.method == "POST":
        form = _form(request, therapy, slots, request.POST)
        saved, confirm = _save_dose_form(request, therapy, form, dose)
        if saved is not None:
            messages.success(request, "The changes are saved. The earlier version is kept.")
            return patient_redirect(request, "tracking:dose-list")
        if confirm:
            form = _form(
                request, therapy, slots, {**request.POST.dict(), "confirm_second": "true"}
            )
            form.full_clean()
    else:
        form = _form(request, therapy, slots, initial=dose_initial_from(dose))
    context = _dose_form_context(therapy, form, _site_state(therapy), dose=dose, confirm=confirm)
    return render(request, "tracking/dose_form.html", context)


@require_http_methods(["GET", "POST"])
@with_patient
def dose_delete(request: SignedInRequest, patient: Patient, uuid: uuid.UUID) -> HttpResponse:
    dose = get_dose_for_request(request, uuid)
    if request.method == "POST":
        dose.delete()
        messages.success(request, "The entry is deleted. A copy is kept in the record's history.")
        return patient_redirect(request, "tracking:dose-list")
    context = {"dose": dose, "patient": patient, "wording": Wording(patient, request.care)}
    return render(request, "tracking/dose_delete.html", context)


@require_GET
@with_patient
def dose_list(request: SignedInRequest, patient: Patient) -> HttpResponse:
    today = patient.today()
    month = parse_month(request.GET.get("month"), default=today)
    therapies = therapies_for(patient)
    logs = DoseLog.objects.for_patient(patient)
    grid, first, last = month_grid(month)
    # Days still to come have nothing due yet, whatever their schedule says.
    until = min(last, today)
    days = {
        entry.day: entry
        for entry in days_between(therapies, first, until, list(logs.between(first, until)))
    }
    page = Paginator(
        logs.select_related("site", "entered_by", "therapy__medicine"), HISTORY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "patient": patient,
        "wording": Wording(patient, request.care),
        "several": len(therapies) > 1,
        "page": page,
        "month": month,
        "weeks": [[days.get(day) or Day(day, DayStatus.NONE) for day in week] for week in grid],
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
@with_patient
def dose_export(request: SignedInRequest, patient: Patient) -> StreamingHttpResponse:
    logs = (
        DoseLog.objects.for_patient(patient)
        .select_related("site", "therapy__medicine", "entered_by")
        .order_by("taken_at")
    )
    zone = patient.zone  # the rows are written after the view returns, outside its time zone
    writer = csv.writer(_Echo())
    header = [
        "date",
        "scheduled time",
        "time taken",
        "medicine",
        "status",
        "dose_mg",
        "site",
        "skip_reason",
        "note",
        "logged by",
    ]

    def rows() -> Any:
        yield writer.writerow(header)
        for dose in logs.iterator(chunk_size=500):
            local = timezone.localtime(dose.taken_at, zone)
            yield writer.writerow(
                [
                    dose.local_date.isoformat(),
                    dose.slot_time.strftime("%H:%M") if dose.slot_time else "",
                    local.strftime("%H:%M"),
                    _csv_text(dose.therapy.medicine.display_name),
                    dose.status,
                    dose.dose_mg_text,
                    _csv_text(dose.site.name) if dose.site else "",
                    _csv_text(dose.skip_reason),
                    _csv_text(dose.note),
                    _csv_text(dose.entered_by.get_short_name()) if dose.entered_by else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dose-log.csv"'
    return response


def _csv_text(value: str) -> str:
    # A spreadsheet runs a cell that starts like a formula; make it plain text.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
