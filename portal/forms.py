from __future__ import annotations

import math
import re
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.renderers import TemplatesSetting
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .jobs import send_password_reset
from .models import User


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email address and password do not match an account. "
            "Check them and try again, or reset your password."
        ),
    }


class QueuedPasswordResetForm(PasswordResetForm):
    """Queues the whole reset (finding the accounts, the link, the email) as one job.

    The request then does the same work for a registered address as for an unknown one,
    and never waits for the mail server: neither its answer nor its timing tells whether
    the address has an account.
    """

    def save(  # type: ignore[override]
        self,
        domain_override: str | None = None,
        *,
        use_https: bool = False,
        request: HttpRequest | None = None,
        **default_templates_and_tokens: object,
    ) -> None:
        domain = domain_override or (request.get_host() if request else "")
        send_password_reset(self.cleaned_data["email"], domain, use_https)


class PortalFormRenderer(TemplatesSetting):
    """Every form renders through templates/_form.html and _field.html."""

    form_template_name = "_form.html"
    field_template_name = "_field.html"


def _code_field(label: str, **attrs: str | bool) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        error_messages={"required": "Type the code."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                **attrs,
            }
        ),
    )


class CodeForm(forms.Form):
    """One code for a second factor, checked against a django-otp device in `clean`.

    A wrong code counts towards django-otp's throttling (each failure doubles the wait
    before the next try); while it lasts, the form says how long to wait.
    """

    code = _code_field("Code")
    wrong_code_message = "That code is not right."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device: Device | None = None

    def clean_code(self) -> str:
        # Apps show "123 456"; a backup code copied from paper may gain a space.
        return "".join(self.cleaned_data["code"].split()).lower()

    def device_for(self, code: str) -> Device | None:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        super().clean()
        code = self.cleaned_data.get("code")
        if not code:
            return self.cleaned_data
        device = self.device_for(code)
        wait = None if device is None else _verify(device, code)
        if wait:
            raise ValidationError(
                ngettext(
                    "Too many wrong codes: wait %(seconds)d second, then try again.",
                    "Too many wrong codes: wait %(seconds)d seconds, then try again.",
                    wait,
                )
                % {"seconds": wait}
            )
        if wait is None:
            raise ValidationError(self.wrong_code_message)
        self.device = device
        return self.cleaned_data


def _verify(device: Device, code: str) -> int | None:
    """0 when the device accepts the code, None when it does not, or the seconds to wait
    while throttled. The row is locked, so two tries at once count as two."""
    with transaction.atomic():
        locked = type(device).objects.select_for_update().filter(pk=device.pk).first()
        if locked is None:
            return None
        allowed, details = locked.verify_is_allowed()
        if not allowed:
            remaining = (details["locked_until"] - timezone.now()).total_seconds()
            return max(1, math.ceil(remaining))
        accepted: bool = locked.verify_token(code)
    return 0 if accepted else None


class AuthenticatorCodeForm(CodeForm):
    """The first code from an authenticator app being set up: it shows the app works."""

    code = _code_field("The 6-digit code from the app", inputmode="numeric")
    wrong_code_message = (
        "That code is not right. Check the app shows Kineret Portal, "
        "then type the 6 numbers it shows now."
    )

    def __init__(self, *args: Any, device: TOTPDevice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.totp_device = device

    def clean_code(self) -> str:
        code = super().clean_code()
        if not re.fullmatch(r"\d{6}", code):
            raise ValidationError("Type the 6 numbers the app shows, like 123456.")
        return code

    def device_for(self, code: str) -> Device | None:
        return self.totp_device


class SecondFactorForm(CodeForm):
    """A code from the account's authenticator app, or one of its backup codes."""

    code = _code_field("Code from your app, or a backup code", autofocus=True)
    wrong_code_message = (
        "That code is not right. Type the code your app shows now, "
        "or a backup code you have not used before."
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def device_for(self, code: str) -> Device | None:
        # An app's codes are 6 digits; backup codes are 8 letters and digits.
        model = TOTPDevice if re.fullmatch(r"\d{6}", code) else StaticDevice
        device: Device | None = (
            model.objects.devices_for_user(self.user, confirmed=True).order_by("-pk").first()
        )
        return device


class NewBackupCodesForm(forms.Form):
    confirm = forms.BooleanField(
        label="Make new backup codes. The ones I have now stop working.",
        error_messages={"required": "Tick the box to make new backup codes."},
    )
