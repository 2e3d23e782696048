from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    CareRelationship,
    DoseLog,
    LabResult,
    Patient,
    PatientPreferences,
    ReminderDelivery,
    ReviewQuerySet,
    SideEffectReport,
    SideEffectReportItem,
    Therapy,
    Weight,
)


def in_patients_zone(moment: datetime.datetime | None, patient: Patient) -> str:
    """A time as the patient lived it, with the zone named: never bare UTC."""
    if moment is None:
        return "–"
    local = moment.astimezone(patient.zone)
    return f"{local:%-d %b %Y, %-I:%M %p} {local.tzname()}"


class CareInline(admin.TabularInline):
    """Who acts for the patient; the care team adds or ends guardians here."""

    model = CareRelationship
    extra = 0
    fields = ["account", "role", "created_at", "ended_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["account"]
    can_delete = False


class WeightInline(admin.TabularInline):
    model = Weight
    extra = 0
    fields = ["measured_on", "weight_kg", "entered_by"]
    readonly_fields = ["entered_by"]


class TherapyInline(admin.StackedInline):
    model = Therapy
    extra = 0
    fields = [
        "medicine",
        "regimen",
        "prescribed_dose",
        ("start_date", "end_date"),
        ("dose_times", "dose_days", "weekdays"),
        "someone_else_injects",
    ]


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ["name", "date_of_birth", "time_zone"]
    search_fields = ["name", "care__account__email"]
    fields = ["name", "date_of_birth", "time_zone"]
    inlines = [CareInline, WeightInline, TherapyInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # A patient always keeps someone who acts for them.
        if formset.model is CareRelationship:
            instances = formset.save(commit=False)
            patient = form.instance
            active = {care.pk for care in patient.care.filter(ended_at=None)}
            for care in instances:
                if care.ended_at is not None:
                    active.discard(care.pk)
                elif care.pk is None:
                    active.add(-1)
            if not active:
                self.message_user(
                    request,
                    "A patient needs at least one person who acts for them: "
                    "nothing about access was changed.",
                    messages.ERROR,
                )
                return
            for care in instances:
                care.save()
            return
        super().save_formset(request, form, formset, change)


@admin.register(DoseLog)
class DoseLogAdmin(SimpleHistoryAdmin):
    """Read-only for the care team: patients own their log, and every change is kept."""

    list_display = ["patient", "local_date", "slot_time", "status", "dose_mg", "site", "when"]
    list_filter = ["status", "local_date"]
    search_fields = ["patient__name", "patient__care__account__email"]
    list_select_related = ["patient", "site"]
    date_hierarchy = "local_date"
    readonly_fields = [
        "uuid",
        "patient",
        "therapy",
        "status",
        "when",
        "local_date",
        "slot_time",
        "dose_mg",
        "site",
        "skip_reason",
        "note",
        "entered_by",
    ]
    exclude = ["taken_at"]

    @admin.display(description="when (patient's time)", ordering="taken_at")
    def when(self, dose: DoseLog) -> str:
        return in_patients_zone(dose.taken_at, dose.patient)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DoseLog | None = None) -> bool:
        return False


class ReviewStatusFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [
            ("waiting", "Waiting for review"),
            ("reviewed", "Reviewed"),
            ("none", "No review needed"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # Only the review queues (ReviewQueueAdmin) use this filter.
        assert isinstance(queryset, ReviewQuerySet)
        if self.value() == "waiting":
            return queryset.awaiting_review()
        if self.value() == "reviewed":
            return queryset.filter(reviewed_at__isnull=False)
        if self.value() == "none":
            return queryset.filter(needs_review=False)
        return queryset


class ReviewQueueAdmin(SimpleHistoryAdmin):
    """A queue for the care team: read-only reports with a "mark reviewed" action."""

    actions = ["mark_reviewed"]
    list_select_related = ["patient", "reviewed_by"]
    search_fields = ["patient__name", "patient__care__account__email"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    @admin.action(description="Mark the selected items reviewed")
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet) -> None:
        now = timezone.now()
        count = 0
        # One by one through save() so the history records who reviewed.
        for item in queryset.filter(reviewed_at__isnull=True):
            item.reviewed_at = now
            item.reviewed_by = request.user
            item.save(update_fields=["reviewed_at", "reviewed_by"])
            count += 1
        self.message_user(request, f"{count} marked reviewed.", messages.SUCCESS)


class ReportItemInline(admin.TabularInline):
    model = SideEffectReportItem
    extra = 0
    can_delete = False
    readonly_fields = fields = ("side_effect", "severity", "started_on")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SideEffectReport)
class SideEffectReportAdmin(ReviewQueueAdmin):
    list_display = [
        "reported_at",
        "patient",
        "urgency",
        "summary",
        "needs_review",
        "reviewed_at",
        "reviewed_by",
    ]
    list_filter = [ReviewStatusFilter, "urgency", "created_at"]
    inlines = [ReportItemInline]
    # Most urgent first (no urgency last), then the oldest waiting.
    ordering = [F("urgency").asc(nulls_last=True), "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("items__side_effect")

    @admin.display(description="reported at (patient's time)", ordering="created_at")
    def reported_at(self, report: SideEffectReport) -> str:
        return in_patients_zone(report.created_at, report.patient)

    @admin.display(description="reported")
    def summary(self, report: SideEffectReport) -> str:
        if report.none_reported:
            return "None of these"
        names = [item.side_effect.name for item in report.items.all()]
        if report.other:
            names.append(f"Something else: {report.other[:60]}")
        return "; ".join(names)


@admin.register(LabResult)
class LabResultAdmin(ReviewQueueAdmin):
    list_display = [
        "taken_on",
        "patient",
        "rule",
        "value",
        "needs_review",
        "reviewed_at",
        "reviewed_by",
    ]
    list_filter = [ReviewStatusFilter, "rule", "taken_on"]
    list_select_related = ["patient", "reviewed_by", "rule"]
    # Flagged results first, oldest first within each group.
    ordering = ["-needs_review", "taken_on"]


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin):
    list_display = ["patient", "account", "reason", "due_date", "slot", "sent_at"]
    list_filter = ["reason", "due_date"]
    search_fields = ["patient__name", "account__email"]
    list_select_related = ["patient", "account"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PatientPreferences)
class PatientPreferencesAdmin(admin.ModelAdmin):
    list_display = ["account", "email_lab_reminders", "email_dose_reminders"]
    search_fields = ["account__email"]
    exclude = ["calendar_token"]
