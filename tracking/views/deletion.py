"""Asking for the account to be deleted, and taking the request back. The care team
completes it in admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from portal.http import SignedInRequest
from portal.models import AccountDeletionRequest

from ..forms import AccountDeletionForm
from ..models import CareRelationship

SENT = (
    "Your request is with the care team. Until they complete it you can still sign in, "
    "and you can withdraw it from your account page."
)


@require_http_methods(["GET", "POST"])
@login_required
def account_delete(request: SignedInRequest) -> HttpResponse:
    open_request = AccountDeletionRequest.objects.filter(
        account=request.user, completed_at=None
    ).first()
    form = AccountDeletionForm()
    if request.method == "POST":
        form = AccountDeletionForm(request.POST)
        # Already asked (a second click, another tab): the answer is the same.
        if open_request is not None or form.is_valid():
            if open_request is None:
                try:
                    with transaction.atomic():
                        AccountDeletionRequest.objects.create(
                            account=request.user, reason=form.cleaned_data["reason"]
                        )
                except IntegrityError:
                    pass  # both clicks arrived together; the first one's request stands
            messages.success(request, SENT)
            return redirect("tracking:account")
    patients = [care.patient for care in request.care_list]
    others = (
        CareRelationship.objects.filter(patient__in=patients, ended_at=None)
        .exclude(account=request.user)
        .select_related("account")
        .order_by("created_at")
    )
    helpers: dict[int, list[str]] = {}
    for care in others:
        helpers.setdefault(care.patient_id, []).append(care.account.get_full_name())
    context = {
        "form": form,
        "open_request": open_request,
        "people": [(care, helpers.get(care.patient_id, [])) for care in request.care_list],
    }
    return render(request, "tracking/account_delete.html", context)


@require_POST
@login_required
def account_delete_withdraw(request: SignedInRequest) -> HttpResponse:
    withdrawn, _ = AccountDeletionRequest.objects.filter(
        account=request.user, completed_at=None
    ).delete()
    if withdrawn:
        messages.success(request, "Your request is withdrawn. Your account stays open.")
    return redirect("tracking:account")
