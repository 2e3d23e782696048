"""What a patient writes: their therapy and their dose log.

Rules live here: a therapy knows its daily maximum, its dose days and the next
injection site; views and services ask.
"""

from __future__ import annotations

import datetime
import functools
import secrets
import uuid
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Self, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from monographs.models import DosingRegimen, InjectionSite, LabRule, Medicine, SideEffect
from portal.models import User

if TYPE_CHECKING:
    from portal.models import User

MIN_WEIGHT_KG = Decimal("0.5")
MAX_WEIGHT_KG = Decimal("350")
MAX_START_DAYS_AHEAD = 60
WEIGHT_MESSAGE = "Enter a body weight between 0.5 and 350 kg."


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


@functools.cache
def known_time_zones() -> frozenset[str]:
    """The zone names on this machine, read once: each read walks the tz database on disk."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError("Choose a time zone from the list, e.g. America/New_York.")


DUE_SOON_DAYS = 14


@dataclass(frozen=True)
class LabDue:
    """One scheduled test: which rule, which month, when, and its result if recorded."""

    rule: LabRule
    month: int
    due_date: datetime.date
    result: LabResult | None

    def state(self, today: datetime.date) -> str:
        if self.result is not None:
            return "done"
        if self.due_date < today:
            return "overdue"
        if (self.due_date - today).days <= DUE_SOON_DAYS:
            return "soon"
        return "upcoming"

    @property
    def label(self) -> str:
        if self.month == 0:
            return f"{self.rule.short_name} before your first dose"
        return f"{self.rule.short_name} at month {self.month}"


class TherapyQuerySet(models.QuerySet["Therapy"]):
    def for_patient(self, user: User) -> TherapyQuerySet:
        return self.filter(patient=user)


class Therapy(models.Model):
    """One patient's prescription: which regimen, what dose, since when."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="therapy"
    )
    medicine = models.ForeignKey(Medicine, on_delete=models.PROTECT, related_name="+")
    regimen = models.ForeignKey(DosingRegimen, on_delete=models.PROTECT, related_name="+")
    prescribed_dose = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), message="The dose must be more than 0.")],
        help_text="Each dose, in the regimen's unit: mg, or mg/kg for a weight-based regimen.",
    )
    weight_kg = models.DecimalField(
        "body weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(MIN_WEIGHT_KG, message=WEIGHT_MESSAGE),
            MaxValueValidator(MAX_WEIGHT_KG, message=WEIGHT_MESSAGE),
        ],
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    usual_dose_time = models.TimeField(default=datetime.time(8, 0))
    someone_else_injects = models.BooleanField(
        default=False, help_text="Someone else gives the injection, so more sites can be used."
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = TherapyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "therapies"
        constraints = [
            models.CheckConstraint(
                condition=Q(prescribed_dose__gt=0), name="therapy_dose_positive"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="therapy_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} on {self.medicine}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        regimen = self.regimen if self.regimen_id else None
        if regimen is not None and self.medicine_id and regimen.medicine_id != self.medicine_id:
            errors["regimen"] = "Choose a regimen of the chosen medicine."
        if regimen is not None and regimen.is_weight_based and self.weight_kg is None:
            errors["weight_kg"] = "This regimen is dosed by body weight: enter the weight in kg."
        # One dose may not pass the day's maximum; what a day adds up to is checked
        # when doses are logged (a split regimen may be taken once or twice a day).
        if (
            regimen is not None
            and self.prescribed_dose is not None
            and not errors
            and self.prescribed_dose > regimen.max_daily
        ):
            errors["prescribed_dose"] = (
                f"That is more than this regimen allows: at most {regimen.max_daily_text}. "
                "Check the dose on your prescription."
            )
        if self.start_date is not None:
            zone = self.zone if self.time_zone in known_time_zones() else None
            latest = timezone.localdate(timezone=zone) + datetime.timedelta(
                days=MAX_START_DAYS_AHEAD
            )
            if self.start_date > latest:
                errors["start_date"] = (
                    f"The start date is too far ahead. Use a date on or before {latest:%-d %B %Y}."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.zone).date()

    def today(self) -> datetime.date:
        return self.local_date(timezone.now())

    @property
    def dose_mg(self) -> Decimal:
        """One dose in mg."""
        if self.regimen.is_weight_based:
            return (self.prescribed_dose * (self.weight_kg or 0)).quantize(Decimal("0.01"))
        return self.prescribed_dose

    def max_daily_mg(self) -> Decimal:
        return self.regimen.max_daily_mg(self.weight_kg)

    @property
    def doses_per_day(self) -> int:
        return self.regimen.doses_per_day

    def is_dose_day(self, day: datetime.date) -> bool:
        if day < self.start_date or (self.end_date is not None and day > self.end_date):
            return False
        if self.regimen.frequency == DosingRegimen.Frequency.EVERY_OTHER_DAY:
            return (day - self.start_date).days % 2 == 0
        return True

    def lab_due_dates(self, results: list[LabResult]) -> list[LabDue]:
        """Every scheduled test from the start date; a recorded result marks it done.

        Results are matched by month, so moving the start date moves only the dates.
        Once the therapy has ended, tests that would fall after the end are not due.
        """
        done = {(r.rule_id, r.due_month): r for r in results if r.due_month is not None}
        dues = [
            LabDue(rule=rule, month=month, due_date=due, result=done.get((rule.pk, month)))
            for rule in self.medicine.lab_rules.all()
            for month, due in rule.due_dates(self.start_date)
        ]
        if self.end_date is None:
            return dues
        return [d for d in dues if d.result is not None or d.due_date <= self.end_date]

    def usable_sites(self, sites: list[InjectionSite] | None = None) -> list[InjectionSite]:
        """The medicine's sites this patient may use; helper-only ones if someone helps."""
        if sites is None:
            sites = list(self.medicine.injection_sites.all())
        return [site for site in sites if self.someone_else_injects or not site.needs_helper]

    def suggest_site(
        self, last_used: dict[int, datetime.datetime], sites: list[InjectionSite] | None = None
    ) -> InjectionSite | None:
        """The least recently used usable site, so never the one used last.

        Sites never used come first, in the medicine's order. With two or more sites
        the one used last is the most recent, so least-recent order alone keeps it out.
        """
        candidates = sites if sites is not None else self.usable_sites()
        if not candidates:
            return None
        never = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        return min(candidates, key=lambda site: (last_used.get(site.pk, never), site.order))


class DayStatus(models.TextChoices):
    TAKEN = "taken", "Taken"
    SKIPPED = "skipped", "Skipped"
    MISSED = "missed", "Missed"
    DUE = "due", "Due today"
    NONE = "none", "No dose due"


def day_statuses(
    therapy: Therapy, first: datetime.date, last: datetime.date, logged: dict[datetime.date, str]
) -> list[tuple[datetime.date, DayStatus]]:
    """Each day from first to last: taken, skipped, missed, due (today) or none.

    ``logged`` maps a day to the best status logged on it ("taken" beats "skipped").
    """
    today = therapy.today()
    days = []
    day = first
    while day <= last:
        if day in logged:
            status = DayStatus(logged[day])
        elif not therapy.is_dose_day(day) or day > today:
            status = DayStatus.NONE
        elif day == today:
            status = DayStatus.DUE
        else:
            status = DayStatus.MISSED
        days.append((day, status))
        day += datetime.timedelta(days=1)
    return days


def adherence_percent(statuses: list[tuple[datetime.date, DayStatus]]) -> int | None:
    """Share of dose days with a dose taken; today counts only once it is logged."""
    counted = [
        s for _, s in statuses if s in (DayStatus.TAKEN, DayStatus.SKIPPED, DayStatus.MISSED)
    ]
    if not counted:
        return None
    taken = sum(1 for s in counted if s == DayStatus.TAKEN)
    return round(100 * taken / len(counted))


class DoseLogQuerySet(models.QuerySet["DoseLog"]):
    def for_patient(self, user: User) -> DoseLogQuerySet:
        return self.filter(patient=user)

    def taken(self) -> DoseLogQuerySet:
        return self.filter(status=DoseLog.Status.TAKEN)

    def on_day(self, day: datetime.date) -> DoseLogQuerySet:
        return self.filter(local_date=day)

    def between(self, first: datetime.date, last: datetime.date) -> DoseLogQuerySet:
        return self.filter(local_date__gte=first, local_date__lte=last)

    def status_by_day(self) -> dict[datetime.date, str]:
        rows = self.values_list("local_date", "status").distinct().order_by()
        logged: dict[datetime.date, str] = {}
        for day, status in rows:
            if logged.get(day) != DoseLog.Status.TAKEN:
                logged[day] = status
        return logged

    def last_use_by_site(self) -> dict[int, datetime.datetime]:
        rows = (
            self.taken()
            .filter(site__isnull=False)
            .values("site")
            .annotate(last=Max("taken_at"))
            .order_by()
        )
        return {row["site"]: row["last"] for row in rows}


class DoseLog(models.Model):
    class Status(models.TextChoices):
        TAKEN = "taken", "Taken"
        SKIPPED = "skipped", "Skipped"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dose_logs"
    )
    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="dose_logs")
    status = models.CharField(max_length=8, choices=Status, default=Status.TAKEN)
    taken_at = models.DateTimeField("when")
    # The patient's own calendar day when it was logged: a dose at 23:30 in New York
    # counts for that day even though it is already tomorrow in UTC.
    local_date = models.DateField(db_index=True)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    site = models.ForeignKey(
        InjectionSite, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    skip_reason = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # One per rendered form: a double click or a resubmitted form cannot make two rows.
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["submission_id"])

    objects = DoseLogQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-taken_at"], name="doselog_patient_time"),
            models.Index(fields=["patient", "local_date"], name="doselog_patient_day"),
            models.Index(fields=["patient", "site", "taken_at"], name="doselog_patient_site"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status="taken", dose_mg__gt=0, site__isnull=False)
                    | Q(status="skipped", dose_mg__isnull=True)
                ),
                name="doselog_taken_has_dose_and_site",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} on {self.local_date}"

    def get_absolute_url(self) -> str:
        return reverse("tracking:dose-edit", kwargs={"uuid": self.uuid})

    @property
    def is_taken(self) -> bool:
        return self.status == self.Status.TAKEN

    def logged_message(self) -> str:
        """What the patient is told once this entry is saved, in the active time zone."""
        when = timezone.localtime(self.taken_at).strftime("%-I:%M %p")
        if self.is_taken:
            return f"Dose logged: {self.dose_mg_text} mg at {when}, {self.site}."
        return f"Skipped dose logged for {self.local_date:%-d %B}."

    @property
    def dose_mg_text(self) -> str:
        """The dose without trailing zeros ("100", "1.5"); empty for a skipped dose.

        A taken dose always has one: the doselog_taken_has_dose_and_site constraint.
        """
        return "" if self.dose_mg is None else f"{self.dose_mg.normalize():f}"


_Reviewable = TypeVar("_Reviewable", bound="Reviewable")


class ReviewQuerySet(models.QuerySet[_Reviewable]):
    def awaiting_review(self) -> Self:
        return self.filter(needs_review=True, reviewed_at__isnull=True)


class Reviewable(models.Model):
    """Something a patient reported that the care team may need to look at."""

    needs_review = models.BooleanField(default=False, db_index=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None


class SideEffectReportQuerySet(ReviewQuerySet["SideEffectReport"]):
    def for_patient(self, user: User) -> SideEffectReportQuerySet:
        return self.filter(patient=user)


class SideEffectReport(Reviewable):
    """One answer to "since your last dose, have you had any of these?"."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="side_effect_reports"
    )
    dose = models.ForeignKey(
        DoseLog, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    none_reported = models.BooleanField("none of these", default=False)
    other = models.TextField("something else", blank=True)
    # The most urgent tier reported, kept so the review queue sorts in the database.
    urgency = models.PositiveSmallIntegerField(
        choices=SideEffect.Urgency, null=True, blank=True, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = SideEffectReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dose"], condition=Q(dose__isnull=False), name="one_report_per_dose"
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.created_at:%Y-%m-%d} by {self.patient}"

    def get_absolute_url(self) -> str:
        return reverse("tracking:side-effect-detail", kwargs={"uuid": self.uuid})

    @property
    def is_emergency(self) -> bool:
        return self.urgency == SideEffect.Urgency.EMERGENCY

    @property
    def is_call_doctor(self) -> bool:
        return self.urgency == SideEffect.Urgency.CALL_DOCTOR


class SideEffectReportItem(models.Model):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    report = models.ForeignKey(SideEffectReport, on_delete=models.CASCADE, related_name="items")
    side_effect = models.ForeignKey(SideEffect, on_delete=models.PROTECT, related_name="+")
    severity = models.CharField(max_length=8, choices=Severity, blank=True)
    started_on = models.DateField("started on", null=True, blank=True)

    class Meta:
        ordering = ["side_effect__urgency", "side_effect__order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "side_effect"], name="report_item_unique"),
        ]

    def __str__(self) -> str:
        return self.side_effect.name


class LabResultQuerySet(ReviewQuerySet["LabResult"]):
    def for_patient(self, user: User) -> LabResultQuerySet:
        return self.filter(patient=user)


class LabResult(Reviewable):
    class Unit(models.TextChoices):
        CELLS_PER_UL = "cells_ul", "cells/µL"
        GIGA_PER_L = "giga_l", "×10⁹/L"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_results"
    )
    rule = models.ForeignKey(LabRule, on_delete=models.PROTECT, related_name="+")
    # Which scheduled test this result answers (months after the start); None for an
    # extra test. Keyed by month, not date, so moving the start date never moves it.
    due_month = models.PositiveSmallIntegerField(null=True, blank=True)
    taken_on = models.DateField("date of the test")
    value = models.DecimalField(
        "value (cells/µL)", max_digits=9, decimal_places=1, validators=[MinValueValidator(0)]
    )
    entered_value = models.DecimalField(max_digits=9, decimal_places=2)
    entered_unit = models.CharField(max_length=8, choices=Unit)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = LabResultQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "rule", "due_month"],
                condition=Q(due_month__isnull=False),
                name="one_result_per_due_test",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="lab_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.short_name} {self.value} on {self.taken_on}"

    def get_absolute_url(self) -> str:
        return reverse("tracking:lab-result", kwargs={"uuid": self.uuid})


class PatientPreferences(models.Model):
    """Reminder choices and the secret behind the private calendar feed."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    email_lab_reminders = models.BooleanField("email me about blood tests", default=True)
    email_dose_reminders = models.BooleanField(
        "email me when today's dose is not logged", default=True
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)

    class Meta:
        verbose_name_plural = "patient preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.patient}"

    def reset_calendar_token(self) -> None:
        self.calendar_token = new_calendar_token()
        self.save(update_fields=["calendar_token"])


class ReminderDelivery(models.Model):
    """One reminder, claimed before it is sent so it goes out at most once."""

    class Reason(models.TextChoices):
        LAB_SOON = "lab_soon", "Blood test due in 3 days"
        LAB_TODAY = "lab_today", "Blood test due today"
        LAB_OVERDUE = "lab_overdue", "Blood test overdue"
        DOSE_NOT_LOGGED = "dose", "Dose not logged"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    reason = models.CharField(max_length=12, choices=Reason)
    due_date = models.DateField()
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "reason", "due_date"], name="one_reminder_per_reason_and_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} for {self.patient} ({self.due_date})"


def to_cells_per_ul(value: Decimal, unit: str) -> Decimal:
    """×10⁹/L to cells/µL: 1.5 ×10⁹/L is 1,500 cells/µL."""
    return value * 1000 if unit == LabResult.Unit.GIGA_PER_L else value


def describe_days(due: datetime.date, today: datetime.date) -> str:
    days = (due - today).days
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    if days > 1:
        return f"due in {days} days"
    if days == -1:
        return "1 day overdue"
    return f"{-days} days overdue"


def prompt_side_effects(medicine: Medicine) -> list[SideEffect]:
    return list(
        SideEffect.objects.filter(medicine=medicine, ask_after_dose=True).order_by(
            "urgency", "order", "id"
        )
    )
