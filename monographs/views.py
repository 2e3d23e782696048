from __future__ import annotations

from itertools import groupby

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from portal.http import PortalRequest

from .models import Medicine, MedicineQuerySet, Section, SideEffect


def _monograph_queryset() -> MedicineQuerySet:
    return Medicine.objects.prefetch_related(
        "references",
        # Each section cites a reference: join it here, not one query per section.
        Prefetch("sections", queryset=Section.objects.select_related("reference")),
        "regimens",
        Prefetch("side_effects", queryset=SideEffect.objects.order_by("urgency", "order", "id")),
        "warnings",
        "interactions",
        "contraindications",
        "lab_rules",
        "injection_sites",
    )


def _render_monograph(
    request: PortalRequest, medicine: Medicine, *, preview: bool
) -> HttpResponse:
    side_effect_groups = [
        (SideEffect.Urgency(urgency), list(items))
        for urgency, items in groupby(medicine.side_effects.all(), key=lambda se: se.urgency)
    ]
    references = list(medicine.references.all())
    context = {
        "medicine": medicine,
        "sections": medicine.sections.all(),
        "side_effect_groups": side_effect_groups,
        "references": references,
        "label_reference": references[0] if references else None,
        "preview": preview,
        "Urgency": SideEffect.Urgency,
    }
    return render(request, "monographs/medicine_detail.html", context)


@require_GET
def medicine_list(request: PortalRequest) -> HttpResponse:
    medicines = Medicine.objects.published()
    return render(request, "monographs/medicine_list.html", {"medicines": medicines})


@require_GET
def medicine_detail(request: PortalRequest, slug: str) -> HttpResponse:
    medicine = get_object_or_404(_monograph_queryset().published(), slug=slug)
    return _render_monograph(request, medicine, preview=False)


@require_GET
@staff_member_required
def medicine_preview(request: PortalRequest, slug: str) -> HttpResponse:
    medicine = get_object_or_404(_monograph_queryset(), slug=slug)
    return _render_monograph(request, medicine, preview=True)
