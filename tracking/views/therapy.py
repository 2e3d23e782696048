"""Who the medicines are for, their therapies and schedules, and their weight."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from portal.http import SignedInRequest

from ..access import (
    SESSION_KEY,
    get_therapy_for_request,
    patient_redirect,
    therapies_for,
    with_patient,
)
from ..forms import PatientForm, TherapyForm, WeightForm, Wording
from ..models import CareRelationship, Patient, Therapy
from ..services import record_weight, set_up_patient

WEIGHT_NEEDED = "This regimen is dosed by body weight: enter the weight in kg."
WEIGHT_FIRST = (
    "This regimen is dosed by body weight: enter a weight first, then save the medicine."
)
ALREADY_SELF = (
    "You are already set up as yourself. To add someone you look after, choose "
    "“My child, or someone I look after as parent or guardian”; to add a medicine "
    "of your own, use “Add a medicine” on your medicines page."
)


@require_http_methods(["GET", "POST"])
@login_required
def setup(request: SignedInRequest) -> HttpResponse:
    """First sign-in (or "add a person"): who it is for, and their first medicine."""
    has_self = any(care.is_self for care in request.care_list)
    if request.method == "POST":
        person = PatientForm(request.POST)
        therapy_form = TherapyForm(request.POST, instance=Therapy())
        if person.is_valid() and therapy_form.is_valid():
            regimen = therapy_form.cleaned_data["regimen"]
            if person.role == CareRelationship.Role.SELF and has_self:
                person.add_error("for_whom", ALREADY_SELF)
            elif regimen.is_weight_based and person.cleaned_data["weight_kg"] is None:
                person.add_error("weight_kg", WEIGHT_NEEDED)
            else:
                with transaction.atomic():
                    patient = set_up_patient(
                        request.user,
                        role=person.role,
                        name=person.cleaned_data["name"],
                        date_of_birth=person.cleaned_data["date_of_birth"],
                        time_zone=person.cleaned_data["time_zone"],
                        weight_kg=person.cleaned_data["weight_kg"],
                    )
                    therapy_form.instance.patient = patient
                    therapy_form.save()
                request.session[SESSION_KEY] = str(patient.uuid)
                whose = (
                    "Your" if person.role == CareRelationship.Role.SELF else f"{patient.name}’s"
                )
                messages.success(request, f"{whose} medicine is set up.")
                return redirect(patient)
    else:
        # An account already set up as itself is most likely adding someone it looks after.
        initial = (
            {"for_whom": PatientForm.FOR_OTHER, "name": ""}
            if has_self
            else {"name": request.user.display_name}
        )
        # No zone chosen yet: static/js/portal.js preselects the browser's own.
        person = PatientForm(initial={**initial, "time_zone": ""})
        therapy_form = TherapyForm(instance=Therapy())
    return render(
        request,
        "tracking/setup.html",
        {"person": person, "form": therapy_form, "first": not request.care_list},
    )


@require_GET
@with_patient
def therapy_list(request: SignedInRequest, patient: Patient) -> HttpResponse:
    today = patient.today()
    therapies = therapies_for(patient)
    context = {
        "patient": patient,
        "wording": Wording(patient, request.care),
        "current": [t for t in therapies if t.end_date is None or t.end_date >= today],
        "ended": [t for t in therapies if t.end_date is not None and t.end_date < today],
        "weight": patient.latest_weight(),
        "today": today,
    }
    return render(request, "tracking/therapy_list.html", context)


def _therapy_form_page(
    request: SignedInRequest, patient: Patient, therapy: Therapy, *, is_new: bool
) -> HttpResponse:
    if request.method == "POST":
        form = TherapyForm(request.POST, instance=therapy)
        if form.is_valid():
            regimen = form.cleaned_data["regimen"]
            if regimen.is_weight_based and patient.latest_weight() is None:
                form.add_error("regimen", WEIGHT_FIRST)
            else:
                form.save()
                messages.success(request, "The therapy is saved.")
                return patient_redirect(request, "tracking:therapy-list")
    else:
        form = TherapyForm(instance=therapy)
    context = {
        "patient": patient,
        "form": form,
        "therapy": therapy,
        "is_new": is_new,
        "has_ended": therapy.pk is not None and therapy.has_ended,
        "weight": patient.latest_weight(),
    }
    return render(request, "tracking/therapy.html", context)


@require_http_methods(["GET", "POST"])
@with_patient
def therapy_new(request: SignedInRequest, patient: Patient) -> HttpResponse:
    therapies_for(patient)  # fetches the weights the form's checks read
    return _therapy_form_page(request, patient, Therapy(patient=patient), is_new=True)


@require_http_methods(["GET", "POST"])
@with_patient
def therapy_edit(request: SignedInRequest, patient: Patient, uuid: uuid.UUID) -> HttpResponse:
    therapy = get_therapy_for_request(request, uuid)
    return _therapy_form_page(request, patient, therapy, is_new=False)


@require_http_methods(["GET", "POST"])
@with_patient
def weight_new(request: SignedInRequest, patient: Patient) -> HttpResponse:
    if request.method == "POST":
        form = WeightForm(request.POST)
        if form.is_valid():
            record_weight(patient, form.cleaned_data["weight_kg"], entered_by=request.user)
            messages.success(request, "The weight is saved. Doses by weight use it from today on.")
            return patient_redirect(request, "tracking:dashboard")
    else:
        form = WeightForm()
    context = {"patient": patient, "form": form, "latest": patient.latest_weight()}
    return render(request, "tracking/weight_form.html", context)
