from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.forms.renderers import TemplatesSetting
from django.http import HttpRequest

from .jobs import send_password_reset


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
