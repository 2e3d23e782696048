"""Side-effect reports: the prompt after each dose, reports at any time, and the list."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from monographs.models import SideEffect
from portal.http import SignedInRequest

from ..access import (
    get_dose_for_request,
    get_report_for_request,
    patient_redirect,
    therapies_for,
    with_patient,
)
from ..forms import SideEffectReportForm, Wording
from ..models import (
    DoseLog,
    Patient,
    SideEffectReport,
    SideEffectReportItem,
    Therapy,
    prompt_side_effects,
)
from ..services import Answer, is_same_answer, report_side_effects

Severity = SideEffectReportItem.Severity

Urgency = SideEffect.Urgency


def _prompt_therapy(
    request: SignedInRequest,
    therapies: list[Therapy],
    current: list[Therapy],
    dose: DoseLog | None,
) -> Therapy | None:
    """The medicine whose checklist is asked: the dose's, the one chosen, or the first current.

    A chosen therapy that is not the patient's is a 404, like any other patient's object.
    """
    if dose is not None:
        return next((t for t in therapies if t.pk == dose.therapy_id), None)
    raw = request.POST.get("therapy") or request.GET.get("therapy")
    if raw:
        chosen = next((t for t in therapies if str(t.uuid) == raw), None)
        if chosen is None:
            raise Http404
        return chosen
    listed = current or therapies
    return listed[0] if listed else None


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@with_patient
def side_effect_new(request: SignedInRequest, patient: Patient) -> HttpResponse:
    raw_dose = request.POST.get("dose") if request.method == "POST" else request.GET.get("dose")
    dose_uuid = _uuid_or_none(raw_dose)
    dose = get_dose_for_request(request, dose_uuid) if dose_uuid else None
    therapies = therapies_for(patient)
    today = patient.today()
    current = [t for t in therapies if t.is_active_on(today)]
    therapy = _prompt_therapy(request, therapies, current, dose)
    if therapy is None:
        return patient_redirect(request, "tracking:therapy-new")
    medicine = therapy.medicine
    effects = prompt_side_effects(medicine)
    if request.method == "POST":
        form = SideEffectReportForm(request.POST, side_effects=effects, today=today)
        none_reported = "none" in request.POST
        if none_reported or form.is_valid():
            if none_reported:
                chosen, other = [], ""
            else:
                chosen, other = form.chosen(), form.cleaned_data.get("other", "")
            answer: Answer = {"chosen": chosen, "other": other, "none_reported": none_reported}
            try:
                report = report_side_effects(patient, entered_by=request.user, dose=dose, **answer)
            except IntegrityError:
                existing = SideEffectReport.objects.for_patient(patient).get(dose=dose)
                if is_same_answer(existing, **answer):
                    report = existing  # a double tap: show the answer already saved
                else:
                    # A different answer about the same dose (an emergency after "none")
                    # must never be lost: keep it as a report of its own.
                    report = report_side_effects(
                        patient, entered_by=request.user, dose=None, **answer
                    )
            if request.htmx:
                # Urgent advice goes to the top of the page (an out-of-band swap), and
                # the checklist becomes a short note that the report was saved.
                answered = {
                    "report": report,
                    # As the report's own page says it: the medicine of the dose, if any.
                    "medicine": medicine if report.dose_id else None,
                    "wording": Wording(patient, request.care),
                }
                return render(request, "tracking/side_effect_detail.html#answered", answered)
            return redirect(report)
    else:
        form = SideEffectReportForm(side_effects=effects, initial={"dose": raw_dose})
    template = "tracking/side_effect_form.html"
    if request.htmx:
        template += "#prompt"
    context = {
        "form": form,
        "medicine": medicine,
        "therapy": therapy,
        # With several current medicines and no dose named, the page offers the others.
        "choices": current if dose is None and len(current) > 1 else [],
        "patient": patient,
        "wording": Wording(patient, request.care),
    }
    return render(request, template, context)


def _uuid_or_none(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        return None


@require_GET
@with_patient
def side_effect_detail(
    request: SignedInRequest, patient: Patient, uuid: uuid.UUID
) -> HttpResponse:
    report = get_report_for_request(request, uuid)
    dose = report.dose
    context = {
        "report": report,
        "items": report.items.select_related("side_effect"),
        "medicine": dose.therapy.medicine if dose else None,
        "wording": Wording(patient, request.care),
    }
    return render(request, "tracking/side_effect_detail.html", context)


@require_GET
@with_patient
def side_effect_list(request: SignedInRequest, patient: Patient) -> HttpResponse:
    reports = (
        SideEffectReport.objects.for_patient(patient)
        .select_related("entered_by")
        .prefetch_related("items__side_effect")
    )
    page = Paginator(reports, 20).get_page(request.GET.get("page"))
    context = {"page": page, "patient": patient, "wording": Wording(patient, request.care)}
    return render(request, "tracking/side_effect_list.html", context)
