"""Side-effect reports: the prompt after each dose, reports at any time, and the list."""

from __future__ import annotations

import datetime
import uuid
from itertools import groupby
from typing import Any, TypedDict

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from monographs.models import Medicine, SideEffect
from portal.http import SignedInRequest
from portal.models import User

from .access import get_dose_for_user, with_therapy
from .models import DoseLog, SideEffectReport, SideEffectReportItem, Therapy

Severity = SideEffectReportItem.Severity
Urgency = SideEffect.Urgency
# What the patient ticked: each side effect with its severity ("" if not given) and start.
Chosen = list[tuple[SideEffect, str, datetime.date | None]]


class Answer(TypedDict):
    """One answer to the checklist, as report_side_effects and _same_answer take it."""

    chosen: Chosen
    other: str
    none_reported: bool


class SideEffectReportForm(forms.Form):
    other = forms.CharField(
        label="Something else",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything not in the list, in your own words.",
    )
    dose = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        side_effects: list[SideEffect],
        today: datetime.date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.side_effects = side_effects
        # The patient's own date: "tomorrow" in UTC can already be today in Tokyo.
        self.today = today
        for effect in side_effects:
            self.fields[f"effect_{effect.pk}"] = forms.BooleanField(
                label=effect.name, required=False
            )
            self.fields[f"severity_{effect.pk}"] = forms.ChoiceField(
                label="How bad is it?",
                choices=[("", "Choose…"), *Severity.choices],
                required=False,
            )
            self.fields[f"started_{effect.pk}"] = forms.DateField(
                label="When did it start?",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )

    def groups(self) -> list[tuple[Urgency, list[dict[str, Any]]]]:
        """The side effects grouped by urgency tier, emergency first, with their fields."""
        rows: list[dict[str, Any]] = [
            {
                "effect": effect,
                "checkbox": self[f"effect_{effect.pk}"],
                "severity": self[f"severity_{effect.pk}"],
                "started": self[f"started_{effect.pk}"],
            }
            for effect in self.side_effects
        ]
        return [
            (Urgency(urgency), list(items))
            for urgency, items in groupby(rows, key=lambda row: row["effect"].urgency)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        today = self.today or timezone.localdate()
        for effect in self.side_effects:
            started = cleaned.get(f"started_{effect.pk}")
            if started is not None and started > today:
                self.add_error(f"started_{effect.pk}", "That date is in the future.")
        if not self.chosen() and not cleaned.get("other", "").strip():
            raise ValidationError(
                "Tick what you have had, or describe it under “Something else”. "
                "If you have had none of these, choose “None of these”."
            )
        return cleaned

    def chosen(self) -> Chosen:
        data = getattr(self, "cleaned_data", {})
        return [
            (effect, data.get(f"severity_{effect.pk}", ""), data.get(f"started_{effect.pk}"))
            for effect in self.side_effects
            if data.get(f"effect_{effect.pk}")
        ]


def prompt_side_effects(medicine: Medicine) -> list[SideEffect]:
    return list(
        SideEffect.objects.filter(medicine=medicine, ask_after_dose=True).order_by(
            "urgency", "order", "id"
        )
    )


def report_side_effects(
    patient: User,
    *,
    dose: DoseLog | None,
    chosen: Chosen,
    other: str,
    none_reported: bool,
) -> SideEffectReport:
    """Save a report and its items together; urgent ones go to the care team's queue."""
    urgency = min((effect.urgency for effect, _, _ in chosen), default=None)
    severe = any(severity == Severity.SEVERE for _, severity, _ in chosen)
    needs_review = bool(
        (urgency is not None and urgency <= Urgency.CALL_DOCTOR) or other.strip() or severe
    )
    with transaction.atomic():
        report = SideEffectReport.objects.create(
            patient=patient,
            dose=dose,
            none_reported=none_reported,
            other=other.strip(),
            urgency=urgency,
            needs_review=needs_review,
        )
        SideEffectReportItem.objects.bulk_create(
            SideEffectReportItem(
                report=report, side_effect=effect, severity=severity, started_on=started
            )
            for effect, severity, started in chosen
        )
    return report


def _get_report_for_user(request: SignedInRequest, report_uuid: uuid.UUID) -> SideEffectReport:
    return get_object_or_404(SideEffectReport.objects.for_patient(request.user), uuid=report_uuid)


def _same_answer(
    report: SideEffectReport,
    *,
    chosen: Chosen,
    other: str,
    none_reported: bool,
) -> bool:
    items = {(item.side_effect_id, item.severity, item.started_on) for item in report.items.all()}
    return (
        report.none_reported == none_reported
        and report.other == other.strip()
        and items == {(effect.pk, severity, started) for effect, severity, started in chosen}
    )


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
                if _same_answer(existing, **answer):
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
    report = _get_report_for_user(request, uuid)
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
