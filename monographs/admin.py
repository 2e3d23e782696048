from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html

from portal.admin import HistoryAdmin

from .models import (
    Contraindication,
    DosingRegimen,
    InjectionSite,
    Interaction,
    LabRule,
    Medicine,
    Reference,
    SafetyWarning,
    Section,
    SideEffect,
)


class MonthListField(forms.Field):
    """Months typed as "0, 1, 2, 3" and stored as a list of whole numbers."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(month) for month in value)
        return value

    def to_python(self, value: Any) -> list[int]:
        if isinstance(value, list):
            return value
        parts = [part.strip() for part in str(value or "").split(",") if part.strip()]
        try:
            return [int(part) for part in parts]
        except ValueError:
            raise ValidationError(
                "Type months as whole numbers separated by commas, e.g. 0, 1, 2, 3, 6."
            ) from None


class LabRuleForm(forms.ModelForm):
    due_months = MonthListField(
        help_text="Months after the start date, separated by commas; 0 is before the first dose."
    )

    class Meta:
        model = LabRule
        fields = [
            "medicine",
            "order",
            "test_name",
            "short_name",
            "unit",
            "due_months",
            "review_below",
            "review_above",
            "review_message",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        below, above = cleaned.get("review_below"), cleaned.get("review_above")
        if below is not None and above is not None and below >= above:
            self.add_error("review_above", "Must be higher than the lower review threshold.")
        return cleaned


class OrderedInline(admin.StackedInline):
    extra = 0
    ordering = ["order", "id"]


class SectionInline(OrderedInline):
    model = Section
    fields = ["order", "title", "anchor", "body", "reference"]
    prepopulated_fields = {"anchor": ["title"]}

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        # A section may only cite its own medicine's references.
        if db_field.name == "reference":
            # The change page's URL names the medicine; the add page has none yet.
            match = request.resolver_match
            medicine_id = match.kwargs.get("object_id") if match is not None else None
            kwargs["queryset"] = (
                Reference.objects.filter(medicine_id=medicine_id)
                if medicine_id is not None
                else Reference.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RegimenInline(OrderedInline):
    model = DosingRegimen
    fields = [
        "order",
        ("indication", "population"),
        ("basis", "frequency"),
        ("usual_dose_low", "usual_dose_high", "max_daily"),
        "notes",
    ]


class SideEffectInline(admin.TabularInline):
    model = SideEffect
    extra = 0
    ordering = ["urgency", "order", "id"]
    fields = ["order", "name", "frequency", "urgency", "ask_after_dose"]


class WarningInline(OrderedInline):
    model = SafetyWarning
    fields = ["order", "title", "body"]


class InteractionInline(admin.TabularInline):
    model = Interaction
    extra = 0
    fields = ["order", "agent", "advice"]


class ContraindicationInline(admin.TabularInline):
    model = Contraindication
    extra = 0
    fields = ["order", "text"]


class LabRuleInline(OrderedInline):
    model = LabRule
    form = LabRuleForm
    fields = [
        "order",
        ("test_name", "short_name", "unit"),
        "due_months",
        ("review_below", "review_above"),
        "review_message",
    ]


class InjectionSiteInline(admin.TabularInline):
    model = InjectionSite
    extra = 0
    fields = ["order", "body_area", "name", "guidance", "needs_helper"]


# A link typed without a scheme is https (Django 6's default), not http.
HTTPS_URLS: dict[type[models.Field], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0
    formfield_overrides = HTTPS_URLS
    fields = ["order", "citation", "url"]


# Who published a guide and who reviewed it medically: a reviewer's to set, never an editor's.
PUBLISHING = ["status", "reviewed_on", "reviewed_by"]
PUBLISH_PERMISSION = "monographs.publish_medicine"


@admin.register(Medicine)
class MedicineAdmin(HistoryAdmin):
    list_display = ["display_name", "slug", "status", "reviewed_on", "updated_at", "preview"]
    list_filter = ["status", "reviewed_on"]
    search_fields = ["generic_name", "brand_name", "drug_class", "sections__body"]
    prepopulated_fields = {"slug": ["generic_name"]}
    readonly_fields = ["preview"]
    fieldsets = [
        (None, {"fields": ["generic_name", "brand_name", "slug", "drug_class", "route"]}),
        (None, {"fields": ["summary"]}),
        ("Review and publishing", {"fields": ["status", "reviewed_on", "reviewed_by", "preview"]}),
    ]
    inlines = [
        ReferenceInline,
        SectionInline,
        RegimenInline,
        SideEffectInline,
        WarningInline,
        InteractionInline,
        ContraindicationInline,
        LabRuleInline,
        InjectionSiteInline,
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Medicine | None = None) -> list[str]:
        shown = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(PUBLISH_PERMISSION):
            shown += PUBLISHING
        return shown

    def save_model(self, request: HttpRequest, obj: Medicine, form: Any, change: bool) -> None:
        if not request.user.has_perm(PUBLISH_PERMISSION):
            # A revert brings back a past version whole, its publish state too: keep today's.
            current = Medicine.objects.filter(pk=obj.pk).first() if obj.pk else None
            for name in PUBLISHING:
                setattr(obj, name, getattr(current or Medicine(), name))
        super().save_model(request, obj, form, change)

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False

    @admin.display(description="Patient view")
    def preview(self, obj: Medicine) -> str:
        if not obj.pk:
            return "Save first to preview."
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview as a patient sees it</a>',
            obj.preview_url(),
        )


class PartAdmin(HistoryAdmin):
    """The parts of a monograph, each with its own change history and revert."""

    list_select_related = ["medicine"]
    list_filter = ["medicine"]


@admin.register(Section)
class SectionAdmin(PartAdmin):
    list_display = ["title", "medicine", "order"]
    search_fields = ["title", "body"]


@admin.register(DosingRegimen)
class DosingRegimenAdmin(PartAdmin):
    list_display = ["indication", "medicine", "basis", "max_daily", "frequency"]
    list_filter = ["medicine", "basis", "frequency"]
    search_fields = ["indication", "population"]


@admin.register(SideEffect)
class SideEffectAdmin(PartAdmin):
    list_display = ["name", "medicine", "urgency", "frequency", "ask_after_dose"]
    list_filter = ["medicine", "urgency", "frequency", "ask_after_dose"]
    search_fields = ["name"]


@admin.register(SafetyWarning)
class SafetyWarningAdmin(PartAdmin):
    list_display = ["title", "medicine"]
    search_fields = ["title", "body"]


@admin.register(Interaction)
class InteractionAdmin(PartAdmin):
    list_display = ["agent", "medicine"]
    search_fields = ["agent", "advice"]


@admin.register(Contraindication)
class ContraindicationAdmin(PartAdmin):
    list_display = ["text", "medicine"]
    search_fields = ["text"]


@admin.register(LabRule)
class LabRuleAdmin(PartAdmin):
    form = LabRuleForm
    list_display = ["test_name", "medicine", "schedule_text", "review_below", "review_above"]
    search_fields = ["test_name", "short_name"]


@admin.register(InjectionSite)
class InjectionSiteAdmin(PartAdmin):
    list_display = ["name", "medicine", "body_area", "needs_helper"]
    list_filter = ["medicine", "needs_helper"]
    search_fields = ["name"]


@admin.register(Reference)
class ReferenceAdmin(PartAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["citation", "medicine", "order"]
    search_fields = ["citation"]
