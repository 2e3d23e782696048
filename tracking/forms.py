from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from itertools import groupby
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone

from monographs.models import DoseDays, DosingRegimen, InjectionSite, LabRule, Medicine, SideEffect
from portal.models import User

from .models import (
    BIRTH_MESSAGE,
    EARLIEST_BIRTH,
    EARLIEST_EVENT,
    EARLIEST_EVENT_MESSAGE,
    MAX_WEIGHT_KG,
    MIN_WEIGHT_KG,
    WEIGHT_MESSAGE,
    CareRelationship,
    DoseLog,
    LabDue,
    LabResult,
    Patient,
    PatientPreferences,
    SideEffectReportItem,
    Slot,
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

# The product is American first: its zones come first, under the names people use.
US_TIME_ZONES = [
    ("America/New_York", "Eastern time (New York)"),
    ("America/Chicago", "Central time (Chicago)"),
    ("America/Denver", "Mountain time (Denver)"),
    ("America/Phoenix", "Mountain time without daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific time (Los Angeles)"),
    ("America/Anchorage", "Alaska time (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii time (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic time (Puerto Rico)"),
]
_US = {zone for zone, _ in US_TIME_ZONES}
OTHER_TIME_ZONES = [
    (zone, zone.replace("_", " ").replace("/", ": "))
    for zone in sorted(known_time_zones() - _US)
    if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/"))
]
TIME_ZONE_CHOICES: list[Any] = [
    ("", "Choose…"),
    ("United States", US_TIME_ZONES),
    ("Everywhere else", OTHER_TIME_ZONES),
]
WEEKDAY_CHOICES = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class TimeZoneField(forms.ChoiceField):
    """A zone from the list; static/js/portal.js preselects the browser's own."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Time zone")
        kwargs.setdefault("help_text", "Doses count for the day where the patient lives.")
        super().__init__(choices=TIME_ZONE_CHOICES, **kwargs)
        self.widget.attrs["data-browser-zone"] = ""


class RegimenSelect(forms.Select):
    """Each regimen's option says which schedules it allows, for static/js/portal.js.

    The script offers only those in the schedule fields; without it, the model's
    check refuses the others with a plain message.
    """

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        regimen = getattr(option["value"], "instance", None)
        if isinstance(regimen, DosingRegimen):
            option["attrs"]["data-days"] = " ".join(regimen.allowed_days())
            option["attrs"]["data-times"] = str(max(regimen.allowed_doses_per_day()))
        return option


class RegimenChoiceField(forms.ModelChoiceField):
    widget = RegimenSelect

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


def weight_field(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label="Body weight (kg)",
        max_digits=5,
        decimal_places=1,
        min_value=MIN_WEIGHT_KG,
        max_value=MAX_WEIGHT_KG,
        error_messages={"min_value": WEIGHT_MESSAGE, "max_value": WEIGHT_MESSAGE},
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        **kwargs,
    )


class PatientForm(forms.Form):
    """Who the medicines are for: the first step for an account that acts for no one."""

    FOR_SELF = "self"
    FOR_OTHER = "guardian"
    for_whom = forms.ChoiceField(
        label="Who is this for?",
        choices=[
            (FOR_SELF, "Myself"),
            (FOR_OTHER, "My child, or someone I look after as parent or guardian"),
        ],
        widget=forms.RadioSelect,
        initial=FOR_SELF,
    )
    name = forms.CharField(label="Their name", max_length=80, help_text="As the portal shows it.")
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time_zone = TimeZoneField()
    weight_kg = weight_field(
        required=False, help_text="Needed when a dose is by body weight, as for children."
    )

    def clean_date_of_birth(self) -> datetime.date | None:
        born: datetime.date | None = self.cleaned_data["date_of_birth"]
        if born is not None and not (EARLIEST_BIRTH <= born <= timezone.localdate()):
            raise ValidationError(BIRTH_MESSAGE)
        return born

    @property
    def role(self) -> str:
        if self.cleaned_data["for_whom"] == self.FOR_SELF:
            return CareRelationship.Role.SELF
        return CareRelationship.Role.GUARDIAN


class WeightForm(forms.Form):
    weight_kg = weight_field(help_text="Weighed today.")


class TherapyForm(forms.ModelForm):
    regimen = RegimenChoiceField(
        label="Medicine and what it treats",
        queryset=DosingRegimen.objects.none(),
        empty_label="Choose…",
    )
    first_time = forms.TimeField(
        label="Time of the dose",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        initial=datetime.time(8, 0),
    )
    second_time = forms.TimeField(
        label="Time of a second dose (optional)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Only for a medicine taken twice a day, such as a split dose.",
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="Days of the week",
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only for a medicine taken on chosen days, such as once a week.",
    )

    class Meta:
        model = Therapy
        fields = [
            "regimen",
            "prescribed_dose",
            "start_date",
            "end_date",
            "dose_days",
            "someone_else_injects",
        ]
        labels = {
            "prescribed_dose": "Prescribed dose",
            "start_date": "Date of the first dose",
            "end_date": "Date of the last dose (if it has stopped)",
            "dose_days": "Which days",
            "someone_else_injects": "Someone else usually gives the injection",
        }
        help_texts = {
            "prescribed_dose": (
                "As on the prescription: mg, or mg per kg of body weight if the regimen "
                "is dosed by weight."
            ),
            "start_date": "The day it started, or will start.",
        }
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "dose_days": forms.RadioSelect,
            "prescribed_dose": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regimen_field = self.fields["regimen"]
        assert isinstance(regimen_field, forms.ModelChoiceField)
        regimen_field.queryset = DosingRegimen.objects.filter(
            medicine__in=Medicine.objects.published()
        ).select_related("medicine")
        if self.instance.pk:
            times = self.instance.times
            self.initial.setdefault("first_time", times[0])
            if len(times) > 1:
                self.initial.setdefault("second_time", times[1])
            self.initial.setdefault("weekdays", self.instance.weekdays)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        times = [cleaned.get("first_time"), cleaned.get("second_time")]
        self.instance.dose_times = [t.strftime("%H:%M") for t in times if t is not None]
        chosen_days = cleaned.get("weekdays") or []
        self.instance.weekdays = (
            sorted(chosen_days) if cleaned.get("dose_days") == DoseDays.WEEKDAYS else []
        )
        return cleaned

    def _update_errors(self, errors: ValidationError) -> None:
        # The model checks the schedule as a whole ("dose_times", not a field here):
        # show it beside the time fields, unless the form already refused a time.
        if hasattr(errors, "error_dict") and "dose_times" in errors.error_dict:
            schedule = errors.error_dict.pop("dose_times")
            if not {"first_time", "second_time"} & self.errors.keys():
                errors.error_dict.setdefault("second_time", []).extend(schedule)
        # django-stubs leaves out this private hook too; ModelForm routes model errors here.
        super()._update_errors(errors)  # type: ignore[misc]

    def _post_clean(self) -> None:
        # The medicine follows from the regimen; set it before the model's clean().
        regimen = self.cleaned_data.get("regimen")
        if regimen is not None:
            self.instance.medicine = regimen.medicine
        refused = {name: len(errors) for name, errors in self.errors.items()}
        # django-stubs leaves out this private hook, the one Django runs model validation from.
        super()._post_clean()  # type: ignore[misc]
        # A value the form refused reaches the model as empty, so the model's clean()
        # would also ask for it right under the message about what was typed.
        for name, count in refused.items():
            del self.errors[name][count:]


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time, kept naive: the form decides the zone and a clock change."""

    def to_python(self, value: Any) -> datetime.datetime | None:
        if value in self.empty_values:
            return None
        for fmt in self.input_formats or ():
            try:
                return datetime.datetime.strptime(str(value).strip(), fmt)  # noqa: DTZ007
            except (TypeError, ValueError):
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class DoseForm(forms.Form):
    EXTRA = ""
    status = forms.ChoiceField(
        choices=DoseLog.Status.choices,
        widget=forms.RadioSelect,
        initial=DoseLog.Status.TAKEN,
        label="Did you take this dose?",
    )
    slot = forms.ChoiceField(
        label="Which scheduled dose",
        required=False,
        error_messages={"invalid_choice": "Choose one of the doses in the list."},
    )
    taken_at = LocalDateTimeField(
        label="When",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Local time where the patient lives.",
    )
    clock_change = forms.ChoiceField(
        label="Which one?",
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("first", "The first time (before the clocks went back)"),
            ("second", "The second time (after)"),
        ],
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

    def __init__(
        self, *args: Any, therapy: Therapy, slots: list[Slot], wording: Wording, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.therapy = therapy
        self.zone = therapy.patient.zone
        self.slots = {slot.key: slot for slot in slots}
        self.fields["status"].label = wording.did_take
        slot_field = self.fields["slot"]
        assert isinstance(slot_field, forms.ChoiceField)
        slot_field.choices = [
            *((slot.key, f"{slot.day:%a %-d %b}, {slot.label}") for slot in slots),
            (self.EXTRA, "An extra dose, not on the schedule"),
        ]
        site_field = self.fields["site"]
        assert isinstance(site_field, forms.ModelChoiceField)
        site_field.queryset = therapy.medicine.injection_sites.all()
        self.injected = therapy.is_injected
        if not self.injected:
            del self.fields["site"]
            del self.fields["helper_injecting"]

    @classmethod
    def initial_for(
        cls, therapy: Therapy, suggested: InjectionSite | None, slot: Slot | None, **extra: Any
    ) -> dict[str, Any]:
        day = slot.day if slot else therapy.patient.today()
        return {
            "status": DoseLog.Status.TAKEN,
            "slot": slot.key if slot else cls.EXTRA,
            "taken_at": timezone.localtime(timezone.now(), therapy.patient.zone).replace(
                second=0, microsecond=0, tzinfo=None
            ),
            "dose_mg": therapy.dose_mg_on(day),
            "site": suggested,
            "helper_injecting": therapy.someone_else_injects,
            "submission_id": uuid.uuid4(),
            **extra,
        }

    def clean_taken_at(self) -> datetime.datetime:
        naive: datetime.datetime = self.cleaned_data["taken_at"]
        # Before any zone arithmetic: year 1 in Tokyo is before year 1 in UTC.
        if naive.date() < EARLIEST_EVENT:
            raise ValidationError(EARLIEST_EVENT_MESSAGE, code="too_early")
        first, second = naive.replace(tzinfo=self.zone), naive.replace(tzinfo=self.zone, fold=1)
        # A wall time that does not survive a round trip through UTC never happened.
        if first.astimezone(datetime.UTC).astimezone(self.zone).replace(tzinfo=None) != naive:
            raise ValidationError(
                f"{naive:%-I:%M %p} did not happen on {naive:%-d %B %Y} where the patient "
                "lives: the clocks went forward an hour. Enter the time as the clock showed "
                "it after the change.",
                code="nonexistent",
            )
        taken_at = first
        if first.utcoffset() != second.utcoffset():
            answer = self.data.get(self.add_prefix("clock_change"), "")
            if answer not in ("first", "second"):
                raise ValidationError(
                    f"{naive:%-I:%M %p} happened twice on {naive:%-d %B %Y}, when the clocks "
                    "went back. Choose below whether it was the first or the second time.",
                    code="ambiguous",
                )
            taken_at = second if answer == "second" else first
        if taken_at > timezone.now() + FUTURE_GRACE:
            raise ValidationError(
                "That time is in the future. Enter when the dose was due or taken."
            )
        return taken_at

    @property
    def asks_clock_change(self) -> bool:
        return any(
            error.code == "ambiguous" for error in self.errors.as_data().get("taken_at", [])
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("status") == DoseLog.Status.TAKEN:
            dose = cleaned.get("dose_mg")
            if dose is None and "dose_mg" not in self.errors:
                self.add_error("dose_mg", "Enter the dose taken, in mg.")
            elif dose is not None and dose <= 0:
                self.add_error("dose_mg", "The dose must be more than 0 mg.")
            if self.injected:
                site = cleaned.get("site")
                if site is None:
                    self.add_error("site", "Choose where the injection was given.")
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
        slot = self.slots.get(data.get("slot") or "")
        return DoseEntry(
            status=data["status"],
            taken_at=data["taken_at"],
            dose_mg=data.get("dose_mg"),
            site=data.get("site"),
            slot_date=slot.day if slot else None,
            slot_time=slot.time if slot else None,
            note=data.get("note", ""),
            skip_reason=data.get("skip_reason", ""),
        )


def dose_initial_from(dose: DoseLog) -> dict[str, Any]:
    return {
        "status": dose.status,
        "slot": f"{dose.local_date.isoformat()}T{dose.slot_time:%H:%M}" if dose.slot_time else "",
        "taken_at": timezone.localtime(dose.taken_at, dose.patient.zone).replace(tzinfo=None),
        "dose_mg": dose.dose_mg,
        "site": dose.site,
        "helper_injecting": bool(dose.site and dose.site.needs_helper),
        "skip_reason": dose.skip_reason,
        "note": dose.note,
        "submission_id": uuid.uuid4(),
    }


class Wording:
    """What the pages say, by who is reading: the patient, or someone acting for them."""

    def __init__(self, patient: Patient, care: CareRelationship | None) -> None:
        self.is_self = care is not None and care.is_self
        self.name = patient.name

    @property
    def did_take(self) -> str:
        return "Did you take this dose?" if self.is_self else f"Did {self.name} get this dose?"

    @property
    def whose(self) -> str:
        return "Your" if self.is_self else f"{self.name}’s"


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
            elif started is not None and started < EARLIEST_EVENT:
                self.add_error(f"started_{effect.pk}", EARLIEST_EVENT_MESSAGE)
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
        if taken_on < EARLIEST_EVENT:
            raise ValidationError(EARLIEST_EVENT_MESSAGE)
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


class InviteForm(forms.Form):
    email = forms.EmailField(label="Their email address")
    role = forms.ChoiceField(
        label="They are",
        choices=[
            (
                CareRelationship.Role.CAREGIVER,
                "Another caregiver (a grandparent, a nurse, a sitter)",
            ),
            (CareRelationship.Role.GUARDIAN, "Another parent or guardian"),
        ],
        widget=forms.RadioSelect,
        initial=CareRelationship.Role.CAREGIVER,
    )


class NewAccountForm(forms.Form):
    """An account for someone invited to help: the email is the invitation's."""

    display_name = forms.CharField(label="Your name", max_length=80)
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="The same password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", "The two passwords are not the same.")
        elif password:
            try:
                password_validation.validate_password(password, User(email=self.email))
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class EmailChangeForm(forms.Form):
    """A new sign-in address, with the current password: an unattended session cannot
    hand the account to someone else's address."""

    new_email = forms.EmailField(
        label="New email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    current_password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, account: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_new_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["new_email"]).lower()
        if email == self.account.email:
            raise ValidationError("That is already your email address.")
        return email

    def clean_current_password(self) -> str:
        password: str = self.cleaned_data["current_password"]
        if not self.account.check_password(password):
            raise ValidationError("That is not your current password. Check it and try again.")
        return password


class AccountDeletionForm(forms.Form):
    reason = forms.CharField(
        label="Why are you closing your account? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="It helps the care team. You do not have to say.",
    )
    confirm = forms.BooleanField(
        label="I understand: my account will be closed and I will no longer be able to sign in.",
        error_messages={"required": "Tick the box to confirm, or go back to your account."},
    )
