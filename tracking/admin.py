from __future__ import annotations

import csv
import datetime
import zoneinfo
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F, ForeignKey, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal.admin import HistoryAdmin, accounts_seen_by
from portal.audit import Action, StaffAccessLogged, staff_of

from .forms import TherapyForm
from .models import (
    CareRelationship,
    CareTeam,
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
    validate_time_zone,
)

LAST_CARE = (
    "A patient always keeps at least one person who acts for them: add someone else "
    "before ending this access. Nothing was changed."
)
WEIGHT_NEEDED = "This regimen is dosed by body weight: add the patient’s weight under Weights."


def in_patients_zone(moment: datetime.datetime | None, patient: Patient) -> str:
    """A time as the patient lived it, with the zone named: never bare UTC."""
    if moment is None:
        return "–"
    local = moment.astimezone(patient.zone)
    return f"{local:%-d %b %Y, %-I:%M %p} {local.tzname()}"


def _plain(value: str) -> str:
    # A spreadsheet runs a cell that starts like a formula; make it plain text.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class CareTeamScoped(StaffAccessLogged):
    """Patient data: only the patients of the staff member's care teams, every look logged.

    Another clinic's record is not in the queryset, so every page (list, search, record,
    history, action, lookup) treats it as one that does not exist.
    """

    view_on_site = False  # a patient's own pages are not for staff

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        seen = Patient.objects.seen_by(staff_of(request))
        return super().get_queryset(request).filter(**{f"{self.patient_lookup}__in": seen})


class PatientZoneAdmin(CareTeamScoped, HistoryAdmin):
    """A patient's own page in admin shows (and reads) times in that patient's zone."""

    def zone_of(self, obj: Any) -> zoneinfo.ZoneInfo:
        return obj.zone if isinstance(obj, Patient) else obj.patient.zone

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id) if object_id else None
        with timezone.override(self.zone_of(obj) if obj is not None else None):
            response: HttpResponse = super().changeform_view(
                request, object_id, form_url, extra_context
            )
            # Render inside the zone: a TemplateResponse would otherwise render after it.
            render = getattr(response, "render", None)
            if render is not None:
                render()
        return response

    def render_history_view(
        self, request: HttpRequest, template: str, context: dict[str, Any], **kwargs: Any
    ) -> HttpResponse:
        self.log_history_page(request, context)
        response: HttpResponse = super().render_history_view(request, template, context, **kwargs)
        return response


class CareFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        active = 0
        for form in self.forms:
            if form.instance.pk is None and not form.has_changed():
                continue  # an empty row for adding someone
            data = getattr(form, "cleaned_data", {})
            if data.get("account") is not None and data.get("ended_at") is None:
                active += 1
        if not active:
            raise ValidationError(LAST_CARE, code="last_care")


class CareInline(admin.TabularInline):
    """Who acts for the patient; the care team adds or ends guardians here."""

    model = CareRelationship
    formset = CareFormSet
    extra = 0
    fields = ["account", "role", "since", "ended_at"]
    readonly_fields = ["since"]
    autocomplete_fields = ["account"]
    can_delete = False

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        # The same accounts the search beside it offers.
        if db_field.name == "account":
            kwargs["queryset"] = accounts_seen_by(staff_of(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="since (patient's time)")
    def since(self, care: CareRelationship) -> str:
        return in_patients_zone(care.created_at, care.patient) if care.pk else "–"


class WeightInline(admin.TabularInline):
    model = Weight
    extra = 0
    fields = ["measured_on", "weight_kg", "entered_by"]
    readonly_fields = ["entered_by"]


class TherapyFormSet(BaseInlineFormSet):
    """A dose by weight needs a weight, as on the patient's own form."""

    def clean(self) -> None:
        super().clean()
        if self._has_weight():
            return
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if not form.has_changed() or data.get("DELETE"):
                continue
            regimen = data.get("regimen")
            if regimen is not None and regimen.is_weight_based:
                form.add_error("regimen", WEIGHT_NEEDED)

    def _has_weight(self) -> bool:
        """Whether the patient will have a weight once this page is saved.

        The weights inline is a sibling formset of the same page, validated on its
        own: read what it sends; without it on the page, what is saved already.
        """
        prefix = WeightInline.model._meta.get_field("patient").remote_field.related_name
        total = self.data.get(f"{prefix}-TOTAL_FORMS")
        if total is None:
            return self.instance.pk is not None and self.instance.weights.exists()
        try:
            count = int(total)
        except ValueError:
            return False
        return any(
            str(self.data.get(f"{prefix}-{row}-weight_kg", "")).strip()
            and not self.data.get(f"{prefix}-{row}-DELETE")
            for row in range(count)
        )


class TherapyInline(admin.StackedInline):
    """Set by the care team with the patient's own form: the same choices and checks."""

    model = Therapy
    form = TherapyForm
    formset = TherapyFormSet
    extra = 0
    fields = [
        "regimen",
        "prescribed_dose",
        ("start_date", "end_date"),
        ("first_time", "second_time"),
        "dose_days",
        "weekdays",
        "someone_else_injects",
    ]


class PatientAdminForm(forms.ModelForm):
    # Checked by the form, not only by the model: a zone that does not exist must never
    # reach the patient the inlines share, where the therapies' checks read its zone.
    time_zone = forms.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="A tz database name, e.g. America/New_York or Europe/London.",
    )

    class Meta:
        model = Patient
        fields = ["name", "date_of_birth", "time_zone", "care_teams"]


@admin.register(Patient)
class PatientAdmin(PatientZoneAdmin):
    form = PatientAdminForm
    patient_lookup = "pk"
    list_display = ["name", "date_of_birth", "time_zone"]
    search_fields = ["name", "care__account__email"]
    fields = ["name", "date_of_birth", "time_zone", "care_teams"]
    inlines = [CareInline, WeightInline, TherapyInline]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Health records are kept: an account is closed, the patient's record is not.
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is Weight:
            # A weight the care team enters is theirs, like one a caregiver enters.
            for weight_form in formset.extra_forms:
                if weight_form.has_changed():
                    weight_form.instance.entered_by = request.user
        super().save_formset(request, form, formset, change)


@admin.register(DoseLog)
class DoseLogAdmin(PatientZoneAdmin):
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
    actions = ["download_csv"]

    @admin.display(description="when (patient's time)", ordering="taken_at")
    def when(self, dose: DoseLog) -> str:
        return in_patients_zone(dose.taken_at, dose.patient)

    @admin.action(description="Download the selected doses (CSV)", permissions=["view"])
    def download_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        doses = list(
            queryset.select_related("patient", "site", "therapy__medicine", "entered_by").order_by(
                "patient__name", "patient_id", "taken_at"
            )
        )
        self.log_patients(request, Action.EXPORT, doses)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="doses.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["patient", "date", "scheduled time", "when (patient's time)", "medicine", "status"]
            + ["dose_mg", "site", "skip_reason", "note", "logged by"]
        )
        for dose in doses:
            writer.writerow(
                [
                    _plain(dose.patient.name),
                    dose.local_date.isoformat(),
                    dose.slot_time.strftime("%H:%M") if dose.slot_time else "",
                    in_patients_zone(dose.taken_at, dose.patient),
                    _plain(dose.therapy.medicine.display_name),
                    dose.status,
                    dose.dose_mg_text,
                    _plain(dose.site.name) if dose.site else "",
                    _plain(dose.skip_reason),
                    _plain(dose.note),
                    dose.entered_by.email if dose.entered_by else "",
                ]
            )
        return response

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


class ReviewQueueAdmin(PatientZoneAdmin):
    """A queue for the care team: read-only reports with a "mark reviewed" action."""

    # Times are shown as the patient lived them, with the zone named.
    LOCAL_TIMES = {"created_at": "entered", "reviewed_at": "reviewed"}

    actions = ["mark_reviewed"]
    list_select_related = ["patient", "reviewed_by"]
    search_fields = ["patient__name", "patient__care__account__email"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Changing means marking reviewed from the queue; a report's own page (and its
        # history, which could revert it) only shows it.
        return obj is None and super().has_change_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [self.LOCAL_TIMES.get(field.name, field.name) for field in self.model._meta.fields]

    @admin.display(description="entered at (patient's time)", ordering="created_at")
    def entered(self, item: SideEffectReport | LabResult) -> str:
        return in_patients_zone(item.created_at, item.patient)

    @admin.display(description="reviewed at (patient's time)", ordering="reviewed_at")
    def reviewed(self, item: SideEffectReport | LabResult) -> str:
        return in_patients_zone(item.reviewed_at, item.patient)

    @admin.action(description="Mark the selected items reviewed", permissions=["change"])
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet) -> None:
        now = timezone.now()
        reviewed = list(queryset.filter(reviewed_at__isnull=True))
        # One by one through save() so the history records who reviewed.
        for item in reviewed:
            item.reviewed_at = now
            item.reviewed_by = staff_of(request)
            item.save(update_fields=["reviewed_at", "reviewed_by"])
        self.log_records(request, Action.CHANGE, reviewed)
        self.message_user(request, f"{len(reviewed)} marked reviewed.", messages.SUCCESS)


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
        "reviewed",
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
        "reviewed",
        "reviewed_by",
    ]
    list_filter = [ReviewStatusFilter, "rule", "taken_on"]
    list_select_related = ["patient", "reviewed_by", "rule"]
    # Flagged results first, oldest first within each group.
    ordering = ["-needs_review", "taken_on"]


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(CareTeamScoped):
    list_display = ["patient", "account", "reason", "due_date", "slot", "sent"]
    list_filter = ["reason", "due_date"]
    search_fields = ["patient__name", "account__email"]
    list_select_related = ["patient", "account"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="sent at (patient's time)", ordering="sent_at")
    def sent(self, reminder: ReminderDelivery) -> str:
        return in_patients_zone(reminder.sent_at, reminder.patient)


@admin.register(PatientPreferences)
class PatientPreferencesAdmin(admin.ModelAdmin):
    """An account's own reminder choices: it makes them, staff may correct them."""

    list_display = ["account", "email_lab_reminders", "email_dose_reminders"]
    search_fields = ["account__email"]
    exclude = ["calendar_token"]
    readonly_fields = ["account"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        accounts = accounts_seen_by(staff_of(request))
        return super().get_queryset(request).filter(account__in=accounts)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CareTeam)
class CareTeamAdmin(admin.ModelAdmin):
    """A clinic and its staff; its patients are chosen on each patient's page."""

    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
