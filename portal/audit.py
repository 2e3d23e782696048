"""The staff access log: who opened, listed, searched, exported or changed a patient's data.

An admin of patient data mixes in StaffAccessLogged and says how to find each record's
patient. Every page writes its rows in one INSERT, so a page's queries stay the same
however many rows it shows.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .models import StaffAccess, User

Action = StaffAccess.Action
_PATH_LENGTH = StaffAccess._meta.get_field("path").max_length or 300
_SEARCH_LENGTH = StaffAccess._meta.get_field("search").max_length or 200


def staff_of(request: HttpRequest) -> User:
    """The signed-in staff member: admin views let no one else in."""
    user = request.user
    assert isinstance(user, User) and user.is_staff
    return user


def client_address(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None


def log_access(
    request: HttpRequest,
    action: str,
    seen: Iterable[tuple[int | None, str, str]],
    *,
    search: str = "",
) -> None:
    """One row for each (patient id, record type, record id) seen, in one INSERT."""
    staff = staff_of(request)
    path = request.path[:_PATH_LENGTH]
    address = client_address(request)
    StaffAccess.objects.bulk_create(
        StaffAccess(
            staff=staff,
            action=action,
            patient_id=patient_id,
            record_type=record_type,
            record_id=record_id,
            path=path,
            search=search[:_SEARCH_LENGTH],
            address=address,
        )
        for patient_id, record_type, record_id in seen
    )


class StaffAccessLogged(admin.ModelAdmin):
    """Each page of this admin that shows or changes a record writes the access log.

    A list or search writes one row per patient shown (one row without a patient when
    nothing matched); a record's page, a save and a delete one row for that record.
    """

    # The lookup from a record to its patient; "pk" when the records are patients.
    patient_lookup = "patient"

    def access_record_type(self) -> str:
        """What the row says was opened; a patient's own page leaves it empty."""
        if self.patient_lookup == "pk":
            return ""
        return self.opts.label_lower

    def access_patient_id(self, obj: Model) -> int | None:
        field = "pk" if self.patient_lookup == "pk" else f"{self.patient_lookup}_id"
        value = getattr(obj, field)
        return value if isinstance(value, int) else None

    def log_records(self, request: HttpRequest, action: str, records: Iterable[Model]) -> None:
        """One row per record: opened, changed or deleted (a patient's own: no record id)."""
        record_type = self.access_record_type()
        log_access(
            request,
            action,
            (
                (self.access_patient_id(obj), record_type, record_type and str(obj.pk))
                for obj in records
            ),
        )

    def log_patients(
        self, request: HttpRequest, action: str, records: Iterable[Model], *, search: str = ""
    ) -> None:
        """One row per patient the records belong to: listed, searched or exported."""
        patients = dict.fromkeys(self.access_patient_id(obj) for obj in records) or {None: None}
        record_type = self.access_record_type()
        log_access(
            request, action, ((patient, record_type, "") for patient in patients), search=search
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", None) or {}
        if response.status_code == 200 and "cl" in changelist:
            shown = changelist["cl"]
            # Reading the page's rows here fills the cache the template then reads.
            action = Action.SEARCH if shown.query else Action.LIST
            self.log_patients(request, action, shown.result_list, search=shown.query)
        return response

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> HttpResponse:
        if obj is not None:
            self.log_records(request, Action.VIEW, [obj])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_delete_form(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        self.log_records(request, Action.VIEW, [context["object"]])
        return super().render_delete_form(request, context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        # Django's own history page; simple_history's pages call log_history_page.
        if isinstance(response, TemplateResponse) and response.context_data:
            shown = response.context_data.get("object")
            if isinstance(shown, Model):
                self.log_records(request, Action.VIEW, [shown])
        return response

    def log_history_page(self, request: HttpRequest, context: dict[str, Any]) -> None:
        """A simple_history page: the record's history, or one past version of it."""
        shown = context.get("object", context.get("original"))
        if isinstance(shown, Model):
            self.log_records(request, Action.VIEW, [shown])

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self.log_records(request, Action.CHANGE, [obj])
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self.log_records(request, Action.CHANGE, [obj])
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        self.log_records(request, Action.CHANGE, queryset)
        return super().log_deletions(request, queryset)
