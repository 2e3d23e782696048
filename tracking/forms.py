from __future__ import annotations

import datetime
import uuid
import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from monographs.models import DosingRegimen, InjectionSite, Medicine

from .models import DoseLog, Therapy
from .services import DoseEntry

# Clocks on phones drift; a minute's grace keeps "now" from counting as the future.
FUTURE_GRACE = datetime.timedelta(minutes=2)

COMMON_TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


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
