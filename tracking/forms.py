from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from itertools import groupby
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from monographs.models import DosingRegimen, InjectionSite, LabRule, Medicine, SideEffect

from .models import (
    DoseLog,
    LabDue,
    LabResult,
    PatientPreferences,
    SideEffectReportItem,
    Therapy,
    known_time_zones,
    to_cells_per_ul,
)
from .services import (
    Chosen,
    DoseEntry,
)

Severity = SideEffectReportItem.Severity
Urgency = SideEffect.Urgency
Unit = LabResult.Unit

# Clocks on phones drift; a minute's grace keeps "now" from counting as the future.
FUTURE_GRACE = datetime.timedelta(minutes=2)

COMMON_TIME_ZONES = sorted(known_time_zones())


class RegimenChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: DosingRegimen) -> str:
        return (
            f"{obj.medicine.display_name}: {obj.indication}, {obj.dose_text} "
            f"({obj.get_frequency_display().lower()}, at most {obj.max_daily_text})"
        )


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: InjectionSite) -> str:
        if obj.needs_helper:
            return f"{obj.name} (only when someone else injects)"
        return obj.name


class TherapyForm(forms.ModelForm):
    regimen = RegimenChoiceField(
        label="Your medicine and what it treats",
        queryset=DosingRegimen.objects.none(),
        empty_label="Choose…",
    )
    time_zone = forms.TypedChoiceField(
        choices=[(zone, zone.replace("_", " ")) for zone in COMMON_TIME_ZONES],
        label="Your time zone",
        help_text="Doses count for the day where you are.",
    )

    class Meta:
        model = Therapy
        fields = [
            "regimen",
            "prescribed_dose",
            "weight_kg",
            "start_date",
            "time_zone",
            "usual_dose_time",
            "someone_else_injects",
        ]
        labels = {
            "prescribed_dose": "Your prescribed dose",
            "start_date": "Date of your first dose",
            "usual_dose_time": "Time you usually take it",
            "someone_else_injects": "Someone else usually gives my injection",
        }
        help_texts = {
            "prescribed_dose": (
                "As on your prescription: mg, or mg per kg of body weight if your regimen "
                "is dosed by weight."
            ),
            "weight_kg": "Only needed when the dose is by body weight.",
            "start_date": "The day you started, or will start, this medicine.",
        }
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "usual_dose_time": forms.TimeInput(attrs={"type": "time"}),
            "prescribed_dose": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            "weight_kg": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regimen = self.fields["regimen"]
        assert isinstance(regimen, RegimenChoiceField)  # declared above; each form has a copy
        regimen.queryset = DosingRegimen.objects.filter(
            medicine__in=Medicine.objects.published()
        ).select_related("medicine")

    def _post_clean(self) -> None:
        # The medicine follows from the regimen; set it before the model's clean().
        regimen = self.cleaned_data.get("regimen")
        if regimen is not None:
            self.instance.medicine = regimen.medicine
        refused = {name: len(errors) for name, errors in self.errors.items()}
        # django-stubs leaves out this private hook, the one Django runs model validation from.
        super()._post_clean()  # type: ignore[misc]
        # A value the form refused reaches the model as empty, so the model's clean()
        # would also ask for it ("enter the weight") right under "weight between 0.5
        # and 350 kg": keep only the message about what the patient typed.
        for name, count in refused.items():
            del self.errors[name][count:]


class DoseForm(forms.Form):
    status = forms.ChoiceField(
        choices=DoseLog.Status.choices,
        widget=forms.RadioSelect,
        initial=DoseLog.Status.TAKEN,
        label="Did you take this dose?",
    )
    taken_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Your local time.",
    )
    dose_mg = forms.DecimalField(
        label="Dose (mg)",
        required=False,
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    site = SiteChoiceField(
        label="Injection site",
        queryset=InjectionSite.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        empty_label=None,
    )
    helper_injecting = forms.BooleanField(
        label="Someone else is giving this injection", required=False
    )
    skip_reason = forms.CharField(
        label="Why was it skipped?",
        required=False,
        max_length=200,
        help_text="For example: unwell, travelling, told to pause.",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm_second = forms.BooleanField(required=False, widget=forms.HiddenInput)
    submission_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, therapy: Therapy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.therapy = therapy
        site = self.fields["site"]
        assert isinstance(site, SiteChoiceField)  # declared above; each form has a copy
        site.queryset = therapy.medicine.injection_sites.all()

    @classmethod
    def initial_for(
        cls, therapy: Therapy, suggested: InjectionSite | None, **extra: Any
    ) -> dict[str, Any]:
        return {
            "status": DoseLog.Status.TAKEN,
            "taken_at": timezone.localtime(timezone.now(), therapy.zone).replace(
                second=0, microsecond=0, tzinfo=None
            ),
            "dose_mg": therapy.dose_mg,
            "site": suggested,
            "helper_injecting": therapy.someone_else_injects,
            "submission_id": uuid.uuid4(),
            **extra,
        }

    def clean_taken_at(self) -> datetime.datetime:
        taken_at: datetime.datetime = self.cleaned_data["taken_at"]
        if taken_at > timezone.now() + FUTURE_GRACE:
            raise ValidationError(
                "That time is in the future. Enter when the dose was due or taken."
            )
        return taken_at

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("status") == DoseLog.Status.TAKEN:
            dose = cleaned.get("dose_mg")
            if dose is None and "dose_mg" not in self.errors:
                self.add_error("dose_mg", "Enter the dose you took, in mg.")
            elif dose is not None and dose <= 0:
                self.add_error("dose_mg", "The dose must be more than 0 mg.")
            site = cleaned.get("site")
            if site is None:
                self.add_error("site", "Choose where you injected.")
            elif site.needs_helper and not cleaned.get("helper_injecting"):
                self.add_error(
                    "site",
                    f"{site.name} is only for when someone else gives the injection. "
                    "Tick “Someone else is giving this injection”, or choose another site.",
                )
        elif cleaned.get("status") == DoseLog.Status.SKIPPED and not cleaned.get("skip_reason"):
            self.add_error("skip_reason", "Say briefly why the dose was skipped.")
        return cleaned

    def entry(self) -> DoseEntry:
        data = self.cleaned_data
        return DoseEntry(
            status=data["status"],
            taken_at=data["taken_at"],
            dose_mg=data.get("dose_mg"),
            site=data.get("site"),
            note=data.get("note", ""),
            skip_reason=data.get("skip_reason", ""),
        )


def dose_initial_from(dose: DoseLog, therapy: Therapy) -> dict[str, Any]:
    return {
        "status": dose.status,
        "taken_at": timezone.localtime(dose.taken_at, therapy.zone).replace(tzinfo=None),
        "dose_mg": dose.dose_mg,
        "site": dose.site,
        "helper_injecting": bool(dose.site and dose.site.needs_helper),
        "skip_reason": dose.skip_reason,
        "note": dose.note,
        "submission_id": uuid.uuid4(),
    }


class SideEffectReportForm(forms.Form):
    other = forms.CharField(
        label="Something else",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything not in the list, in your own words.",
    )
    dose = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        side_effects: list[SideEffect],
        today: datetime.date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.side_effects = side_effects
        # The patient's own date: "tomorrow" in UTC can already be today in Tokyo.
        self.today = today
        for effect in side_effects:
            self.fields[f"effect_{effect.pk}"] = forms.BooleanField(
                label=effect.name, required=False
            )
            self.fields[f"severity_{effect.pk}"] = forms.ChoiceField(
                label="How bad is it?",
                choices=[("", "Choose…"), *Severity.choices],
                required=False,
            )
            self.fields[f"started_{effect.pk}"] = forms.DateField(
                label="When did it start?",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )

    def groups(self) -> list[tuple[Urgency, list[dict[str, Any]]]]:
        """The side effects grouped by urgency tier, emergency first, with their fields."""
        rows: list[dict[str, Any]] = [
            {
                "effect": effect,
                "checkbox": self[f"effect_{effect.pk}"],
                "severity": self[f"severity_{effect.pk}"],
                "started": self[f"started_{effect.pk}"],
            }
            for effect in self.side_effects
        ]
        return [
            (Urgency(urgency), list(items))
            for urgency, items in groupby(rows, key=lambda row: row["effect"].urgency)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        today = self.today or timezone.localdate()
        for effect in self.side_effects:
            started = cleaned.get(f"started_{effect.pk}")
            if started is not None and started > today:
                self.add_error(f"started_{effect.pk}", "That date is in the future.")
        if not self.chosen() and not cleaned.get("other", "").strip():
            raise ValidationError(
                "Tick what you have had, or describe it under “Something else”. "
                "If you have had none of these, choose “None of these”."
            )
        return cleaned

    def chosen(self) -> Chosen:
        data = getattr(self, "cleaned_data", {})
        return [
            (effect, data.get(f"severity_{effect.pk}", ""), data.get(f"started_{effect.pk}"))
            for effect in self.side_effects
            if data.get(f"effect_{effect.pk}")
        ]


# A neutrophil count above this (cells/µL) is not a plausible result.
MAX_CELLS_PER_UL = Decimal("100000")

EXTRA_TEST = "extra"

ALREADY_RECORDED = "A result for this test is already recorded."


class DueChoiceField(forms.ChoiceField):
    """The scheduled test a result answers; one already done gets a message of its own."""

    default_error_messages = {"invalid_choice": "Choose one of the tests in the list."}
    done: frozenset[str] = frozenset()

    def validate(self, value: str) -> None:
        if value in self.done:
            raise ValidationError(ALREADY_RECORDED, code="already_recorded")
        super().validate(value)


class LabResultForm(forms.Form):
    due = DueChoiceField(label="Which test is this?")
    taken_on = forms.DateField(
        label="Date of the blood test", widget=forms.DateInput(attrs={"type": "date"})
    )
    value = forms.DecimalField(
        label="Result",
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text="The number on your lab report, e.g. 2500 cells/µL or 2.5 ×10⁹/L.",
    )
    unit = forms.ChoiceField(label="Unit", choices=Unit.choices, widget=forms.RadioSelect)

    def __init__(
        self, *args: Any, dues: list[LabDue], today: datetime.date | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The patient's own date: "tomorrow" in UTC can already be today in Tokyo.
        self.today = today
        self.dues = {f"{d.rule.pk}:{d.month}": d for d in dues if d.result is None}
        due = self.fields["due"]
        assert isinstance(due, DueChoiceField)  # declared above; each form has a copy
        due.done = frozenset(f"{d.rule.pk}:{d.month}" for d in dues if d.result is not None)
        rules = {d.rule.pk: d.rule for d in dues}
        self.rules = rules
        due.choices = [
            *((key, f"{d.label} (due {d.due_date:%-d %b %Y})") for key, d in self.dues.items()),
            *(
                (f"{pk}:{EXTRA_TEST}", f"An extra {rule.short_name} test")
                for pk, rule in rules.items()
            ),
        ]

    def clean_taken_on(self) -> datetime.date:
        taken_on: datetime.date = self.cleaned_data["taken_on"]
        if taken_on > (self.today or timezone.localdate()):
            raise ValidationError(
                "The test date is in the future. Enter the day the blood was taken."
            )
        return taken_on

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        value, unit = cleaned.get("value"), cleaned.get("unit")
        if value is None or unit is None:
            return cleaned
        if value < 0:
            self.add_error(
                "value", "A count cannot be below zero. Check the number on your report."
            )
        elif unit == Unit.CELLS_PER_UL and value != value.to_integral_value():
            self.add_error(
                "unit",
                "Counts in cells/µL are whole numbers. If your report shows a number like 2.5, "
                "choose ×10⁹/L.",
            )
        elif unit == Unit.GIGA_PER_L and value > 100:
            self.add_error(
                "unit",
                "That is too large for ×10⁹/L. If your report shows a number like 2500, "
                "choose cells/µL.",
            )
        elif to_cells_per_ul(value, unit) > MAX_CELLS_PER_UL:
            self.add_error(
                "value", "That number is far too large for a neutrophil count. Check your report."
            )
        return cleaned

    def rule_and_month(self) -> tuple[LabRule, int | None]:
        rule_pk, _, month = self.cleaned_data["due"].partition(":")
        rule = self.rules[int(rule_pk)]
        return rule, None if month == EXTRA_TEST else int(month)


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = PatientPreferences
        fields = ["email_lab_reminders", "email_dose_reminders"]
