"""Today: each dose slot of each therapy, the one-tap log, and the cards around them."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from monographs.models import InjectionSite
from portal.http import SignedInRequest

from ..access import patient_redirect, patient_reverse, therapies_for, with_patient
from ..forms import DoseForm, SideEffectReportForm, Wording
from ..models import (
    Adherence,
    DayStatus,
    DoseLog,
    LabResult,
    Patient,
    SideEffectReport,
    Slot,
    SlotStatus,
    Therapy,
    days_between,
    describe_days,
    prompt_side_effects,
    slots_between,
)
from ..services import SecondDoseNeedsConfirmation, record_dose

STRIP_DAYS = 14
ADHERENCE_DAYS = 30
OPEN = (SlotStatus.DUE, SlotStatus.MISSED, SlotStatus.LATER)


def _today_context(
    request: SignedInRequest, patient: Patient, therapies: list[Therapy]
) -> dict[str, Any]:
    """Everything the Today card and the strip show, in a fixed number of queries."""
    today = patient.today()
    active = [therapy for therapy in therapies if therapy.is_active_on(today)]
    first = today - datetime.timedelta(days=ADHERENCE_DAYS - 1)
    doses = list(
        DoseLog.objects.for_patient(patient)
        .between(first, today)
        .select_related("site", "entered_by")
    )
    # Every therapy, ended ones too: a schedule makes no slot outside its own dates, and
    # the days an ended therapy was taken still belong in the strip and adherence.
    slots = slots_between(therapies, first, today, doses)
    todays = [slot for slot in slots if slot.day == today]
    # The next dose to give comes first; those already logged follow, in time order.
    todays.sort(key=lambda slot: (slot.status not in OPEN, slot.time))
    suggested = {therapy.pk: _suggested_site(therapy) for therapy in active}
    days = days_between(therapies, first, today, doses)
    taken_today = [dose for dose in doses if dose.local_date == today and dose.is_taken]
    latest = max(taken_today, key=lambda dose: dose.taken_at, default=None)
    return {
        "patient": patient,
        "wording": Wording(patient, request.care),
        "therapies": active,
        "today": today,
        "slots": [
            {
                "slot": slot,
                "site": suggested.get(slot.therapy.pk),
                "dose_mg": slot.therapy.dose_mg,
                # One per form: a double tap on one button cannot log two doses.
                "submission_id": uuid.uuid4(),
            }
            for slot in todays
        ],
        "next_slot": next((slot for slot in todays if slot.status in OPEN), None),
        "prompt_form": _side_effect_prompt(latest, active),
        "weight_needed": [t for t in active if t.needs_new_weight(today)],
        "strip": days[-STRIP_DAYS:],
        "adherence": Adherence.of(slots),
        "adherence_days": ADHERENCE_DAYS,
        "DayStatus": DayStatus,
        "SlotStatus": SlotStatus,
    }


def _suggested_site(therapy: Therapy) -> InjectionSite | None:
    if not therapy.is_injected:
        return None
    return therapy.suggest_site(therapy.last_use_by_site())


def _side_effect_prompt(
    dose: DoseLog | None, therapies: list[Therapy]
) -> SideEffectReportForm | None:
    """After a dose is logged, ask about its medicine's side effects until answered."""
    if dose is None or SideEffectReport.objects.filter(dose=dose).exists():
        return None
    therapy = next((t for t in therapies if t.pk == dose.therapy_id), None)
    if therapy is None:
        return None
    effects = prompt_side_effects(therapy.medicine)
    if not effects:
        return None
    return SideEffectReportForm(side_effects=effects, initial={"dose": dose.uuid})


def _safety_context(patient: Patient, therapies: list[Therapy]) -> dict[str, Any]:
    """The side-effect and blood-test cards of the full dashboard page."""
    today = patient.today()
    results = list(LabResult.objects.for_patient(patient))
    open_dues = [
        due
        for therapy in therapies
        for due in therapy.lab_due_dates(results)
        if due.result is None
    ]
    next_due = min(open_dues, key=lambda due: due.due_date, default=None)
    reports = SideEffectReport.objects.for_patient(patient)
    return {
        "next_lab": next_due,
        "next_lab_words": describe_days(next_due.due_date, today) if next_due else "",
        "overdue_labs": sum(1 for due in open_dues if due.due_date < today),
        "latest_report": reports.first(),
        "reports_waiting": reports.awaiting_review().count(),
    }


@require_GET
@vary_on_headers("HX-Request")
@with_patient
def dashboard(request: SignedInRequest, patient: Patient) -> HttpResponse:
    context = _today_context(request, patient, therapies_for(patient))
    if request.htmx:
        return render(request, "tracking/dashboard.html#today-card", context)
    if not context["therapies"]:
        messages.info(request, "Nothing is scheduled today. Add a medicine to start.")
    context.update(_safety_context(patient, context["therapies"]))
    return render(request, "tracking/dashboard.html", context)


def _open_slot(
    patient: Patient, therapies: list[Therapy], therapy_uuid: str, key: str
) -> tuple[Therapy, Slot] | None:
    """The slot a one-tap form names: a slot of today, or yesterday, of the patient's."""
    today = patient.today()
    for therapy in therapies:
        if str(therapy.uuid) != therapy_uuid:
            continue
        doses = list(
            DoseLog.objects.filter(therapy=therapy).between(
                today - datetime.timedelta(days=1), today
            )
        )
        for slot in slots_between([therapy], today - datetime.timedelta(days=1), today, doses):
            if slot.key == key:
                return therapy, slot
    return None


@require_POST
@vary_on_headers("HX-Request")
@with_patient
def dose_quick(request: SignedInRequest, patient: Patient) -> HttpResponse:
    """One tap: this slot's dose now, at the prescribed dose and the suggested site."""
    therapies = therapies_for(patient)
    found = _open_slot(
        patient, therapies, request.POST.get("therapy", ""), request.POST.get("slot", "")
    )
    therapy, slot = found if found is not None else (None, None)
    problem = ""
    dose: DoseLog | None = None
    if therapy is None or slot is None:
        problem = "That dose is no longer on the list. Reload the page and try again."
    elif therapy.dose_mg_on(slot.day) is None:
        problem = "This dose is by body weight: enter a current weight first."
    else:
        site = _suggested_site(therapy)
        now = timezone.localtime(timezone.now(), patient.zone)
        form = DoseForm(
            {
                "status": DoseLog.Status.TAKEN,
                "slot": slot.key,
                "taken_at": now.strftime("%Y-%m-%dT%H:%M"),
                "dose_mg": str(therapy.dose_mg_on(slot.day) or ""),
                "site": site.pk if site else "",
                "helper_injecting": "on" if therapy.someone_else_injects else "",
                "submission_id": request.POST.get("submission_id", ""),
                # On the night the clocks go back, the hour after 1:00 AM comes twice: a
                # one-tap log is now, in whichever of the two passes now is.
                "clock_change": "second" if now.fold else "first",
            },
            therapy=therapy,
            slots=[slot],
            wording=Wording(patient, request.care),
        )
        if form.is_valid():
            try:
                dose = record_dose(
                    therapy,
                    form.entry(),
                    entered_by=request.user,
                    submission_id=form.cleaned_data["submission_id"],
                )
            except SecondDoseNeedsConfirmation as error:
                problem = error.messages[0]
            except ValidationError as error:
                problem = " ".join(error.messages)
        else:
            problem = " ".join(str(e) for errors in form.errors.values() for e in errors)
    # The full form for the same therapy, where a refused or questioned dose can be fixed.
    full_form = patient_reverse(request, "tracking:dose-new")
    if therapy is not None:
        full_form += f"?therapy={therapy.uuid}"
    if not request.htmx:
        if dose is None:
            messages.error(request, problem)
            return HttpResponseRedirect(full_form)
        messages.success(request, dose.logged_message())
        return patient_redirect(request, "tracking:dashboard")
    context = _today_context(request, patient, therapies)
    context["quick_problem"] = problem
    context["full_form"] = full_form
    context["just_logged"] = dose is not None
    return render(request, "tracking/dashboard.html#quick-logged", context)
