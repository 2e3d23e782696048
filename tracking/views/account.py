"""The account page: reminder choices, the calendar link, a download of all data, and
changing the sign-in email address."""

from __future__ import annotations

import datetime
import json
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.http import PortalRequest, SignedInRequest
from portal.models import AccountDeletionRequest, User

from ..access import preferences_for, therapies_for
from ..forms import EmailChangeForm, PreferencesForm
from ..jobs import send_email_change
from ..models import (
    CareRelationship,
    DoseLog,
    LabResult,
    PatientPreferences,
    ReminderDelivery,
    SideEffectReport,
)

EMAIL_CHANGE_SALT = "tracking.email-change"
EMAIL_LINK_HOURS = 24


@require_http_methods(["GET", "POST"])
@login_required
def account(request: SignedInRequest) -> HttpResponse:
    preferences = preferences_for(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST, instance=preferences)
        if form.is_valid():
            form.save()
            messages.success(request, "Your email choices are saved.")
            return redirect("tracking:account")
    else:
        form = PreferencesForm(instance=preferences)
    return _account_page(request, preferences, form=form)


def _account_page(
    request: SignedInRequest,
    preferences: PatientPreferences,
    *,
    form: PreferencesForm | None = None,
    email_form: EmailChangeForm | None = None,
) -> HttpResponse:
    feed_path = reverse("tracking:lab-calendar", kwargs={"token": preferences.calendar_token})
    context = {
        "form": form or PreferencesForm(instance=preferences),
        "email_form": email_form or EmailChangeForm(account=request.user),
        "calendar_url": request.build_absolute_uri(feed_path),
        "care_list": request.care_list,
        "acts_for_others": any(not care.is_self for care in request.care_list),
        "deletion_request": AccountDeletionRequest.objects.filter(
            account=request.user, completed_at=None
        ).first(),
    }
    return render(request, "tracking/account.html", context)


@require_POST
@login_required
def email_change(request: SignedInRequest) -> HttpResponse:
    """Send a link to the new address; the address changes when it is opened.

    The answer, and the work done, are the same whether or not another account has the
    new address: the page never tells who has an account. Only the new address's inbox
    learns it.
    """
    user = request.user
    form = EmailChangeForm(request.POST, account=user)
    if not form.is_valid():
        return _account_page(request, preferences_for(user), email_form=form)
    new_email = form.cleaned_data["new_email"]
    token = signing.dumps(
        {"account": user.pk, "old": user.email, "new": new_email}, salt=EMAIL_CHANGE_SALT
    )
    send_email_change(
        user.pk,
        new_email,
        request.build_absolute_uri(reverse("tracking:email-confirm", kwargs={"token": token})),
        EMAIL_LINK_HOURS,
    )
    messages.success(
        request,
        f"We sent a link to {new_email}. Open it within {EMAIL_LINK_HOURS} hours to sign in "
        f"with that address from then on. Until then, keep signing in with {user.email}.",
    )
    return redirect("tracking:account")


@dataclass(frozen=True)
class EmailChange:
    account_pk: int
    old: str
    new: str


class EmailLinkProblem(Exception):
    """Why an email-change link does not work, in words for the page."""


def _read_email_link(token: str) -> EmailChange:
    try:
        data = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=datetime.timedelta(hours=EMAIL_LINK_HOURS)
        )
    except signing.SignatureExpired:
        raise EmailLinkProblem(
            f"This link is more than {EMAIL_LINK_HOURS} hours old. "
            "Ask for a new one on your account page."
        ) from None
    except signing.BadSignature:
        raise EmailLinkProblem(
            "This link is not complete. Copy the whole link from the email into the "
            "address bar, or ask for a new one on your account page."
        ) from None
    return EmailChange(data["account"], data["old"], data["new"])


def _check_email_link(change: EmailChange, user: User) -> None:
    if change.account_pk != user.pk:
        raise EmailLinkProblem(
            "This link was sent for another account. Sign out, then sign in with the "
            "account that asked for the change and open the link again."
        )
    if user.email != change.old:
        raise EmailLinkProblem(
            "This link has been used already, or your address changed since it was sent. "
            f"You sign in with {user.email}."
        )
    if User.objects.filter(email__iexact=change.new).exclude(pk=user.pk).exists():
        raise _taken(change, user)


def _taken(change: EmailChange, user: User) -> EmailLinkProblem:
    return EmailLinkProblem(
        f"Another account uses {change.new}, so it cannot be yours too. Nothing changed: "
        f"you sign in with {user.email}."
    )


@require_http_methods(["GET", "POST"])
def email_confirm(request: PortalRequest, token: str) -> HttpResponse:
    """GET shows what will change; the button (POST) changes it. GET changes nothing:
    mail scanners and link previews open links too."""
    user = request.user
    if not isinstance(user, User):
        return redirect_to_login(request.get_full_path())
    try:
        change = _read_email_link(token)
        _check_email_link(change, user)
        if request.method == "POST":
            _change_email(user, change)
            messages.success(request, f"Done: you now sign in with {change.new}.")
            return redirect("tracking:account")
    except EmailLinkProblem as problem:
        return render(
            request, "tracking/email_confirm_invalid.html", {"problem": str(problem)}, status=404
        )
    return render(request, "tracking/email_confirm.html", {"change": change})


def _change_email(user: User, change: EmailChange) -> None:
    """The address changes only from the old one, so the link works once."""
    try:
        with transaction.atomic():
            changed = User.objects.filter(pk=user.pk, email=change.old).update(email=change.new)
    except IntegrityError:
        # Another account took the address since the check (its unique index says so).
        raise _taken(change, user) from None
    if changed != 1:
        raise EmailLinkProblem(
            "This link has been used already, or your address changed since it was sent."
        )
    user.email = change.new


@require_POST
@login_required
def calendar_reset(request: SignedInRequest) -> HttpResponse:
    preferences_for(request.user).reset_calendar_token()
    messages.success(
        request, "Your calendar link has changed. The old link no longer works anywhere."
    )
    return redirect("tracking:account")


@require_GET
@login_required
def data_export(request: SignedInRequest) -> HttpResponse:
    """Everything the portal holds about the account and the patients it acts for, as JSON."""
    user = request.user
    preferences = PatientPreferences.objects.filter(account=user).first()
    data = {
        "exported_at": timezone.now(),
        "account": {"email": user.email, "name": user.display_name},
        # The calendar token stays out: a download is often passed on, the link is a key.
        "preferences": preferences
        and {
            "email_lab_reminders": preferences.email_lab_reminders,
            "email_dose_reminders": preferences.email_dose_reminders,
        },
        "patients": [_patient_data(care, user) for care in request.care_list],
    }
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-kineret-portal-data.json"'
    return response


def _local(moment: datetime.datetime | None, zone: zoneinfo.ZoneInfo) -> datetime.datetime | None:
    """A time as the patient lived it, with its offset: the export agrees with the pages."""
    return None if moment is None else timezone.localtime(moment, zone)


def _name(account: User | None) -> str | None:
    return account.get_short_name() if account else None


def _patient_data(care: CareRelationship, account: User) -> dict[str, Any]:
    patient = care.patient
    zone = patient.zone
    therapies = therapies_for(patient)
    doses = (
        DoseLog.objects.for_patient(patient)
        .select_related("site", "entered_by", "therapy__medicine")
        .order_by("taken_at")
    )
    reports = (
        SideEffectReport.objects.for_patient(patient)
        .select_related("entered_by")
        .prefetch_related("items__side_effect")
    )
    results = (
        LabResult.objects.for_patient(patient)
        .select_related("rule", "entered_by")
        .order_by("taken_on")
    )
    # Reminders belong to the account they were sent to, like the choices behind them.
    reminders = ReminderDelivery.objects.filter(patient=patient, account=account).order_by(
        "due_date", "id"
    )
    return {
        "name": patient.name,
        "you_act_as": "Yourself" if care.is_self else care.get_role_display(),
        "date_of_birth": patient.date_of_birth,
        "time_zone": patient.time_zone,
        "weights": [
            {"measured_on": w.measured_on, "weight_kg": w.weight_kg} for w in patient.weights.all()
        ],
        "therapies": [
            {
                "medicine": therapy.medicine.display_name,
                "regimen": therapy.regimen.indication,
                "prescribed_dose": therapy.prescribed_dose,
                "unit": therapy.regimen.unit,
                "start_date": therapy.start_date,
                "end_date": therapy.end_date,
                "schedule": therapy.schedule_text,
            }
            for therapy in therapies
        ],
        "doses": [
            {
                "id": dose.uuid,
                "medicine": dose.therapy.medicine.display_name,
                "status": dose.status,
                "taken_at": _local(dose.taken_at, zone),
                "local_date": dose.local_date,
                "scheduled_time": dose.slot_time,
                "dose_mg": dose.dose_mg,
                "site": dose.site.name if dose.site else None,
                "skip_reason": dose.skip_reason,
                "note": dose.note,
                "logged_by": _name(dose.entered_by),
            }
            for dose in doses
        ],
        "side_effect_reports": [
            {
                "id": report.uuid,
                "created_at": _local(report.created_at, zone),
                "reported_by": _name(report.entered_by),
                "none_reported": report.none_reported,
                "items": [
                    {
                        "side_effect": item.side_effect.name,
                        "severity": item.severity,
                        "started_on": item.started_on,
                    }
                    for item in report.items.all()
                ],
                "other": report.other,
                "reviewed_at": _local(report.reviewed_at, zone),
            }
            for report in reports
        ],
        "lab_results": [
            {
                "id": result.uuid,
                "test": result.rule.test_name,
                "taken_on": result.taken_on,
                "value_cells_per_ul": result.value,
                "entered_value": result.entered_value,
                "entered_unit": result.get_entered_unit_display(),
                "sent_for_review": result.needs_review,
                "reviewed_at": _local(result.reviewed_at, zone),
                "entered_by": _name(result.entered_by),
            }
            for result in results
        ],
        "reminders": [
            {"reason": r.reason, "due_date": r.due_date, "sent_at": _local(r.sent_at, zone)}
            for r in reminders
        ],
    }
