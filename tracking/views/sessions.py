"""Sessions: how long until this one signs out, staying signed in, signing out everywhere."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.http import PortalRequest, SignedInRequest
from portal.idle import keep_signed_in, reads_idle_time, seconds_left
from portal.models import User


@reads_idle_time
@require_http_methods(["GET", "POST"])
def session_status(request: PortalRequest) -> JsonResponse:
    """GET: the seconds until this session signs out, without counting as activity.
    POST (static/js/idle.js's "Stay signed in"): start the idle time again."""
    user = request.user
    if not isinstance(user, User):
        return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
    if request.method == "POST":
        left = keep_signed_in(request, user)
    else:
        left = seconds_left(request, user)
    return JsonResponse({"signed_in": True, "seconds_left": left})


@require_http_methods(["GET", "POST"])
@login_required
def sign_out_everywhere(request: SignedInRequest) -> HttpResponse:
    """Confirm, then end every session of the account, this one too."""
    if request.method == "POST":
        # The generation is part of every session's auth hash: each session of the
        # account stops matching, and is signed out at its next request.
        User.objects.filter(pk=request.user.pk).update(
            session_generation=F("session_generation") + 1
        )
        logout(request)
        messages.success(
            request,
            "You are signed out on every device and browser, this one too. "
            "Sign in again to carry on.",
        )
        return redirect("login")
    return render(request, "tracking/sign_out_everywhere.html")
