"""Two-step sign-in (django-otp): an authenticator app plus one-time backup codes.

An account must give a second factor in each session when it is staff, or when it has
set one up (optional for patients and caregivers, from the account page). Until it
has, TwoFactorMiddleware sends every page but a few to set-up or to the code page.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import (
    AuthenticatorCodeForm,
    EmailAuthenticationForm,
    NewBackupCodesForm,
    SecondFactorForm,
)
from .http import SignedInRequest
from .models import User

# Whether this session's account has a second factor set up, so a patient's pages need
# no device query: set at sign-in, kept up to date by the pages here. Staff need none.
IN_USE_SESSION_KEY = "two_factor_in_use"
# Backup codes just made, shown once by the backup-codes page and then forgotten.
NEW_CODES_SESSION_KEY = "two_factor_new_codes"
BACKUP_CODE_COUNT = 10

# What an account still owing its second factor may open: the way through, sign-out,
# health checks and the public medicine guides.
_OPEN_VIEWS = frozenset(
    {
        "two_factor_verify",
        "two_factor_setup",
        "logout",
        "healthz",
        "readyz",
        "monographs:medicine-list",
        "monographs:medicine-detail",
    }
)


def is_staff(user: User) -> bool:
    return user.is_staff or user.is_superuser


def is_verified(request: HttpRequest) -> bool:
    """Whether this session has given a second factor (django-otp's middleware knows)."""
    check = getattr(request.user, "is_verified", None)
    return check is not None and bool(check())


def remember_whether_in_use(
    sender: object, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    """At every sign-in (a user_logged_in receiver): whether the account has a second factor."""
    if request is not None and hasattr(request, "session"):
        request.session[IN_USE_SESSION_KEY] = user_has_device(user)


def second_factor_page(request: HttpRequest) -> str | None:
    """Where this request must go first (set-up or the code page, with `next`), or None."""
    user = request.user
    if not isinstance(user, User) or is_verified(request) or _is_open(request):
        return None
    if not is_staff(user) and request.session.get(IN_USE_SESSION_KEY) is False:
        return None
    devices = list(devices_for_user(user))
    if not is_staff(user) and not devices:
        request.session[IN_USE_SESSION_KEY] = False
        return None
    has_app = any(isinstance(device, TOTPDevice) for device in devices)
    page = reverse("two_factor_verify" if has_app else "two_factor_setup")
    return _with_next(page, _return_path(request))


def _is_open(request: HttpRequest) -> bool:
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in _OPEN_VIEWS


def _return_path(request: HttpRequest) -> str | None:
    """The page to come back to: this one (a form posted here shows again), or for htmx
    the page it was called from."""
    htmx = getattr(request, "htmx", None)
    if htmx:
        current: str | None = htmx.current_url_abs_path
        return current
    return request.get_full_path()


def _with_next(url: str, next_url: str | None) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _safe_next(request: SignedInRequest) -> str:
    """The `next` asked for, if it is on this site; otherwise the account's start page."""
    asked = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        asked, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return asked
    if is_staff(request.user):
        return reverse("admin:index")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class SignInView(LoginView):
    """The one sign-in page (the admin's sends here too). Staff go on to the admin,
    through their second factor; everyone else to their Today page."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        if isinstance(user, User) and is_staff(user):
            return reverse("admin:index")
        return super().get_default_redirect_url()


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        page = second_factor_page(request)
        if page is None:
            return self.get_response(request)
        if getattr(request, "htmx", False):
            # Following a 302, htmx would swap the whole code page into a fragment.
            return HttpResponseClientRedirect(page)
        return redirect(page)


# --- the pages ---------------------------------------------------------------------------


def _confirmed_app(user: User) -> TOTPDevice | None:
    app: TOTPDevice | None = (
        TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-pk").first()
    )
    return app


def _signed_in_with(request: SignedInRequest, device: Device) -> None:
    django_otp.login(request, device)
    # A new session key for the more trusted session, as Django does at sign-in.
    request.session.cycle_key()
    request.session[IN_USE_SESSION_KEY] = True


def _new_backup_codes(user: User) -> tuple[StaticDevice, list[str]]:
    """A fresh set of backup codes in place of any the account had."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return device, codes


def _qr_code_svg(device: TOTPDevice) -> str:
    qr = segno.make(device.config_url, error="m")
    # segno draws with presentation attributes (fill, stroke), never style="...", so the
    # CSP allows it; the title is ours, the rest is paths.
    return mark_safe(  # noqa: S308
        qr.svg_inline(scale=4, title="QR code for your authenticator app", svgclass="qr-code")
    )


def _key_groups(device: TOTPDevice) -> list[str]:
    key = b32encode(device.bin_key).decode()
    return [key[start : start + 4] for start in range(0, len(key), 4)]


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_verify(request: SignedInRequest) -> HttpResponse:
    """Enter a code from the authenticator app, or a backup code."""
    user = request.user
    next_url = _safe_next(request)
    if is_verified(request):
        return redirect(next_url)
    if _confirmed_app(user) is None:
        if is_staff(user) or user_has_device(user):
            return redirect(_with_next(reverse("two_factor_setup"), next_url))
        request.session[IN_USE_SESSION_KEY] = False
        return redirect(next_url)
    form = SecondFactorForm(request.POST if request.method == "POST" else None, user=user)
    if form.is_bound and form.is_valid():
        assert form.device is not None
        _signed_in_with(request, form.device)
        if isinstance(form.device, StaticDevice):
            left = form.device.token_set.count()
            messages.warning(
                request,
                f"You used a backup code; it will not work again. You have {left} left.",
            )
        return redirect(next_url)
    context = {"form": form, "next": next_url, "staff": is_staff(user)}
    return render(request, "registration/two_factor_verify.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_setup(request: SignedInRequest) -> HttpResponse:
    """Add an authenticator app: scan or type its key, then type the code it shows."""
    user = request.user
    next_url = _safe_next(request)
    replacing = _confirmed_app(user) is not None
    if replacing and not is_verified(request):
        # A password alone must never be enough to put another phone on the account.
        return redirect(_with_next(reverse("two_factor_verify"), next_url))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = AuthenticatorCodeForm(request.POST if request.method == "POST" else None, device=device)
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _, codes = _new_backup_codes(user)
        _signed_in_with(request, device)
        request.session[NEW_CODES_SESSION_KEY] = codes
        return redirect(_with_next(reverse("two_factor_backup_codes"), next_url))
    context = {
        "form": form,
        "next": next_url,
        "qr_code": _qr_code_svg(device),
        "key_groups": _key_groups(device),
        "replacing": replacing,
        "staff": is_staff(user),
    }
    return render(request, "registration/two_factor_setup.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_backup_codes(request: SignedInRequest) -> HttpResponse:
    """How many backup codes are left; a new set, shown once."""
    user = request.user
    next_url = _safe_next(request)
    if not is_verified(request):
        page = "two_factor_verify" if _confirmed_app(user) else "two_factor_setup"
        return redirect(_with_next(reverse(page), request.get_full_path()))
    form = NewBackupCodesForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            device, codes = _new_backup_codes(user)
        if isinstance(getattr(request.user, "otp_device", None), StaticDevice):
            # This session was verified by a code from the set just replaced.
            django_otp.login(request, device)
        request.session[NEW_CODES_SESSION_KEY] = codes
        return redirect(_with_next(reverse("two_factor_backup_codes"), next_url))
    new_codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    context = {"form": form, "next": next_url, "new_codes": new_codes, "left": left}
    return render(request, "registration/two_factor_backup_codes.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_disable(request: SignedInRequest) -> HttpResponse:
    """Patients and caregivers may turn two-step sign-in off again, with a current code."""
    user = request.user
    if is_staff(user):
        return render(request, "registration/two_factor_disable.html", {"staff": True}, status=403)
    if _confirmed_app(user) is None and not user_has_device(user):
        messages.info(request, "Two-step sign-in is not on for your account.")
        return redirect("tracking:account")
    if not is_verified(request):
        return redirect(_with_next(reverse("two_factor_verify"), request.get_full_path()))
    form = SecondFactorForm(request.POST if request.method == "POST" else None, user=user)
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
        request.session[IN_USE_SESSION_KEY] = False
        messages.success(request, "Two-step sign-in is off. Your password alone now signs you in.")
        return redirect("tracking:account")
    return render(request, "registration/two_factor_disable.html", {"form": form, "staff": False})


def refuse_in_admin(request: HttpRequest) -> HttpResponse:
    """The admin's answer to a signed-in account it will not let in."""
    user = request.user
    if isinstance(user, User) and user.is_active and is_staff(user):
        return redirect(_with_next(reverse("two_factor_verify"), request.GET.get("next")))
    return render(request, "registration/admin_refused.html", status=403)
