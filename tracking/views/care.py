"""Who acts for a patient: the list, inviting another caregiver, ending access."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal.http import PortalRequest, SignedInRequest
from portal.models import User

from ..access import SESSION_KEY, patient_redirect, with_patient
from ..forms import InviteForm, NewAccountForm
from ..models import CaregiverInvitation, CareRelationship, Patient
from ..services import (
    InvitationUsed,
    LastCaregiver,
    accept_invitation,
    end_care,
    invite_caregiver,
)


def _may_manage(request: SignedInRequest) -> bool:
    return request.care is not None and request.care.may_manage_caregivers


@require_http_methods(["GET", "POST"])
@with_patient
def caregivers(request: SignedInRequest, patient: Patient) -> HttpResponse:
    may_manage = _may_manage(request)
    form = InviteForm()
    if request.method == "POST":
        if not may_manage:
            raise Http404
        form = InviteForm(request.POST)
        if form.is_valid():
            invitation = invite_caregiver(
                patient,
                invited_by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                accept_url=lambda token: request.build_absolute_uri(
                    reverse("tracking:invitation-accept", kwargs={"token": token})
                ),
            )
            messages.success(
                request,
                f"An invitation is on its way to {invitation.email}. "
                f"The link works once, for {CaregiverInvitation.VALID_FOR.days} days.",
            )
            return patient_redirect(request, "tracking:caregivers")
    context = {
        "patient": patient,
        "care_rows": CareRelationship.objects.filter(patient=patient, ended_at=None)
        .select_related("account")
        .order_by("created_at"),
        # Only links that still work: an expired one is not "waiting" any more.
        "pending": CaregiverInvitation.objects.filter(
            patient=patient,
            accepted_at=None,
            cancelled_at=None,
            created_at__gt=timezone.now() - CaregiverInvitation.VALID_FOR,
        ),
        "may_manage": may_manage,
        "form": form,
    }
    return render(request, "tracking/caregivers.html", context)


@require_http_methods(["GET", "POST"])
@with_patient
def care_end(request: SignedInRequest, patient: Patient, pk: int) -> HttpResponse:
    """Confirm, then end one person's access; it ends at once."""
    if not _may_manage(request):
        raise Http404
    care = get_object_or_404(
        CareRelationship.objects.select_related("account"), pk=pk, patient=patient, ended_at=None
    )
    if request.method == "POST":
        try:
            end_care(care)
        except LastCaregiver as error:
            messages.error(request, error.messages[0])
            return patient_redirect(request, "tracking:caregivers")
        messages.success(
            request, f"{care.account.get_full_name()} no longer has access to {patient.name}."
        )
        if care.account_id == request.user.pk:
            # Their own access ended: the patient's pages are closed to them now.
            return redirect("tracking:account")
        return patient_redirect(request, "tracking:caregivers")
    return render(request, "tracking/care_end.html", {"patient": patient, "care": care})


@require_http_methods(["GET", "POST"])
def invitation_accept(request: PortalRequest, token: str) -> HttpResponse:
    """An invited person signs in, or makes an account, and then acts for the patient."""
    invitation = CaregiverInvitation.from_token(token)
    if invitation is None:
        return render(request, "tracking/invitation_invalid.html", status=404)
    account_form = None
    if not request.user.is_authenticated:
        exists = User.objects.filter(email__iexact=invitation.email).exists()
        if request.method == "POST" and not exists:
            account_form = NewAccountForm(request.POST, email=invitation.email)
            if account_form.is_valid():
                try:
                    with transaction.atomic():
                        user = User.objects.create_user(
                            invitation.email,
                            account_form.cleaned_data["password"],
                            display_name=account_form.cleaned_data["display_name"],
                        )
                except IntegrityError:
                    account_form.add_error(None, "An account with this email already exists.")
                else:
                    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                    return _accept(request, invitation, user)
        elif not exists:
            account_form = NewAccountForm(email=invitation.email)
        context = {"invitation": invitation, "account_form": account_form, "exists": exists}
        return render(request, "tracking/invitation.html", context)
    assert isinstance(request.user, User)
    if request.method == "POST":
        return _accept(request, invitation, request.user)
    return render(request, "tracking/invitation.html", {"invitation": invitation})


def _accept(request: PortalRequest, invitation: CaregiverInvitation, user: User) -> HttpResponse:
    try:
        accept_invitation(invitation, user)
    except InvitationUsed:
        return render(request, "tracking/invitation_invalid.html", status=404)
    request.session[SESSION_KEY] = str(invitation.patient.uuid)
    messages.success(request, f"You can now help {invitation.patient.name}.")
    return redirect(invitation.patient)
