"""The people and what they write: patients, who acts for them, therapies and doses.

Rules live here: a therapy knows its schedule's slots, its daily maximum on a day
and the next injection site; views and services ask.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import secrets
import uuid
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Self, TypeVar

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from monographs.models import (
    DoseDays,
    DosingRegimen,
    InjectionSite,
    LabRule,
    Medicine,
    SideEffect,
)

if TYPE_CHECKING:
    from portal.models import User

MIN_WEIGHT_KG = Decimal("0.5")
MAX_WEIGHT_KG = Decimal("350")
MAX_START_DAYS_AHEAD = 60
WEIGHT_MESSAGE = "Enter a body weight between 0.5 and 350 kg."
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# No dose, test or side effect the portal records happened before this day; earlier
# dates are typing slips (year 0001 even breaks time-zone arithmetic).
EARLIEST_EVENT = datetime.date(2000, 1, 1)
EARLIEST_EVENT_MESSAGE = "Enter a date from 1 January 2000 on."
BIRTH_MESSAGE = "Enter a date of birth between 1900 and today."


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
            return f"{self.rule.short_name} before the first dose"
        return f"{self.rule.short_name} at month {self.month}"


class PatientQuerySet(models.QuerySet["Patient"]):
    def for_account(self, account: User) -> PatientQuerySet:
        """The patients this account acts for now; an ended relationship gives none."""
        return self.filter(care__account=account, care__ended_at__isnull=True)

    def seen_by(self, staff: User) -> PatientQuerySet:
        """The patients a staff member's care teams look after; a superuser sees every one.

        The one rule for admin: each page of patient data is filtered through it.
        """
        if staff.is_superuser:
            return self
        teams = Patient.care_teams.through.objects.filter(careteam__members=staff)
        return self.filter(pk__in=teams.values("patient_id"))


PHONE_HELP = "Digits, spaces, +, - and brackets, e.g. (555) 010-2345."


def validate_phone(value: str) -> None:
    digits = [char for char in value if char.isdigit()]
    if set(value) - set("0123456789 +-().") or not 3 <= len(digits) <= 15:
        raise ValidationError("Type a phone number: digits, spaces, +, - and brackets.")


class CareTeam(models.Model):
    """A clinic: its staff members see its patients in admin, and no one else's."""

    name = models.CharField(max_length=120, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="care_teams",
        limit_choices_to={"is_staff": True},
        help_text="Staff who see this clinic's patients, reports and results.",
    )
    # Shown to the clinic's patients wherever the portal says "call your care team".
    contact_name = models.CharField(
        "who patients call", max_length=120, blank=True, help_text="e.g. Rheumatology nurses"
    )
    phone = models.CharField(
        "phone", max_length=30, blank=True, validators=[validate_phone], help_text=PHONE_HELP
    )
    hours = models.CharField(
        "when that phone is answered",
        max_length=120,
        blank=True,
        help_text="e.g. Mon–Fri 8 AM–5 PM",
    )
    after_hours_phone = models.CharField(
        "after-hours phone",
        max_length=30,
        blank=True,
        validators=[validate_phone],
        help_text=PHONE_HELP,
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class CareContact:
    """Who a patient calls: their own numbers if the care team set them, else the clinic's."""

    name: str
    phone: str
    hours: str
    after_hours_phone: str

    @staticmethod
    def tel(phone: str) -> str:
        """For a tel: link: the digits and a leading +, nothing else."""
        return ("+" if phone.strip().startswith("+") else "") + "".join(
            char for char in phone if char.isdigit()
        )

    @property
    def phone_tel(self) -> str:
        return self.tel(self.phone)

    @property
    def after_hours_tel(self) -> str:
        return self.tel(self.after_hours_phone)


class Patient(models.Model):
    """A person whose medicines are tracked. Accounts act for them (CareRelationship)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80, help_text="How the portal names this person.")
    date_of_birth = models.DateField("date of birth", null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    care_teams = models.ManyToManyField(
        CareTeam,
        blank=True,
        related_name="patients",
        help_text="The clinics whose care team looks after this person.",
    )
    # Set only when this person calls someone other than their clinic's usual line.
    care_phone = models.CharField(
        "care team phone for this patient",
        max_length=30,
        blank=True,
        validators=[validate_phone],
        help_text="Leave empty to use the clinic's. " + PHONE_HELP,
    )
    care_after_hours_phone = models.CharField(
        "after-hours phone for this patient",
        max_length=30,
        blank=True,
        validators=[validate_phone],
        help_text="Leave empty to use the clinic's. " + PHONE_HELP,
    )
    history = HistoricalRecords()

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tracking:dashboard", kwargs={"patient_uuid": self.uuid})

    def clean(self) -> None:
        born = self.date_of_birth
        if born is not None and not (EARLIEST_BIRTH <= born <= timezone.localdate()):
            raise ValidationError({"date_of_birth": BIRTH_MESSAGE})

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.zone).date()

    def today(self) -> datetime.date:
        return self.local_date(timezone.now())

    def care_contact(self) -> CareContact | None:
        """Whom to call, or None when no one has set a number yet. Reads care_teams.all(),
        so a page can prefetch it."""
        team = next((team for team in self.care_teams.all() if team.phone), None)
        phone = self.care_phone or (team.phone if team else "")
        if not phone:
            return None
        return CareContact(
            name=(team.contact_name if team else "") or "Your care team",
            phone=phone,
            hours=team.hours if team and not self.care_phone else "",
            after_hours_phone=self.care_after_hours_phone
            or (team.after_hours_phone if team else ""),
        )

    def weight_on(self, day: datetime.date) -> Decimal | None:
        """The weight in effect on that day: the latest one measured on or before it.

        Reads ``weights`` (prefetch it) so that a page of many days asks once.
        """
        weight = None
        for entry in self.weights.all():
            if entry.measured_on > day:
                break
            weight = entry.weight_kg
        return weight

    def latest_weight(self) -> Weight | None:
        weights = list(self.weights.all())
        return weights[-1] if weights else None


class CareRelationship(models.Model):
    """This account acts for this patient, until the relationship ends."""

    class Role(models.TextChoices):
        SELF = "self", "Themself"
        GUARDIAN = "guardian", "Parent or guardian"
        CAREGIVER = "caregiver", "Other caregiver"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care"
    )
    role = models.CharField(max_length=10, choices=Role)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "account"],
                condition=Q(ended_at__isnull=True),
                name="one_active_care_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} for {self.patient} ({self.get_role_display()})"

    @property
    def is_self(self) -> bool:
        return self.role == self.Role.SELF

    @property
    def may_manage_caregivers(self) -> bool:
        """The adult patient and parents or guardians invite and remove caregivers."""
        return self.role in (self.Role.SELF, self.Role.GUARDIAN)


class Weight(models.Model):
    """A dated body weight: the dose by weight on a day uses the one in effect then."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="weights")
    measured_on = models.DateField("date weighed")
    weight_kg = models.DecimalField(
        "body weight (kg)",
        max_digits=5,
        decimal_places=1,
        validators=[
            MinValueValidator(MIN_WEIGHT_KG, message=WEIGHT_MESSAGE),
            MaxValueValidator(MAX_WEIGHT_KG, message=WEIGHT_MESSAGE),
        ],
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["measured_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "measured_on"], name="one_weight_a_day"),
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg on {self.measured_on}"


class CaregiverInvitation(models.Model):
    """An emailed, signed link that lets one more account act for a patient, once."""

    VALID_FOR = datetime.timedelta(days=7)
    SALT = "tracking.caregiver-invitation"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(
        max_length=10,
        choices=[
            (CareRelationship.Role.GUARDIAN, CareRelationship.Role.GUARDIAN.label),
            (CareRelationship.Role.CAREGIVER, CareRelationship.Role.CAREGIVER.label),
        ],
        default=CareRelationship.Role.CAREGIVER,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to help {self.patient}"

    def token(self) -> str:
        return signing.TimestampSigner(salt=self.SALT).sign(str(self.uuid))

    @classmethod
    def from_token(cls, token: str) -> CaregiverInvitation | None:
        """The open invitation this token names; None if forged, expired, used or cancelled."""
        signer = signing.TimestampSigner(salt=cls.SALT)
        try:
            value = signer.unsign(token, max_age=cls.VALID_FOR)
            invitation_uuid = uuid.UUID(value)
        except (signing.BadSignature, ValueError):
            return None
        return (
            cls.objects.filter(uuid=invitation_uuid, accepted_at=None, cancelled_at=None)
            .select_related("patient", "invited_by")
            .first()
        )


class TherapyQuerySet(models.QuerySet["Therapy"]):
    def for_patient(self, patient: Patient) -> TherapyQuerySet:
        return self.filter(patient=patient)

    def active_on(self, day: datetime.date) -> TherapyQuerySet:
        return self.filter(start_date__lte=day).filter(Q(end_date=None) | Q(end_date__gte=day))


def default_dose_times() -> list[str]:
    return ["08:00"]


class Therapy(models.Model):
    """One prescription of one patient: which regimen, what dose, since when, on what schedule."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="therapies")
    medicine = models.ForeignKey(Medicine, on_delete=models.PROTECT, related_name="+")
    regimen = models.ForeignKey(DosingRegimen, on_delete=models.PROTECT, related_name="+")
    prescribed_dose = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), message="The dose must be more than 0.")],
        help_text="Each dose, in the regimen's unit: mg, or mg/kg for a weight-based regimen.",
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    # The schedule: "HH:MM" times of day in the patient's zone, and which days.
    dose_times = models.JSONField("times of day", default=default_dose_times)
    dose_days = models.CharField(
        "which days", max_length=16, choices=DoseDays, default=DoseDays.DAILY
    )
    weekdays = models.JSONField(
        "days of the week", default=list, blank=True, help_text="0 is Monday, 6 is Sunday."
    )
    someone_else_injects = models.BooleanField(
        default=False, help_text="Someone else gives the injection, so more sites can be used."
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = TherapyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "therapies"
        ordering = ["start_date", "id"]
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
        if regimen is not None:
            errors.update(self._schedule_errors(regimen))
        if (
            self.start_date is not None
            and self.end_date is not None
            and self.end_date < self.start_date
        ):
            errors["end_date"] = (
                "The date of the last dose cannot be before the date of the first."
            )
        if self.start_date is not None and self.start_date < EARLIEST_EVENT:
            errors["start_date"] = EARLIEST_EVENT_MESSAGE
        if self.start_date is not None:
            zone = self.patient.zone if self.patient_id else None
            latest = timezone.localdate(timezone=zone) + datetime.timedelta(
                days=MAX_START_DAYS_AHEAD
            )
            if self.start_date > latest:
                errors["start_date"] = (
                    f"The start date is too far ahead. Use a date on or before {latest:%-d %B %Y}."
                )
        if errors:
            raise ValidationError(errors)

    def _schedule_errors(self, regimen: DosingRegimen) -> dict[str, str]:
        errors: dict[str, str] = {}
        times = self.dose_times if isinstance(self.dose_times, list) else []
        try:
            parsed = sorted({datetime.time.fromisoformat(str(t)) for t in times})
        except ValueError:
            parsed = []
        allowed = regimen.allowed_doses_per_day()
        if not parsed or len(parsed) != len(times):
            errors["dose_times"] = "Enter each time of day once, like 08:00."
        elif len(parsed) not in allowed:
            most = max(allowed)
            errors["dose_times"] = (
                "This regimen is taken once a day: enter one time."
                if most == 1
                else f"This regimen is taken at most {most} times a day."
            )
        if self.dose_days not in regimen.allowed_days():
            choices = " or ".join(DoseDays(d).label.lower() for d in regimen.allowed_days())
            errors["dose_days"] = f"This regimen is taken {choices}."
        elif self.dose_days == DoseDays.WEEKDAYS:
            days = self.weekdays if isinstance(self.weekdays, list) else []
            wanted = regimen.weekdays_per_week
            if not days or any(d not in range(7) for d in days) or len(set(days)) != len(days):
                errors["weekdays"] = "Choose the days of the week."
            elif wanted is not None and len(days) != wanted:
                errors["weekdays"] = f"Choose {wanted} day{'s' if wanted > 1 else ''} of the week."
        return errors

    @property
    def times(self) -> list[datetime.time]:
        """The schedule's times of day, earliest first."""
        return sorted(datetime.time.fromisoformat(t) for t in self.dose_times)

    @property
    def schedule_text(self) -> str:
        """ "8:00 AM and 8:00 PM, every day" or "8:00 AM on Mondays"."""
        times = " and ".join(f"{t:%-I:%M %p}" for t in self.times)
        if self.dose_days == DoseDays.WEEKDAYS:
            names = [calendar.day_name[d] + "s" for d in sorted(self.weekdays)]
            return f"{times} on {' and '.join(names)}"
        return f"{times}, {DoseDays(self.dose_days).label.lower()}"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    @property
    def has_ended(self) -> bool:
        return self.end_date is not None and self.end_date < self.patient.today()

    def is_dose_day(self, day: datetime.date) -> bool:
        if not self.is_active_on(day):
            return False
        if self.dose_days == DoseDays.EVERY_OTHER_DAY:
            return (day - self.start_date).days % 2 == 0
        if self.dose_days == DoseDays.WEEKDAYS:
            return day.weekday() in self.weekdays
        return True

    def slot_times_on(self, day: datetime.date) -> list[datetime.time]:
        return self.times if self.is_dose_day(day) else []

    def dose_mg_on(self, day: datetime.date) -> Decimal | None:
        """One dose in mg on that day; None for a dose by weight with no weight yet."""
        if not self.regimen.is_weight_based:
            return self.prescribed_dose
        weight = self.patient.weight_on(day)
        if weight is None:
            return None
        return (self.prescribed_dose * weight).quantize(Decimal("0.01"))

    @property
    def dose_mg(self) -> Decimal | None:
        """Today's dose in mg."""
        return self.dose_mg_on(self.patient.today())

    @property
    def dose_ml(self) -> Decimal | None:
        """Today's dose as a volume to draw up, where the clinician entered a strength."""
        dose = self.dose_mg
        return None if dose is None else self.medicine.dose_ml(dose)

    def max_daily_mg_on(self, day: datetime.date) -> Decimal | None:
        """The most that day allows in mg, from the weight in effect that day."""
        if not self.regimen.is_weight_based:
            return self.regimen.max_daily
        weight = self.patient.weight_on(day)
        return None if weight is None else self.regimen.max_daily_mg(weight)

    def needs_new_weight(self, today: datetime.date) -> bool:
        """A dose by weight whose latest weight is older than the regimen allows."""
        if not self.regimen.is_weight_based:
            return False
        latest = self.patient.latest_weight()
        if latest is None:
            return True
        return (today - latest.measured_on).days > self.regimen.weight_valid_days

    @property
    def doses_per_day(self) -> int:
        return len(self.dose_times)

    @property
    def is_injected(self) -> bool:
        """Whether this medicine has injection sites (reads the prefetched sites)."""
        return bool(self.usable_sites())

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

    def last_use_by_site(self) -> dict[int, datetime.datetime]:
        """When the patient last used each site for this medicine (any of its therapies)."""
        return DoseLog.objects.filter(
            patient=self.patient_id, therapy__medicine=self.medicine_id
        ).last_use_by_site()

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


# A slot with nothing logged counts as missed once this long has passed after its time.
MISSED_AFTER = datetime.timedelta(hours=4)


class SlotStatus(models.TextChoices):
    TAKEN = "taken", "Taken"
    SKIPPED = "skipped", "Skipped"
    MISSED = "missed", "Missed"
    DUE = "due", "Due"
    LATER = "later", "Later today"


def part_of_day(moment: datetime.time) -> str:
    if moment.hour < 12:
        return "Morning"
    if moment.hour < 17:
        return "Afternoon"
    return "Evening"


@dataclass(frozen=True)
class Slot:
    """One scheduled dose of one therapy: a day and a time, and what was logged for it."""

    therapy: Therapy
    day: datetime.date
    time: datetime.time
    status: SlotStatus
    doses: tuple[DoseLog, ...] = ()

    @property
    def due_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.day, self.time, tzinfo=self.therapy.patient.zone)

    @property
    def label(self) -> str:
        """ "Evening, 8:00 PM" where the therapy has several times, else "8:00 AM"."""
        clock = f"{self.time:%-I:%M %p}"
        if self.therapy.doses_per_day > 1:
            return f"{part_of_day(self.time)}, {clock}"
        return clock

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}T{self.time:%H:%M}"

    @property
    def is_logged(self) -> bool:
        return self.status in (SlotStatus.TAKEN, SlotStatus.SKIPPED)

    @property
    def dose(self) -> DoseLog | None:
        """The entry that fills the slot: a taken dose before a skipped one."""
        taken = [d for d in self.doses if d.is_taken]
        entries = taken or list(self.doses)
        return entries[0] if entries else None


def slot_status(
    doses: tuple[DoseLog, ...], due_at: datetime.datetime, now: datetime.datetime
) -> SlotStatus:
    if any(dose.is_taken for dose in doses):
        return SlotStatus.TAKEN
    if doses:
        return SlotStatus.SKIPPED
    if now >= due_at + MISSED_AFTER:
        return SlotStatus.MISSED
    if now >= due_at:
        return SlotStatus.DUE
    return SlotStatus.LATER


def slots_between(
    therapies: list[Therapy],
    first: datetime.date,
    last: datetime.date,
    doses: list[DoseLog],
    now: datetime.datetime | None = None,
) -> list[Slot]:
    """Every scheduled dose of these therapies from first to last, with its status.

    ``doses`` are the patient's entries for those days; each fills the slot of its
    therapy, day and time. A dose outside the schedule fills no slot.
    """
    now = now or timezone.now()
    logged: dict[tuple[int, datetime.date, datetime.time | None], list[DoseLog]] = {}
    for dose in doses:
        logged.setdefault((dose.therapy_id, dose.local_date, dose.slot_time), []).append(dose)
    slots = []
    day = first
    while day <= last:
        for therapy in therapies:
            for moment in therapy.slot_times_on(day):
                filled = tuple(logged.get((therapy.pk, day, moment), ()))
                due_at = datetime.datetime.combine(day, moment, tzinfo=therapy.patient.zone)
                slots.append(Slot(therapy, day, moment, slot_status(filled, due_at, now), filled))
        day += datetime.timedelta(days=1)
    return sorted(slots, key=lambda slot: (slot.day, slot.time, slot.therapy.pk))


class DayStatus(models.TextChoices):
    TAKEN = "taken", "Taken"
    PART = "part", "Part taken"
    SKIPPED = "skipped", "Skipped"
    MISSED = "missed", "Missed"
    DUE = "due", "Due today"
    NONE = "none", "No dose due"


@dataclass(frozen=True)
class Day:
    """One day of the strip or calendar: its status and "1 of 2" doses taken."""

    day: datetime.date
    status: DayStatus
    taken: int = 0
    due: int = 0

    @property
    def count_text(self) -> str:
        return f"{self.taken} of {self.due}" if self.due > 1 else ""


def day_status(slots: list[Slot], extra: list[DoseLog]) -> tuple[DayStatus, int]:
    """A day's status from its slots; entries outside the schedule show as they were."""
    taken = sum(1 for slot in slots if slot.status == SlotStatus.TAKEN)
    if not slots:
        if any(dose.is_taken for dose in extra):
            return DayStatus.TAKEN, 0
        return (DayStatus.SKIPPED if extra else DayStatus.NONE), 0
    pending = sum(1 for slot in slots if slot.status in (SlotStatus.DUE, SlotStatus.LATER))
    if taken == len(slots):
        return DayStatus.TAKEN, taken
    if pending:
        return DayStatus.DUE, taken
    if taken:
        return DayStatus.PART, taken
    if all(slot.status == SlotStatus.SKIPPED for slot in slots):
        return DayStatus.SKIPPED, taken
    return DayStatus.MISSED, taken


def days_between(
    therapies: list[Therapy],
    first: datetime.date,
    last: datetime.date,
    doses: list[DoseLog],
    now: datetime.datetime | None = None,
) -> list[Day]:
    """Each day from first to last with its status, counting doses, not days."""
    slots = slots_between(therapies, first, last, doses, now)
    by_day: dict[datetime.date, list[Slot]] = {}
    for slot in slots:
        by_day.setdefault(slot.day, []).append(slot)
    filled = {(s.therapy.pk, s.day, s.time) for s in slots}
    extra: dict[datetime.date, list[DoseLog]] = {}
    for dose in doses:
        if (dose.therapy_id, dose.local_date, dose.slot_time) not in filled:
            extra.setdefault(dose.local_date, []).append(dose)
    # A day still to come has nothing due yet, whatever its slots.
    today = therapies[0].patient.local_date(now or timezone.now()) if therapies else None
    days = []
    day = first
    while day <= last:
        todays = by_day.get(day, [])
        if today is not None and day > today:
            days.append(Day(day, DayStatus.NONE, 0, len(todays)))
        else:
            status, taken = day_status(todays, extra.get(day, []))
            days.append(Day(day, status, taken, len(todays)))
        day += datetime.timedelta(days=1)
    return days


def days_over_limit(
    therapies: list[Therapy], doses: list[DoseLog]
) -> list[tuple[datetime.date, Therapy, Decimal, Decimal]]:
    """Days whose taken total passed that day's own maximum: (day, therapy, total, maximum).

    Logging refuses such a day, so one appears only when a weight entered later, or
    back-dated, lowers a day's maximum: the care team needs to see it.
    """
    totals: dict[tuple[int, datetime.date], Decimal] = {}
    for dose in doses:
        if dose.is_taken and dose.dose_mg is not None:
            key = (dose.therapy_id, dose.local_date)
            totals[key] = totals.get(key, Decimal(0)) + dose.dose_mg
    by_pk = {therapy.pk: therapy for therapy in therapies}
    flagged = []
    for (therapy_pk, day), total in sorted(totals.items(), key=lambda item: item[0][1]):
        therapy = by_pk.get(therapy_pk)
        maximum = therapy.max_daily_mg_on(day) if therapy else None
        if therapy is not None and maximum is not None and total > maximum:
            flagged.append((day, therapy, total, maximum))
    return flagged


@dataclass(frozen=True)
class Adherence:
    """Doses taken of the doses that were due: slots still to come are not counted."""

    taken: int
    due: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.taken / self.due) if self.due else None

    @classmethod
    def of(cls, slots: list[Slot]) -> Adherence:
        counted = [
            s
            for s in slots
            if s.status in (SlotStatus.TAKEN, SlotStatus.SKIPPED, SlotStatus.MISSED)
        ]
        return cls(taken=sum(1 for s in counted if s.status == SlotStatus.TAKEN), due=len(counted))


class DoseLogQuerySet(models.QuerySet["DoseLog"]):
    def for_patient(self, patient: Patient) -> DoseLogQuerySet:
        return self.filter(patient=patient)

    def taken(self) -> DoseLogQuerySet:
        return self.filter(status=DoseLog.Status.TAKEN)

    def on_day(self, day: datetime.date) -> DoseLogQuerySet:
        return self.filter(local_date=day)

    def between(self, first: datetime.date, last: datetime.date) -> DoseLogQuerySet:
        return self.filter(local_date__gte=first, local_date__lte=last)

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
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="dose_logs")
    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="dose_logs")
    status = models.CharField(max_length=8, choices=Status, default=Status.TAKEN)
    taken_at = models.DateTimeField("when")
    # The slot this entry fills: the patient's own day and the schedule's time of day.
    # A dose at 23:30 in New York counts for that day though it is tomorrow in UTC.
    local_date = models.DateField(db_index=True)
    slot_time = models.TimeField("scheduled time", null=True, blank=True)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    site = models.ForeignKey(
        InjectionSite, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    skip_reason = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
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
                    Q(status="taken", dose_mg__gt=0)
                    | Q(status="skipped", dose_mg__isnull=True, site__isnull=True)
                ),
                name="doselog_taken_has_dose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} on {self.local_date}"

    def get_absolute_url(self) -> str:
        return reverse(
            "tracking:dose-edit", kwargs={"patient_uuid": self.patient.uuid, "uuid": self.uuid}
        )

    @property
    def is_taken(self) -> bool:
        return self.status == self.Status.TAKEN

    def logged_message(self) -> str:
        """What the patient is told once this entry is saved, in the active time zone."""
        when = timezone.localtime(self.taken_at).strftime("%-I:%M %p")
        if self.is_taken:
            where = f", {self.site}" if self.site else ""
            return f"Dose logged: {self.dose_mg_text} mg at {when}{where}."
        return f"Skipped dose logged for {self.local_date:%-d %B}."

    @property
    def dose_mg_text(self) -> str:
        """The dose without trailing zeros ("100", "1.5"); empty for a skipped dose.

        A taken dose always has one: the doselog_taken_has_dose constraint.
        """
        return "" if self.dose_mg is None else f"{self.dose_mg.normalize():f}"


_Reviewable = TypeVar("_Reviewable", bound="Reviewable")


class ReviewQuerySet(models.QuerySet[_Reviewable]):
    def awaiting_review(self) -> Self:
        return self.filter(needs_review=True, reviewed_at__isnull=True)


class Reviewable(models.Model):
    """Something a patient reported that the care team may need to look at."""

    class Outcome(models.TextChoices):
        NO_ACTION = "no_action", "No action needed"
        ADVISED = "advised", "Called and advised"
        URGENT_CARE = "urgent_care", "Sent to urgent care or emergency"
        APPOINTMENT = "appointment", "Appointment or test arranged"
        MEDICINE_CHANGED = "medicine_changed", "Medicine paused or changed"
        OTHER = "other", "Other (see note)"

    needs_review = models.BooleanField(default=False, db_index=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the care team did, written when they mark it reviewed; kept in history.
    outcome = models.CharField(max_length=20, choices=Outcome, blank=True, default="")
    outcome_note = models.TextField("what was done", max_length=2000, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None


class SideEffectReportQuerySet(ReviewQuerySet["SideEffectReport"]):
    def for_patient(self, patient: Patient) -> SideEffectReportQuerySet:
        return self.filter(patient=patient)


class SideEffectReport(Reviewable):
    """One answer to "since your last dose, have you had any of these?"."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="side_effect_reports"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
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
        return reverse(
            "tracking:side-effect-detail",
            kwargs={"patient_uuid": self.patient.uuid, "uuid": self.uuid},
        )

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
    def for_patient(self, patient: Patient) -> LabResultQuerySet:
        return self.filter(patient=patient)


class LabResult(Reviewable):
    class Unit(models.TextChoices):
        CELLS_PER_UL = "cells_ul", "cells/µL"
        GIGA_PER_L = "giga_l", "×10⁹/L"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="lab_results")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
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
        return reverse(
            "tracking:lab-result", kwargs={"patient_uuid": self.patient.uuid, "uuid": self.uuid}
        )


class PatientPreferences(models.Model):
    """One account's reminder choices and the secret behind its private calendar feed.

    They belong to the account: each caregiver chooses their own reminders.
    """

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    email_lab_reminders = models.BooleanField("email me about blood tests", default=True)
    email_dose_reminders = models.BooleanField("email me when a dose is not logged", default=True)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)

    class Meta:
        verbose_name_plural = "reminder preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.account}"

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

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    # Who it was sent to: every caregiver who asked for reminders gets their own.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    reason = models.CharField(max_length=12, choices=Reason)
    due_date = models.DateField()
    # The dose slot's time ("20:00") for a dose reminder; empty for a blood test.
    slot = models.CharField(max_length=5, blank=True, default="")
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "reminder deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "patient", "reason", "due_date", "slot"],
                name="one_reminder_per_slot_and_account",
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
