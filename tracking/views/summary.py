"""The printable summary for the doctor."""

from __future__ import annotations

import datetime
from collections import Counter

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.http import SignedInRequest

from ..access import with_therapy
from ..charts import trend_chart
from ..models import (
    DayStatus,
    DoseLog,
    LabResult,
    SideEffectReport,
    Therapy,
    adherence_percent,
    day_statuses,
)

SUMMARY_DAYS = 90


@require_GET
@with_therapy
def summary(request: SignedInRequest, therapy: Therapy) -> HttpResponse:
    today = therapy.today()
    first = today - datetime.timedelta(days=SUMMARY_DAYS - 1)
    doses = DoseLog.objects.for_patient(request.user).between(first, today)
    statuses = day_statuses(therapy, first, today, doses.status_by_day())
    counts = Counter(status for _, status in statuses)
    sites = Counter(dose.site.name for dose in doses.taken().select_related("site") if dose.site)
    reports = (
        SideEffectReport.objects.for_patient(request.user)
        .filter(created_at__date__gte=first)
        .prefetch_related("items__side_effect")
    )
    results = list(
        LabResult.objects.for_patient(request.user)
        .filter(taken_on__gte=first)
        .select_related("rule")
        .order_by("taken_on")
    )
    rule = therapy.medicine.lab_rules.first()
    context = {
        "therapy": therapy,
        "first": first,
        "today": today,
        "days": SUMMARY_DAYS,
        "taken": counts[DayStatus.TAKEN],
        "skipped": counts[DayStatus.SKIPPED],
        "missed": counts[DayStatus.MISSED],
        "adherence": adherence_percent(statuses),
        "sites": sites.most_common(),
        "reports": reports,
        "results": results,
        "rule": rule,
        "chart": trend_chart(results, rule.review_below if rule else None),
    }
    return render(request, "tracking/summary.html", context)
