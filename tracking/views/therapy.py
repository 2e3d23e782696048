"""Setting up and correcting a therapy."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.http import SignedInRequest

from ..forms import TherapyForm
from ..models import (
    Therapy,
)


@require_http_methods(["GET", "POST"])
@login_required
def therapy_edit(request: SignedInRequest) -> HttpResponse:
    therapy = Therapy.objects.for_patient(request.user).first()
    instance = therapy or Therapy(patient=request.user)
    if request.method == "POST":
        form = TherapyForm(request.POST, instance=instance)
        if form.is_valid():
            form.save()
            messages.success(request, "Your therapy is saved.")
            return redirect("tracking:dashboard")
    else:
        form = TherapyForm(instance=instance, initial={} if therapy else {"time_zone": ""})
    return render(request, "tracking/therapy.html", {"form": form, "is_new": therapy is None})
