"""Blood tests: due dates, results with review flags, the trend chart and the calendar feed."""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from icalendar import Calendar, Event

from monographs.models import LabRule
from portal.http import PortalRequest, SignedInRequest
from portal.models import User

from .access import with_therapy
from .models import LabDue, LabResult, PatientPreferences, Therapy

Unit = LabResult.Unit
# A neutrophil count above this (cells/µL) is not a plausible result.
MAX_CELLS_PER_UL = Decimal("100000")
EXTRA_TEST = "extra"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def to_cells_per_ul(value: Decimal, unit: str) -> Decimal:
    """×10⁹/L to cells/µL: 1.5 ×10⁹/L is 1,500 cells/µL."""
    return value * 1000 if unit == Unit.GIGA_PER_L else value


ALREADY_RECORDED = "A result for this test is already recorded."


class DueChoiceField(forms.ChoiceField):
    """The scheduled test a result answers; one already done gets a message of its own."""

    default_error_messages = {"invalid_choice": "Choose one of the tests in the list."}
    done: frozenset[str] = frozenset()

    def validate(self, value: str) -> None:
        if value in self.done:
            raise ValidationError(ALREADY_RECORDED, code="already_recorded")
        super().validate(value)


class LabResultForm(forms.Form):
    due = DueChoiceField(label="Which test is this?")
    taken_on = forms.DateField(
        label="Date of the blood test", widget=forms.DateInput(attrs={"type": "date"})
    )
    value = forms.DecimalField(
        label="Result",
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text="The number on your lab report, e.g. 2500 cells/µL or 2.5 ×10⁹/L.",
    )
    unit = forms.ChoiceField(label="Unit", choices=Unit.choices, widget=forms.RadioSelect)

    def __init__(
        self, *args: Any, dues: list[LabDue], today: datetime.date | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The patient's own date: "tomorrow" in UTC can already be today in Tokyo.
        self.today = today
        self.dues = {f"{d.rule.pk}:{d.month}": d for d in dues if d.result is None}
        due = self.fields["due"]
        assert isinstance(due, DueChoiceField)  # declared above; each form has a copy
        due.done = frozenset(f"{d.rule.pk}:{d.month}" for d in dues if d.result is not None)
        rules = {d.rule.pk: d.rule for d in dues}
        self.rules = rules
        due.choices = [
            *((key, f"{d.label} (due {d.due_date:%-d %b %Y})") for key, d in self.dues.items()),
            *(
                (f"{pk}:{EXTRA_TEST}", f"An extra {rule.short_name} test")
                for pk, rule in rules.items()
            ),
        ]

    def clean_taken_on(self) -> datetime.date:
        taken_on: datetime.date = self.cleaned_data["taken_on"]
        if taken_on > (self.today or timezone.localdate()):
            raise ValidationError(
                "The test date is in the future. Enter the day the blood was taken."
            )
        return taken_on

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        value, unit = cleaned.get("value"), cleaned.get("unit")
        if value is None or unit is None:
            return cleaned
        if value < 0:
            self.add_error(
                "value", "A count cannot be below zero. Check the number on your report."
            )
        elif unit == Unit.CELLS_PER_UL and value != value.to_integral_value():
            self.add_error(
                "unit",
                "Counts in cells/µL are whole numbers. If your report shows a number like 2.5, "
                "choose ×10⁹/L.",
            )
        elif unit == Unit.GIGA_PER_L and value > 100:
            self.add_error(
                "unit",
                "That is too large for ×10⁹/L. If your report shows a number like 2500, "
                "choose cells/µL.",
            )
        elif to_cells_per_ul(value, unit) > MAX_CELLS_PER_UL:
            self.add_error(
                "value", "That number is far too large for a neutrophil count. Check your report."
            )
        return cleaned

    def rule_and_month(self) -> tuple[LabRule, int | None]:
        rule_pk, _, month = self.cleaned_data["due"].partition(":")
        rule = self.rules[int(rule_pk)]
        return rule, None if month == EXTRA_TEST else int(month)


def record_lab_result(patient: User, form: LabResultForm) -> LabResult:
    rule, month = form.rule_and_month()
    value = to_cells_per_ul(form.cleaned_data["value"], form.cleaned_data["unit"])
    return LabResult.objects.create(
        patient=patient,
        rule=rule,
        due_month=month,
        taken_on=form.cleaned_data["taken_on"],
        value=value,
        entered_value=form.cleaned_data["value"],
        entered_unit=form.cleaned_data["unit"],
        needs_review=rule.needs_review(value),
    )


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    result: LabResult


@dataclass(frozen=True)
class Chart:
    """A server-drawn trend line: coordinates in a 0 0 WIDTH HEIGHT viewBox."""

    points: list[ChartPoint]
    threshold_y: float | None
    threshold: Decimal | None
    y_max: Decimal
    polyline: str

    WIDTH = 600
    HEIGHT = 240
    PAD = 40


def trend_chart(results: list[LabResult], threshold: Decimal | None) -> Chart | None:
    if not results:
        return None
    ordered = sorted(results, key=lambda r: (r.taken_on, r.pk))
    top = max([r.value for r in ordered] + ([threshold] if threshold else []))
    y_max = max(Decimal(1000), (top * Decimal("1.2")).quantize(Decimal(1)))
    first, last = ordered[0].taken_on, ordered[-1].taken_on
    span = max((last - first).days, 1)
    inner_w = Chart.WIDTH - 2 * Chart.PAD
    inner_h = Chart.HEIGHT - 2 * Chart.PAD

    def y_of(value: Decimal) -> float:
        return round(Chart.PAD + inner_h * (1 - float(value / y_max)), 1)

    points = [
        ChartPoint(
            x=round(Chart.PAD + inner_w * ((r.taken_on - first).days / span), 1)
            if len(ordered) > 1
            else Chart.WIDTH / 2,
            y=y_of(r.value),
            result=r,
        )
        for r in ordered
    ]
    return Chart(
        points=points,
        threshold_y=y_of(threshold) if threshold is not None else None,
        threshold=threshold,
        y_max=y_max,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
    )


def describe_days(due: datetime.date, today: datetime.date) -> str:
    days = (due - today).days
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    if days > 1:
        return f"due in {days} days"
    if days == -1:
        return "1 day overdue"
    return f"{-days} days overdue"


def _get_result_for_user(request: SignedInRequest, result_uuid: uuid.UUID) -> LabResult:
    return get_object_or_404(
        LabResult.objects.for_patient(request.user).select_related("rule"), uuid=result_uuid
    )


def _labs_context(
    therapy: Therapy, results: list[LabResult], form: LabResultForm
) -> dict[str, Any]:
    today = therapy.today()
    dues = therapy.lab_due_dates(results)
    groups: dict[str, list[dict[str, Any]]] = {
        "overdue": [],
        "soon": [],
        "upcoming": [],
        "done": [],
    }
    for due in dues:
        groups[due.state(today)].append({"due": due, "words": describe_days(due.due_date, today)})
    rules = list(therapy.medicine.lab_rules.all())
    rule = rules[0] if rules else None
    threshold = rule.review_below if rule else None
    return {
        "therapy": therapy,
        "groups": groups,
        "results": results,
        "chart": trend_chart([r for r in results if rule and r.rule_id == rule.pk], threshold),
        "rule": rule,
        "form": form,
    }


@require_http_methods(["GET", "POST"])
@with_therapy
def labs(request: SignedInRequest, therapy: Therapy) -> HttpResponse:
    results = list(LabResult.objects.for_patient(request.user).select_related("rule"))
    dues = therapy.lab_due_dates(results)
    if request.method == "POST":
        form = LabResultForm(request.POST, dues=dues, today=therapy.today())
        if form.is_valid():
            try:
                with transaction.atomic():
                    result = record_lab_result(request.user, form)
            except IntegrityError:
                form.add_error("due", ALREADY_RECORDED)
            else:
                return redirect(result)
    else:
        first_open = next((d for d in dues if d.result is None), None)
        initial_due = f"{first_open.rule.pk}:{first_open.month}" if first_open else None
        form = LabResultForm(dues=dues, initial={"due": initial_due, "unit": Unit.CELLS_PER_UL})
    return render(request, "tracking/labs.html", _labs_context(therapy, results, form))


@require_GET
@login_required
def lab_result(request: SignedInRequest, uuid: uuid.UUID) -> HttpResponse:
    result = _get_result_for_user(request, uuid)
    return render(request, "tracking/lab_result.html", {"result": result})


@require_GET
def lab_calendar(request: PortalRequest, token: str) -> HttpResponse:
    """A private feed: the token is the only key, so a wrong one is a plain 404."""
    # Only URL-safe tokens are ever issued; anything else (a NUL byte makes PostgreSQL
    # raise) is a 404 without asking the database.
    if not TOKEN_PATTERN.fullmatch(token):
        raise Http404
    preferences = (
        PatientPreferences.objects.filter(calendar_token=token).select_related("patient").first()
    )
    if preferences is None:
        raise Http404
    therapy = Therapy.objects.for_patient(preferences.patient).select_related("medicine").first()
    calendar = Calendar()
    # Neutral names: a shared or synced calendar should not reveal the medicine.
    calendar.add("prodid", "-//Patient portal//blood tests//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Blood tests")
    if therapy is not None:
        results = list(LabResult.objects.for_patient(preferences.patient))
        for due in therapy.lab_due_dates(results):
            if due.result is not None:
                continue
            event = Event()
            # No health detail in the title: calendars are often shared or synced.
            event.add("summary", "Blood test due")
            event.add("dtstart", due.due_date)
            event.add("dtend", due.due_date + datetime.timedelta(days=1))
            event.add("dtstamp", timezone.now())
            event.add("uid", f"{preferences.pk}-{due.rule.pk}-{due.month}@patient-portal")
            calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="blood-tests.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
