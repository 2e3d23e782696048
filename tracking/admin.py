from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    DoseLog,
    LabResult,
    PatientPreferences,
    ReminderDelivery,
    ReviewQuerySet,
    SideEffectReport,
    SideEffectReportItem,
    Therapy,
)


@admin.register(Therapy)
class TherapyAdmin(SimpleHistoryAdmin):
    """The care team creates and corrects therapies; the model's clean() checks each value."""

    list_display = ["patient", "medicine", "regimen", "prescribed_dose", "start_date", "end_date"]
    list_filter = ["medicine", "regimen"]
    search_fields = ["patient__email", "patient__display_name"]
    list_select_related = ["patient", "medicine", "regimen"]
    autocomplete_fields = ["patient"]
    fields = [
        "patient",
        "medicine",
        "regimen",
        ("prescribed_dose", "weight_kg"),
        ("start_date", "end_date"),
        ("time_zone", "usual_dose_time"),
        "someone_else_injects",
    ]


@admin.register(DoseLog)
class DoseLogAdmin(SimpleHistoryAdmin):
    """Read-only for the care team: patients own their log, and every change is kept."""

    list_display = ["patient", "local_date", "status", "dose_mg", "site", "taken_at"]
    list_filter = ["status", "local_date"]
    search_fields = ["patient__email"]
    list_select_related = ["patient", "site"]
    date_hierarchy = "local_date"
    readonly_fields = [
        "uuid",
        "patient",
        "therapy",
        "status",
        "taken_at",
        "local_date",
        "dose_mg",
        "site",
        "skip_reason",
        "note",
        "created_at",
    ]

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
    search_fields = ["patient__email"]

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
        "created_at",
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
    list_display = ["patient", "reason", "due_date", "claimed_at", "sent_at"]
    list_filter = ["reason", "due_date"]
    search_fields = ["patient__email"]
    list_select_related = ["patient"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PatientPreferences)
class PatientPreferencesAdmin(admin.ModelAdmin):
    list_display = ["patient", "email_lab_reminders", "email_dose_reminders"]
    search_fields = ["patient__email"]
    exclude = ["calendar_token"]
