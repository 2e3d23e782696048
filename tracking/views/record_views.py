"""Who on the care team opened the patient's record, from the staff access log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.http import SignedInRequest
from portal.models import StaffAccess

from ..access import with_patient
from ..forms import Wording
from ..models import Patient

PAGE_SIZE = 50
Action = StaffAccess.Action

# What was opened, in the patient's words: one of it, and several (a list, a search).
RECORD_WORDS = {
    "": ("the record", "patients"),
    "tracking.patient": ("the record", "patients"),
    "tracking.therapy": ("a therapy", "therapies"),
    "tracking.weight": ("a weight", "weights"),
    "tracking.doselog": ("a dose entry", "dose entries"),
    "tracking.sideeffectreport": ("a side-effect report", "side-effect reports"),
    "tracking.sideeffectreportitem": ("a side-effect report", "side-effect reports"),
    "tracking.labresult": ("a blood test result", "blood test results"),
    "tracking.carerelationship": ("who helps", "who helps"),
    "tracking.caregiverinvitation": ("an invitation to help", "invitations to help"),
    "tracking.reminderdelivery": ("a reminder", "reminders"),
}
SEVERAL = {Action.LIST, Action.SEARCH, Action.EXPORT}


def what_was_done(access: StaffAccess) -> str:
    """ "Opened a dose entry", "Searched blood test results", "Changed the record"."""
    one, several = RECORD_WORDS.get(access.record_type, ("a record", "records"))
    thing = several if access.action in SEVERAL else one
    return f"{access.get_action_display()} {thing}"


@require_GET
@with_patient
def record_views(request: SignedInRequest, patient: Patient) -> HttpResponse:
    page = Paginator(
        StaffAccess.objects.filter(patient=patient).select_related("staff").order_by("-at", "-id"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    context = {
        "patient": patient,
        "wording": Wording(patient, request.care),
        "page": page,
        "entries": [(access, what_was_done(access)) for access in page.object_list],
    }
    return render(request, "tracking/record_views.html", context)
