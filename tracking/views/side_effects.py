"""Side-effect reports: the prompt after each dose, reports at any time, and the list."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from monographs.models import SideEffect
from portal.http import SignedInRequest

from ..access import get_dose_for_user, get_report_for_user, with_therapy
from ..forms import SideEffectReportForm
from ..models import SideEffectReport, SideEffectReportItem, Therapy, prompt_side_effects
from ..services import Answer, is_same_answer, report_side_effects

Severity = SideEffectReportItem.Severity

Urgency = SideEffect.Urgency


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@with_therapy
def side_effect_new(request: SignedInRequest, therapy: Therapy) -> HttpResponse:
    medicine = therapy.medicine
    effects = prompt_side_effects(medicine)
    if request.method == "POST":
        form = SideEffectReportForm(request.POST, side_effects=effects, today=therapy.today())
        none_reported = "none" in request.POST
        if none_reported or form.is_valid():
            if none_reported:
                dose_uuid = _uuid_or_none(request.POST.get("dose"))
                chosen, other = [], ""
            else:
                dose_uuid = form.cleaned_data.get("dose")
                chosen, other = form.chosen(), form.cleaned_data.get("other", "")
            dose = get_dose_for_user(request, dose_uuid) if dose_uuid else None
            answer: Answer = {"chosen": chosen, "other": other, "none_reported": none_reported}
            try:
                report = report_side_effects(request.user, dose=dose, **answer)
            except IntegrityError:
                existing = SideEffectReport.objects.for_patient(request.user).get(dose=dose)
                if is_same_answer(existing, **answer):
                    report = existing  # a double tap: show the answer already saved
                else:
                    # A different answer about the same dose (an emergency after "none")
                    # must never be lost: keep it as a report of its own.
                    report = report_side_effects(request.user, dose=None, **answer)
            if request.htmx:
                # Urgent advice goes to the top of the page (an out-of-band swap), and
                # the checklist becomes a short note that the report was saved.
                return render(
                    request, "tracking/side_effect_detail.html#answered", {"report": report}
                )
            return redirect(report)
    else:
        form = SideEffectReportForm(
            side_effects=effects, initial={"dose": request.GET.get("dose")}
        )
    template = "tracking/side_effect_form.html"
    if request.htmx:
        template += "#prompt"
    return render(request, template, {"form": form, "medicine": medicine})


def _uuid_or_none(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        return None


@require_GET
@login_required
def side_effect_detail(request: SignedInRequest, uuid: uuid.UUID) -> HttpResponse:
    report = get_report_for_user(request, uuid)
    items = report.items.select_related("side_effect")
    return render(request, "tracking/side_effect_detail.html", {"report": report, "items": items})


@require_GET
@login_required
def side_effect_list(request: SignedInRequest) -> HttpResponse:
    reports = (
        SideEffectReport.objects.for_patient(request.user)
        .select_related("dose")
        .prefetch_related("items__side_effect")
    )
    page = Paginator(reports, 20).get_page(request.GET.get("page"))
    return render(request, "tracking/side_effect_list.html", {"page": page})
