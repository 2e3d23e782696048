"""Medicine monographs: everything a clinician edits and a patient reads.

Every model keeps its full change history (django-simple-history), so a clinician
can see who changed what and revert it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords


class MedicineQuerySet(models.QuerySet["Medicine"]):
    def published(self) -> MedicineQuerySet:
        return self.filter(status=Medicine.Status.PUBLISHED)


class Medicine(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (staff only)"
        PUBLISHED = "published", "Published"

    slug = models.SlugField(unique=True, help_text="Part of the page address, e.g. anakinra.")
    generic_name = models.CharField(max_length=120)
    brand_name = models.CharField(max_length=120, blank=True)
    drug_class = models.CharField("class", max_length=200)
    route = models.CharField(max_length=120, help_text="e.g. Injection under the skin")
    summary = models.TextField(help_text="One plain-language paragraph shown at the top.")
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    reviewed_on = models.DateField("medically reviewed on", null=True, blank=True)
    reviewed_by = models.CharField(
        "reviewed by", max_length=120, blank=True, help_text="Name and role of the reviewer."
    )
    strength_mg = models.DecimalField(
        "strength: mg",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="With the volume below, shows each dose in mL too: e.g. 100 mg in 0.67 mL.",
    )
    strength_ml = models.DecimalField(
        "strength: in mL",
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    ml_decimals = models.PositiveSmallIntegerField(
        "round mL to decimal places",
        default=2,
        validators=[MaxValueValidator(3)],
        help_text="How a dose in mL is rounded for the person drawing it up.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = MedicineQuerySet.as_manager()

    class Meta:
        ordering = ["generic_name"]
        permissions = [("publish_medicine", "Can publish a reviewed medicine guide")]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("monographs:medicine-detail", kwargs={"slug": self.slug})

    @property
    def display_name(self) -> str:
        if self.brand_name:
            return f"{self.generic_name.capitalize()} ({self.brand_name})"
        return self.generic_name.capitalize()

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def dose_ml(self, dose_mg: Decimal) -> Decimal | None:
        """The volume of one dose, rounded as the clinician set; None without a strength."""
        if self.strength_mg is None or self.strength_ml is None:
            return None
        volume = dose_mg * self.strength_ml / self.strength_mg
        return volume.quantize(Decimal(1).scaleb(-self.ml_decimals))

    def preview_url(self) -> str:
        return reverse("monographs:medicine-preview", kwargs={"slug": self.slug})


class Reference(models.Model):
    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="references")
    order = models.PositiveSmallIntegerField(default=0)
    citation = models.TextField()
    url = models.URLField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.citation[:80]


class Section(models.Model):
    """A prose part of the monograph, written in Markdown."""

    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=120)
    anchor = models.SlugField(help_text="Link target in the contents list, e.g. how-to-inject.")
    body = models.TextField(help_text="Markdown. Scripts and unsafe HTML are removed.")
    reference = models.ForeignKey(
        Reference,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the facts in this section come from.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["medicine", "anchor"], name="section_anchor_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class DoseDays(models.TextChoices):
    """Which days a schedule makes doses on; a regimen allows some of them."""

    DAILY = "daily", "Every day"
    EVERY_OTHER_DAY = "every_other_day", "Every other day, counting from the start date"
    WEEKDAYS = "weekdays", "On chosen days of the week"


class DosingRegimen(models.Model):
    class Basis(models.TextChoices):
        FIXED = "fixed", "Fixed dose (mg)"
        PER_KG = "per_kg", "By body weight (mg/kg)"

    class Frequency(models.TextChoices):
        ONCE_DAILY = "once_daily", "Once a day"
        TWICE_DAILY = "twice_daily", "Once a day, or split into two doses"
        EVERY_OTHER_DAY = "every_other_day", "Every other day"
        WEEKLY = "weekly", "Once a week"

    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="regimens")
    order = models.PositiveSmallIntegerField(default=0)
    indication = models.CharField(max_length=200)
    population = models.CharField(max_length=200, blank=True)
    basis = models.CharField(max_length=8, choices=Basis, default=Basis.FIXED)
    usual_dose_low = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="mg for a fixed dose, mg/kg by body weight.",
    )
    usual_dose_high = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Same as the low end for a single fixed dose.",
    )
    max_daily = models.DecimalField(
        "maximum per day",
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="mg for a fixed dose, mg/kg by body weight.",
    )
    frequency = models.CharField(max_length=16, choices=Frequency, default=Frequency.ONCE_DAILY)
    weight_valid_days = models.PositiveSmallIntegerField(
        "ask for a new weight after (days)",
        default=90,
        validators=[MinValueValidator(1)],
        help_text="For a dose by body weight: how old the latest weight may be.",
    )
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(usual_dose_low__gt=0)
                & models.Q(usual_dose_high__gte=models.F("usual_dose_low"))
                & models.Q(max_daily__gte=models.F("usual_dose_high")),
                name="regimen_doses_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indication}: {self.dose_text}"

    def clean(self) -> None:
        low, high, top = self.usual_dose_low, self.usual_dose_high, self.max_daily
        if low is not None and high is not None and high < low:
            raise ValidationError({"usual_dose_high": "Must not be below the low end."})
        if high is not None and top is not None and top < high:
            raise ValidationError({"max_daily": "Must not be below the usual dose."})

    @property
    def is_weight_based(self) -> bool:
        return self.basis == self.Basis.PER_KG

    @property
    def unit(self) -> str:
        return "mg/kg" if self.is_weight_based else "mg"

    @property
    def doses_per_day(self) -> int:
        """The most doses a day this regimen splits into."""
        return 2 if self.frequency == self.Frequency.TWICE_DAILY else 1

    def allowed_doses_per_day(self) -> list[int]:
        """A split regimen may be taken once or twice a day; the others once."""
        return list(range(1, self.doses_per_day + 1))

    def allowed_days(self) -> list[DoseDays]:
        if self.frequency == self.Frequency.EVERY_OTHER_DAY:
            return [DoseDays.EVERY_OTHER_DAY]
        if self.frequency == self.Frequency.WEEKLY:
            return [DoseDays.WEEKDAYS]
        return [DoseDays.DAILY]

    @property
    def weekdays_per_week(self) -> int | None:
        """How many weekdays a weekly schedule must choose; None when days are not chosen."""
        return 1 if self.frequency == self.Frequency.WEEKLY else None

    @property
    def dose_text(self) -> str:
        low, high = plain_number(self.usual_dose_low), plain_number(self.usual_dose_high)
        amount = low if low == high else f"{low}–{high}"
        return f"{amount} {self.unit}"

    @property
    def max_daily_text(self) -> str:
        return f"{plain_number(self.max_daily)} {self.unit} a day"

    def max_daily_mg(self, weight_kg: Decimal | None = None) -> Decimal:
        """The most this regimen allows in one day, in mg, for a patient of this weight."""
        if not self.is_weight_based:
            return self.max_daily
        if weight_kg is None or weight_kg <= 0:
            raise ValueError("A weight-based regimen needs the patient's weight")
        return (self.max_daily * weight_kg).quantize(Decimal("0.01"))


class SideEffect(models.Model):
    class Urgency(models.IntegerChoices):
        # Ordered so that sorting by urgency puts the emergency tier first.
        EMERGENCY = 1, "Get emergency help now"
        CALL_DOCTOR = 2, "Call your doctor now"
        TELL_DOCTOR = 3, "Tell your doctor if it bothers you or does not go away"

    class Frequency(models.TextChoices):
        MORE_COMMON = "more", "More common"
        LESS_COMMON = "less", "Less common"
        NOT_KNOWN = "unknown", "How often is not known"

    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="side_effects")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    frequency = models.CharField(max_length=8, choices=Frequency, default=Frequency.NOT_KNOWN)
    urgency = models.PositiveSmallIntegerField(choices=Urgency, default=Urgency.TELL_DOCTOR)
    ask_after_dose = models.BooleanField(
        default=False, help_text="Ask the patient about this after each dose."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["urgency", "order", "id"]

    def __str__(self) -> str:
        return self.name


class SafetyWarning(models.Model):
    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="warnings")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "warning"

    def __str__(self) -> str:
        return self.title


class Interaction(models.Model):
    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="interactions")
    order = models.PositiveSmallIntegerField(default=0)
    agent = models.CharField("drug or class", max_length=200)
    advice = models.TextField("what to do")
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.agent


class Contraindication(models.Model):
    medicine = models.ForeignKey(
        Medicine, on_delete=models.CASCADE, related_name="contraindications"
    )
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


def validate_due_months(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("List at least one month, e.g. 0, 1, 2, 3.")
    if any(not isinstance(month, int) or isinstance(month, bool) for month in value):
        raise ValidationError("Months must be whole numbers.")
    if any(month < 0 or month > 120 for month in value):
        raise ValidationError("Months must be between 0 and 120.")
    if sorted(set(value)) != value:
        raise ValidationError("List each month once, in order.")


class LabRule(models.Model):
    """A monitoring test and when it is due, counted in months from the therapy start."""

    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="lab_rules")
    order = models.PositiveSmallIntegerField(default=0)
    test_name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=20, help_text="e.g. ANC")
    unit = models.CharField(max_length=40, default="cells/µL")
    due_months = models.JSONField(
        validators=[validate_due_months],
        help_text="Months after the start date; 0 means before the first dose.",
    )
    review_below = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A result below this goes to the care team for review. Optional.",
    )
    review_above = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A result above this goes to the care team for review. Optional.",
    )
    review_message = models.CharField(
        max_length=300,
        blank=True,
        default="Your care team will look at this result and contact you if anything is needed.",
    )
    # What a result means, in the care team's words: the range they expect, the word a
    # result outside it gets, and what to watch for. None of it is a diagnosis.
    usual_low = models.DecimalField(
        "usual range: from", max_digits=10, decimal_places=2, null=True, blank=True
    )
    usual_high = models.DecimalField(
        "usual range: to", max_digits=10, decimal_places=2, null=True, blank=True
    )
    low_word = models.CharField(
        "a result below the range is called", max_length=40, default="Lower than expected"
    )
    high_word = models.CharField(
        "a result above the range is called", max_length=40, default="Higher than expected"
    )
    watch_for = models.TextField(
        "what to watch for",
        blank=True,
        help_text="Shown with a result outside the range, e.g. when to call.",
    )
    plausible_max = models.DecimalField(
        "highest believable result",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="In the unit above; a larger number is refused as a typing mistake.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.test_name

    def due_dates(self, start: datetime.date) -> list[tuple[int, datetime.date]]:
        """(month, date) pairs; month ends clamp, so Jan 31 + 1 month is Feb 28 or 29."""
        return [(month, start + relativedelta(months=month)) for month in self.due_months]

    def needs_review(self, value: Decimal) -> bool:
        below = self.review_below is not None and value < self.review_below
        above = self.review_above is not None and value > self.review_above
        return below or above

    @property
    def schedule_text(self) -> str:
        parts = ["before the first dose" if m == 0 else f"month {m}" for m in self.due_months]
        return ", ".join(parts)


class InjectionSite(models.Model):
    class BodyArea(models.TextChoices):
        LEFT_THIGH = "left_thigh", "Front of left thigh"
        RIGHT_THIGH = "right_thigh", "Front of right thigh"
        LEFT_ABDOMEN = "left_abdomen", "Left side of lower belly"
        RIGHT_ABDOMEN = "right_abdomen", "Right side of lower belly"
        LEFT_ARM = "left_arm", "Back of left upper arm"
        RIGHT_ARM = "right_arm", "Back of right upper arm"
        LEFT_BUTTOCK = "left_buttock", "Upper outer left buttock"
        RIGHT_BUTTOCK = "right_buttock", "Upper outer right buttock"

    medicine = models.ForeignKey(
        Medicine, on_delete=models.CASCADE, related_name="injection_sites"
    )
    order = models.PositiveSmallIntegerField(default=0)
    body_area = models.CharField(max_length=16, choices=BodyArea)
    name = models.CharField(max_length=80)
    guidance = models.CharField(max_length=300, blank=True)
    needs_helper = models.BooleanField(
        default=False, help_text="Only when someone else gives the injection."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["medicine", "body_area"], name="site_area_unique"),
        ]

    def __str__(self) -> str:
        return self.name


def plain_number(value: Decimal) -> str:
    """100.00 -> "100", 1.50 -> "1.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
