"""Blood tests: due dates, results, and the private calendar feed."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from icalendar import Calendar, Event

from portal.http import PortalRequest, SignedInRequest

from ..access import get_result_for_user, with_therapy
from ..charts import trend_chart
from ..forms import ALREADY_RECORDED, LabResultForm
from ..models import LabResult, PatientPreferences, Therapy, describe_days
from ..services import record_lab_result

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


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
        form = LabResultForm(
            dues=dues, initial={"due": initial_due, "unit": LabResult.Unit.CELLS_PER_UL}
        )
    return render(request, "tracking/labs.html", _labs_context(therapy, results, form))


@require_GET
@login_required
def lab_result(request: SignedInRequest, uuid: uuid.UUID) -> HttpResponse:
    result = get_result_for_user(request, uuid)
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
