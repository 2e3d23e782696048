"""The printable summary for the doctor."""

from __future__ import annotations

import datetime
from collections import Counter

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.http import SignedInRequest

from ..access import therapies_for, with_patient
from ..charts import trend_chart
from ..forms import Wording
from ..models import (
    Adherence,
    DoseLog,
    LabResult,
    Patient,
    SideEffectReport,
    SlotStatus,
    days_over_limit,
    slots_between,
)

SUMMARY_DAYS = 90


@require_GET
@with_patient
def summary(request: SignedInRequest, patient: Patient) -> HttpResponse:
    today = patient.today()
    first = today - datetime.timedelta(days=SUMMARY_DAYS - 1)
    therapies = [
        t
        for t in therapies_for(patient)
        if t.start_date <= today and (t.end_date is None or t.end_date >= first)
    ]
    doses = list(DoseLog.objects.for_patient(patient).between(first, today).select_related("site"))
    slots = slots_between(therapies, first, today, doses)
    counts = Counter(slot.status for slot in slots)
    sites = Counter(dose.site.name for dose in doses if dose.is_taken and dose.site)
    reports = (
        SideEffectReport.objects.for_patient(patient)
        .filter(created_at__date__gte=first)
        .prefetch_related("items__side_effect")
    )
    results = list(
        LabResult.objects.for_patient(patient)
        .filter(taken_on__gte=first)
        .select_related("rule")
        .order_by("taken_on")
    )
    for result in results:
        result.patient = patient  # their links name the patient, without a query each
    rules = [rule for therapy in therapies for rule in therapy.medicine.lab_rules.all()]
    rule = rules[0] if rules else None
    context = {
        "patient": patient,
        "wording": Wording(patient, request.care),
        "therapies": therapies,
        "weight": patient.latest_weight(),
        "first": first,
        "today": today,
        "days": SUMMARY_DAYS,
        "taken": counts[SlotStatus.TAKEN],
        "skipped": counts[SlotStatus.SKIPPED],
        "missed": counts[SlotStatus.MISSED],
        "not_given": [s for s in slots if s.status in (SlotStatus.MISSED, SlotStatus.SKIPPED)],
        "over_limit": days_over_limit(therapies, doses),
        "adherence": Adherence.of(slots),
        "sites": sites.most_common(),
        "reports": reports,
        "results": results,
        "rule": rule,
        "chart": trend_chart(results, rule.review_below if rule else None),
    }
    return render(request, "tracking/summary.html", context)
