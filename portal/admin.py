from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from tracking.models import CareRelationship, Patient
from tracking.services import LastCaregiver, end_care

from .audit import staff_of
from .models import AccountDeletionRequest, StaffAccess, User

COMPLETING = (
    "Completing a request signs the account out, stops it signing in and ends its access "
    "to every patient. The patients' health records are kept."
)


def accounts_seen_by(staff: User) -> QuerySet[User]:
    """The accounts that act, or acted, for the patients this staff member sees.

    A superuser sees every account, with patients or not (a new parent, a staff member).
    """
    if staff.is_superuser:
        return User.objects.all()
    care = CareRelationship.objects.filter(patient__in=Patient.objects.seen_by(staff))
    return User.objects.filter(pk__in=care.values("account_id"))


def in_server_zone(moment: datetime.datetime | None) -> str:
    """A staff-facing time: staff have no time zone of their own, so the zone is named."""
    if moment is None:
        return "–"
    local = timezone.localtime(moment)
    return f"{local:%-d %b %Y, %-I:%M %p} {local.tzname()}"


class HistoryAdmin(SimpleHistoryAdmin):
    """History pages only for a record this admin shows; a revert only by who may change it.

    simple_history falls back to the history of a record its admin's queryset leaves out
    (another clinic's patient), and saves a revert for anyone who may only view it.
    """

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404
        response: HttpResponse = super().history_view(request, object_id, extra_context)
        return response

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if request.method == "POST" and not self.has_change_permission(request, obj):
            raise PermissionDenied
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # The account search of a patient's page (autocomplete) reads this one too.
        accounts = accounts_seen_by(staff_of(request))
        return super().get_queryset(request).filter(pk__in=accounts.values("pk"))


@admin.register(StaffAccess)
class StaffAccessAdmin(admin.ModelAdmin):
    """The access log: superusers read it; no one adds, changes or deletes a row."""

    list_display = ["when", "staff", "action", "patient", "record_type", "record_id", "address"]
    list_filter = [("staff", admin.RelatedOnlyFieldListFilter), "action", "at"]
    list_select_related = ["staff", "patient"]
    search_fields = ["patient__name"]
    search_help_text = "Search by the patient's name."
    readonly_fields = (
        "when",
        "staff",
        "action",
        "patient",
        "record_type",
        "record_id",
        "path",
        "search",
        "address",
    )
    fields = readonly_fields
    actions = None

    @admin.display(description="when", ordering="at")
    def when(self, access: StaffAccess) -> str:
        return in_server_zone(access.at)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


NOTE_LENGTH = AccountDeletionRequest._meta.get_field("completion_note").max_length or 2000


class CompletionForm(ActionForm):
    # No max_length here: a form the admin finds invalid only says "No action selected".
    note = forms.CharField(label="Note for the record", required=False)


def complete_deletion(deletion: AccountDeletionRequest, *, by: User, note: str) -> bool:
    """Close the account and end its care; False if someone completed it first.

    Refused whole (LastCaregiver, nothing changed) if a patient would be left with no one.
    """
    with transaction.atomic():
        still_open = (
            AccountDeletionRequest.objects.select_for_update()
            .filter(pk=deletion.pk, completed_at=None)
            .select_related("account")
            .first()
        )
        if still_open is None:
            return False
        account = still_open.account
        for care in CareRelationship.objects.filter(account=account, ended_at=None).select_related(
            "patient"
        ):
            try:
                end_care(care)
            except LastCaregiver as refused:
                raise LastCaregiver(
                    f"Not completed: {account} is the only person who acts for {care.patient}. "
                    "Nothing was changed. Add someone else on the patient's page first."
                ) from refused
        account.is_active = False
        account.save(update_fields=["is_active"])
        still_open.completed_at = timezone.now()
        still_open.completed_by = by
        still_open.completion_note = note
        still_open.save(update_fields=["completed_at", "completed_by", "completion_note"])
    return True


@admin.register(AccountDeletionRequest)
class AccountDeletionRequestAdmin(admin.ModelAdmin):
    """Open requests first. A superuser completes them; the care team of the account's
    patients may read them."""

    list_display = ["account", "requested", "state", "completed", "completed_by"]
    list_select_related = ["account", "completed_by"]
    list_filter = [("completed_at", admin.EmptyFieldListFilter)]
    search_fields = ["account__email"]
    ordering = [F("completed_at").desc(nulls_first=True), "requested_at"]
    readonly_fields = (
        "account",
        "requested",
        "reason",
        "state",
        "completed",
        "completed_by",
        "completion_note",
    )
    fields = readonly_fields
    actions = ["complete"]
    action_form = CompletionForm

    @admin.display(description="requested", ordering="requested_at")
    def requested(self, deletion: AccountDeletionRequest) -> str:
        return in_server_zone(deletion.requested_at)

    @admin.display(description="completed", ordering="completed_at")
    def completed(self, deletion: AccountDeletionRequest) -> str:
        return in_server_zone(deletion.completed_at)

    @admin.display(description="state")
    def state(self, deletion: AccountDeletionRequest) -> str:
        return "Completed" if deletion.completed_at else "Open"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccountDeletionRequest]:
        accounts = accounts_seen_by(staff_of(request))
        return super().get_queryset(request).filter(account__in=accounts)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(request, {"subtitle": COMPLETING, **(extra_context or {})})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the account holder asks, on their own pages

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # completing is the action below; the request itself stays as asked

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_complete_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    @admin.action(description="Complete the selected requests", permissions=["complete"])
    def complete(self, request: HttpRequest, queryset: QuerySet[AccountDeletionRequest]) -> None:
        note = request.POST.get("note", "").strip()
        if len(note) > NOTE_LENGTH:
            self.message_user(
                request,
                f"Keep the note to {NOTE_LENGTH:,} characters. Nothing was changed.",
                messages.ERROR,
            )
            return
        done = 0
        for deletion in queryset.filter(completed_at=None):
            try:
                done += complete_deletion(deletion, by=staff_of(request), note=note)
            except LastCaregiver as refused:
                self.message_user(request, " ".join(refused.messages), messages.ERROR)
        if done:
            self.message_user(request, f"{done} completed. {COMPLETING}", messages.SUCCESS)
