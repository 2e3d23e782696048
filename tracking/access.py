"""Who may see what: every patient page goes through here for the patient's therapy."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from portal.http import SignedInRequest
from portal.models import User

from .models import (
    DoseLog,
    LabResult,
    PatientPreferences,
    SideEffectReport,
    Therapy,
)

P = ParamSpec("P")
PatientView = Callable[Concatenate[SignedInRequest, Therapy, P], HttpResponseBase]


def with_therapy(
    view: PatientView[P],
) -> Callable[Concatenate[SignedInRequest, P], HttpResponseBase]:
    """Signed-in patients with a therapy only; times shown in the patient's own zone.

    A patient without a therapy is sent to set one up first.
    """

    @functools.wraps(view)
    @login_required
    def wrapper(request: SignedInRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        # login_required has turned anonymous visitors away before this runs.
        therapy = (
            Therapy.objects.for_patient(request.user)
            .select_related("regimen", "medicine", "patient")
            .first()
        )
        if therapy is None:
            setup = reverse("tracking:therapy")
            if request.htmx:
                return HttpResponseClientRedirect(setup)
            return redirect(setup)
        with timezone.override(therapy.zone):
            return view(request, therapy, *args, **kwargs)

    return wrapper


def get_dose_for_user(request: SignedInRequest, dose_uuid: uuid.UUID) -> DoseLog:
    """The signed-in patient's own dose entry; anyone else's is a 404."""
    return get_object_or_404(
        DoseLog.objects.for_patient(request.user).select_related("site"), uuid=dose_uuid
    )


def get_report_for_user(request: SignedInRequest, report_uuid: uuid.UUID) -> SideEffectReport:
    return get_object_or_404(SideEffectReport.objects.for_patient(request.user), uuid=report_uuid)


def get_result_for_user(request: SignedInRequest, result_uuid: uuid.UUID) -> LabResult:
    return get_object_or_404(
        LabResult.objects.for_patient(request.user).select_related("rule"), uuid=result_uuid
    )


def preferences_for(user: User) -> PatientPreferences:
    preferences, _ = PatientPreferences.objects.get_or_create(patient=user)
    return preferences
