"""Who may see what: every query for patient data starts from "this account acts for".

The middleware resolves the patient a request shows (from the URL, or the account's
last-viewed or only patient) and activates that patient's time zone, so every page,
fragment and download of that request agrees on the time. Every lookup helper here
goes through request.patient, which is only ever a patient the account acts for.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from portal.http import PortalRequest, SignedInRequest
from portal.models import User

from .models import (
    CareRelationship,
    DoseLog,
    LabResult,
    Patient,
    PatientPreferences,
    SideEffectReport,
    Therapy,
)

P = ParamSpec("P")
PatientView = Callable[Concatenate[SignedInRequest, Patient, P], HttpResponseBase]
SESSION_KEY = "tracking.patient"


def care_of(account: User) -> list[CareRelationship]:
    """The account's current relationships, the account's own record first."""
    rows = (
        CareRelationship.objects.filter(account=account, ended_at=None)
        .select_related("patient")
        .order_by("patient__name", "patient_id")
    )
    return sorted(rows, key=lambda care: not care.is_self)


class PatientMiddleware:
    """Sets request.patient and request.care, and shows times in the patient's zone.

    A patient page's URL may name the patient (/p/<uuid>/doses/); the middleware
    takes that argument from the view's keywords, so views read request.patient.
    A patient the account does not act for is a 404, like any other's object.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(
        self,
        request: PortalRequest,
        view: Callable[..., HttpResponseBase],
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> None:
        wanted = kwargs.pop("patient_uuid", None)
        request.patient = None
        request.care = None
        request.care_list = []
        if not request.user.is_authenticated:
            return
        care_list = care_of(request.user)
        by_uuid = {str(care.patient.uuid): care for care in care_list}
        if wanted is not None:
            care = by_uuid.get(str(wanted))
            if care is None:
                raise Http404
            if request.session.get(SESSION_KEY) != str(wanted):
                request.session[SESSION_KEY] = str(wanted)
        else:
            last = request.session.get(SESSION_KEY)
            care = by_uuid.get(last) if last else None
            care = care or (care_list[0] if care_list else None)
        request.care_list = care_list
        if care is not None:
            request.care = care
            request.patient = care.patient
            timezone.activate(care.patient.zone)


def with_patient(
    view: PatientView[P],
) -> Callable[Concatenate[SignedInRequest, P], HttpResponseBase]:
    """Signed-in accounts that act for a patient; one that acts for none sets one up."""

    @functools.wraps(view)
    @login_required
    def wrapper(request: SignedInRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if request.patient is None:
            if kwargs:
                # The address names an object (a dose, a report, a therapy): with no
                # patient to act for, it can only be someone else's, or nobody's.
                raise Http404
            setup = reverse("tracking:setup")
            if request.htmx:
                return HttpResponseClientRedirect(setup)
            return redirect(setup)
        return view(request, request.patient, *args, **kwargs)

    return wrapper


def get_dose_for_request(request: SignedInRequest, dose_uuid: uuid.UUID) -> DoseLog:
    """An entry of the patient shown; anyone else's is a 404."""
    return get_object_or_404(
        DoseLog.objects.for_patient(_patient(request)).select_related(
            "site", "therapy__medicine", "therapy__regimen", "entered_by"
        ),
        uuid=dose_uuid,
    )


def get_report_for_request(request: SignedInRequest, report_uuid: uuid.UUID) -> SideEffectReport:
    return get_object_or_404(
        SideEffectReport.objects.for_patient(_patient(request)).select_related("entered_by"),
        uuid=report_uuid,
    )


def get_result_for_request(request: SignedInRequest, result_uuid: uuid.UUID) -> LabResult:
    return get_object_or_404(
        LabResult.objects.for_patient(_patient(request)).select_related("rule", "entered_by"),
        uuid=result_uuid,
    )


def _patient(request: SignedInRequest) -> Patient:
    if request.patient is None:
        raise Http404
    return request.patient


def preferences_for(account: User) -> PatientPreferences:
    preferences, _ = PatientPreferences.objects.get_or_create(account=account)
    return preferences


def therapies_for(patient: Patient) -> list[Therapy]:
    """The patient's therapies, current and ended, with what their pages read.

    Each therapy shares the patient object, whose weights are fetched once.
    """
    therapies = list(
        Therapy.objects.for_patient(patient)
        .select_related("medicine", "regimen")
        .prefetch_related("medicine__injection_sites", "medicine__lab_rules")
    )
    prefetch_related_objects([patient], "weights")
    for therapy in therapies:
        therapy.patient = patient
    return therapies


def get_therapy_for_request(request: SignedInRequest, therapy_uuid: uuid.UUID) -> Therapy:
    patient = _patient(request)
    for therapy in therapies_for(patient):
        if therapy.uuid == therapy_uuid:
            return therapy
    raise Http404


def patient_reverse(request: HttpRequest, name: str, **kwargs: object) -> str:
    """A patient page's address naming the patient shown, so tabs stay independent."""
    patient = getattr(request, "patient", None)
    if patient is not None:
        kwargs["patient_uuid"] = patient.uuid
    return reverse(name, kwargs=kwargs)


def patient_redirect(request: HttpRequest, name: str, **kwargs: object) -> HttpResponseRedirect:
    return HttpResponseRedirect(patient_reverse(request, name, **kwargs))
