"""Load data for the benchmarks: many patients with months or years of history, made fast.

The same arguments make the same rows: one random.Random(seed, label) drives every
choice, every UUID and every date, counted back from --end-date (today in UTC unless
given). Rows go in with bulk_create, a batch of patients at a time, so 10,000 patients
with a year each take minutes. Refused with DJANGO_ENV=production.

What a run makes, per patient: an account (adults their own, with a SELF relationship;
children in pairs with one guardian account acting for both), one or two clinics, a time
zone, a therapy on the anakinra monograph (once a day, every other day, or by weight once
or twice a day, with dated weights), a dose in most slots (rotating sites), a skip with
a reason now and then, misses (no row, sometimes several days running), a side-effect
answer after some doses, and a result for most of the lab rule's due tests.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models import prefetch_related_objects

from monographs.models import DosingRegimen, InjectionSite, LabRule, Medicine, SideEffect
from portal.models import User
from tracking.models import (
    EARLIEST_EVENT,
    CareRelationship,
    CareTeam,
    DoseLog,
    LabResult,
    Patient,
    PatientPreferences,
    SideEffectReport,
    SideEffectReportItem,
    Therapy,
    Weight,
    prompt_side_effects,
)

LOAD_PASSWORD = "load-data-password"  # noqa: S105 - load data, refused in production
# Hashed once per run with a fixed salt: every account shares it, and the same arguments
# give the same rows.
PASSWORD_SALT = "kineretloaddata"  # noqa: S105
ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
]
CLINICS = ["Riverside Clinic", "Lakeside Clinic", "Hilltop Clinic", "Harbour Clinic"]
FIRST_NAMES = [
    "Ada", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Hugo", "Isla", "Jon",
    "Kira", "Luis", "Maya", "Nico", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara",
]  # fmt: skip
FAMILY_NAMES = [
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
    "Jones", "Khan", "Lopez", "Moreau", "Nguyen", "Okafor", "Patel", "Rossi", "Silva",
]  # fmt: skip
SKIP_REASONS = ["Unwell", "Travelling", "Told to pause by the doctor", "Ran out of syringes"]
OTHER_EFFECTS = ["Tired in the afternoon", "A little dizzy after the dose", "Itchy skin"]

# Each patient's share of missed slots (no row) and skipped ones (a row with a reason).
MISS_RATE = 0.05
SKIP_RATE = 0.03
# A few times a year a patient misses several days running (away, ill).
AWAY_START_RATE = 1 / 120
# The share of taken doses answered in the side-effect checklist, and of those answers
# that name something rather than "none".
REPORT_RATE = 0.15
REPORT_NAMES_RATE = 0.2
LAB_DONE_RATE = 0.88
WEIGHT_EVERY_DAYS = 60
# Doses and their answers are written every this many rows, to keep memory flat.
FLUSH_ROWS = 20_000
INSERT_BATCH = 2_000


@dataclass(frozen=True)
class Kind:
    """A kind of patient the mix repeats: who they are and what they take."""

    regimen: str  # the start of the regimen's indication
    dose: Decimal
    times: tuple[str, ...]
    child: bool = False
    someone_else_injects: bool = False


# Patient i is KINDS[i % 10]; so patient 0 is always an adult on once-daily RA, and a
# child (8) is followed by a sibling (9) with the same guardian.
KINDS = [
    Kind("Rheumatoid", Decimal("100"), ("08:00",)),
    Kind("Rheumatoid", Decimal("100"), ("07:00",)),
    Kind("Rheumatoid", Decimal("100"), ("21:00",)),
    Kind("Rheumatoid", Decimal("100"), ("08:30",)),
    Kind("Rheumatoid", Decimal("100"), ("19:00",)),
    Kind("Rheumatoid", Decimal("100"), ("12:00",), someone_else_injects=True),
    Kind("Severe kidney", Decimal("100"), ("09:00",)),
    Kind("Rheumatoid", Decimal("100"), ("06:30",)),
    Kind("NOMID", Decimal("1"), ("08:00", "20:00"), child=True, someone_else_injects=True),
    Kind("DIRA", Decimal("2"), ("07:30",), child=True, someone_else_injects=True),
]


# A patient, the account that acts for them, and what kind of patient they are.
Person = tuple[Patient, User, Kind]


@dataclass
class Counts:
    accounts: int = 0
    patients: int = 0
    care: int = 0
    weights: int = 0
    therapies: int = 0
    taken: int = 0
    skipped: int = 0
    reports: int = 0
    report_items: int = 0
    lab_results: int = 0
    preferences: int = 0


@contextlib.contextmanager
def dated_as_given(*models_: type[models.Model]) -> Iterator[None]:
    """Let bulk_create keep the created_at/updated_at the load data gives.

    Their auto_now(_add) would stamp every row with the moment of the run, and the
    pages read them (reports are listed and summed by created_at). A management
    command runs in one thread; the flags are restored however it ends.
    """
    fields = [
        field
        for model in models_
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    try:
        for field in fields:
            field.auto_now = field.auto_now_add = False
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class Generator:
    """Makes the rows of one run; patients are numbered from 0 in the order they are made."""

    def __init__(self, *, seed: int, label: str, days: int, end: datetime.date) -> None:
        # Repeatable on purpose; nothing here is a secret anyone relies on.
        self.rng = random.Random(f"{seed}:{label}")  # noqa: S311
        self.label = label
        self.end = end
        self.start = end - datetime.timedelta(days=days)
        # Nothing is logged at or after midnight UTC of the end date: a run on the end
        # date itself never writes a future dose, and any run writes the same rows.
        self.cutoff = datetime.datetime.combine(end, datetime.time(0), datetime.UTC)
        self.password = make_password(LOAD_PASSWORD, salt=PASSWORD_SALT)
        self.counts = Counts()
        self.doses: list[DoseLog] = []
        self.reports: list[tuple[SideEffectReport, list[SideEffectReportItem]]] = []

        medicine = Medicine.objects.filter(slug="anakinra").first()
        if medicine is None:
            call_command("seed_monographs", verbosity=0)
            medicine = Medicine.objects.get(slug="anakinra")
        self.medicine = medicine
        regimens = list(medicine.regimens.all())
        self.regimens = {kind.regimen: _regimen(regimens, kind.regimen) for kind in KINDS}
        self.sites: list[InjectionSite] = list(medicine.injection_sites.all())
        self.rules = list(medicine.lab_rules.all())
        effects = prompt_side_effects(medicine)
        self.mild_effects = [e for e in effects if e.urgency == SideEffect.Urgency.TELL_DOCTOR]
        self.urgent_effects = [e for e in effects if e.urgency != SideEffect.Urgency.TELL_DOCTOR]
        self.teams = [CareTeam.objects.get_or_create(name=name)[0] for name in CLINICS]

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def at(self, day: datetime.date, hour: int = 12) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour), datetime.UTC)

    def make(self, patients: int, batch_size: int) -> Counts:
        with dated_as_given(
            Patient, CareRelationship, Weight, Therapy, DoseLog, SideEffectReport, LabResult
        ):
            for first in range(0, patients, batch_size):
                with transaction.atomic():
                    self._batch(range(first, min(first + batch_size, patients)))
        return self.counts

    def _batch(self, numbers: range) -> None:
        accounts: list[User] = []
        people: list[Person] = []
        for number in numbers:
            kind = KINDS[number % len(KINDS)]
            sibling = bool(kind.child and people and people[-1][2].child and number % 2 == 1)
            family = people[-1][0].name.split()[-1] if sibling else self.rng.choice(FAMILY_NAMES)
            name = f"{self.rng.choice(FIRST_NAMES)} {family}"
            if sibling:
                account = people[-1][1]  # the same guardian
            else:
                prefix = "guardian-" if kind.child else ""
                account = User(
                    email=f"{self.label}-{prefix}{number:05d}@example.com",
                    password=self.password,
                    display_name=f"{self.rng.choice(FIRST_NAMES)} {family}"
                    if kind.child
                    else name,
                    date_joined=self.at(self.start - datetime.timedelta(days=3)),
                )
                accounts.append(account)
            years = self.rng.randint(2, 15) if kind.child else self.rng.randint(22, 80)
            patient = Patient(
                uuid=self.uuid(),
                name=name,
                date_of_birth=self.end.replace(year=self.end.year - years, day=1),
                time_zone=ZONES[number % len(ZONES)],
                created_at=self.at(self.start - datetime.timedelta(days=3)),
            )
            people.append((patient, account, kind))
        User.objects.bulk_create(accounts, batch_size=INSERT_BATCH)
        Patient.objects.bulk_create([p for p, _, _ in people], batch_size=INSERT_BATCH)
        self.counts.accounts += len(accounts)
        self.counts.patients += len(people)

        self._care_and_clinics(people)
        self._preferences(accounts)
        self._weights(people)
        patients = [patient for patient, _, _ in people]
        prefetch_related_objects(patients, "weights")
        therapies = self._therapies(people)
        self._lab_results(therapies)
        for therapy, account in therapies:
            self._doses(therapy, account)
            if len(self.doses) >= FLUSH_ROWS:
                self._flush()
        self._flush()

    def _care_and_clinics(self, people: list[Person]) -> None:
        care = [
            CareRelationship(
                patient=patient,
                account=account,
                role=CareRelationship.Role.GUARDIAN if kind.child else CareRelationship.Role.SELF,
                created_at=patient.created_at,
            )
            for patient, account, kind in people
        ]
        CareRelationship.objects.bulk_create(care, batch_size=INSERT_BATCH)
        self.counts.care += len(care)
        chosen = [
            (patient, self.rng.sample(self.teams, 2 if self.rng.random() < 0.05 else 1))
            for patient, _, _ in people
        ]
        membership = Patient.care_teams.through
        membership.objects.bulk_create(
            [
                membership(patient_id=patient.pk, careteam_id=team.pk)
                for patient, teams in chosen
                for team in teams
            ],
            batch_size=INSERT_BATCH,
        )

    def _preferences(self, accounts: list[User]) -> None:
        rows = [
            PatientPreferences(
                account=account,
                email_lab_reminders=self.rng.random() < 0.9,
                email_dose_reminders=self.rng.random() < 0.8,
                calendar_token=base64.urlsafe_b64encode(
                    self.rng.getrandbits(256).to_bytes(32, "big")
                ).decode()[:43],
            )
            for account in accounts
            if self.rng.random() < 0.5
        ]
        PatientPreferences.objects.bulk_create(rows, batch_size=INSERT_BATCH)
        self.counts.preferences += len(rows)

    def _weights(self, people: list[Person]) -> None:
        rows = []
        for patient, account, kind in people:
            if kind.child:
                kg = Decimal(self.rng.randint(120, 350)) / 10
                day = self.start - datetime.timedelta(days=2)
                while day < self.end:
                    rows.append(self._weight(patient, account, day, kg))
                    kg += Decimal(self.rng.randint(1, 4)) / 10
                    day += datetime.timedelta(days=WEIGHT_EVERY_DAYS)
            elif self.rng.random() < 0.3:
                kg = Decimal(self.rng.randint(500, 1100)) / 10
                rows.append(self._weight(patient, account, self.start, kg))
        Weight.objects.bulk_create(rows, batch_size=INSERT_BATCH)
        self.counts.weights += len(rows)

    def _weight(self, patient: Patient, account: User, day: datetime.date, kg: Decimal) -> Weight:
        return Weight(
            patient=patient,
            measured_on=day,
            weight_kg=kg,
            entered_by=account,
            created_at=self.at(day, 18),
        )

    def _therapies(self, people: list[Person]) -> list[tuple[Therapy, User]]:
        made = []
        for patient, account, kind in people:
            therapy = Therapy(
                uuid=self.uuid(),
                patient=patient,
                medicine=self.medicine,
                regimen=self.regimens[kind.regimen],
                prescribed_dose=kind.dose,
                start_date=self.start,
                dose_times=list(kind.times),
                dose_days=self.regimens[kind.regimen].allowed_days()[0],
                someone_else_injects=kind.someone_else_injects,
                updated_at=self.at(self.start - datetime.timedelta(days=1)),
            )
            # The model's own rules (regimen, schedule, dates) without a query per row.
            therapy.full_clean(
                exclude=["patient", "medicine", "regimen"],
                validate_unique=False,
                validate_constraints=False,
            )
            made.append((therapy, account))
        Therapy.objects.bulk_create([t for t, _ in made], batch_size=INSERT_BATCH)
        self.counts.therapies += len(made)
        return made

    def _lab_results(self, therapies: list[tuple[Therapy, User]]) -> None:
        rows = []
        last_day = self.end - datetime.timedelta(days=1)
        for therapy, account in therapies:
            for rule in self.rules:
                for month, due in rule.due_dates(therapy.start_date):
                    if due >= self.end or self.rng.random() >= LAB_DONE_RATE:
                        continue
                    taken_on = due + datetime.timedelta(days=self.rng.randint(-5, 6))
                    taken_on = max(EARLIEST_EVENT, min(taken_on, last_day))
                    rows.append(self._lab_result(therapy, account, rule, month, taken_on))
                if self.rng.random() < 0.1 and therapy.start_date < last_day:
                    span = (last_day - therapy.start_date).days
                    day = therapy.start_date + datetime.timedelta(days=self.rng.randint(0, span))
                    rows.append(self._lab_result(therapy, account, rule, None, day))
        LabResult.objects.bulk_create(rows, batch_size=INSERT_BATCH)
        self.counts.lab_results += len(rows)

    def _lab_result(
        self, therapy: Therapy, account: User, rule: LabRule, month: int | None, day: datetime.date
    ) -> LabResult:
        value = Decimal(max(400, min(9000, round(self.rng.gauss(3600, 1100), -1))))
        giga = self.rng.random() < 0.2
        created = min(
            self.at(day + datetime.timedelta(days=self.rng.randint(1, 3)), 18), self.cutoff
        )
        needs_review = rule.needs_review(value)
        return LabResult(
            uuid=self.uuid(),
            patient=therapy.patient,
            entered_by=account,
            rule=rule,
            due_month=month,
            taken_on=day,
            value=value,
            entered_value=(value / 1000).quantize(Decimal("0.01")) if giga else value,
            entered_unit=LabResult.Unit.GIGA_PER_L if giga else LabResult.Unit.CELLS_PER_UL,
            needs_review=needs_review,
            reviewed_at=self._reviewed_at(created) if needs_review else None,
            created_at=created,
        )

    def _reviewed_at(self, created: datetime.datetime) -> datetime.datetime | None:
        """The care team has seen anything flagged more than two weeks ago."""
        if created >= self.cutoff - datetime.timedelta(days=14):
            return None
        return created + datetime.timedelta(days=1)

    def _doses(self, therapy: Therapy, account: User) -> None:
        sites = therapy.usable_sites(self.sites)
        zone = therapy.patient.zone
        turn = self.rng.randrange(len(sites))
        away_until = therapy.start_date
        day = therapy.start_date
        while day <= self.end:
            if day >= away_until and self.rng.random() < AWAY_START_RATE:
                away_until = day + datetime.timedelta(days=self.rng.randint(2, 5))
            for moment in therapy.slot_times_on(day):
                due_at = datetime.datetime.combine(day, moment, zone)
                taken_at = due_at + datetime.timedelta(minutes=self.rng.randint(-20, 75))
                roll = self.rng.random()
                if taken_at >= self.cutoff or day < away_until or roll < MISS_RATE:
                    continue
                dose = DoseLog(
                    uuid=self.uuid(),
                    patient=therapy.patient,
                    therapy=therapy,
                    taken_at=taken_at,
                    local_date=day,
                    slot_time=moment,
                    entered_by=account,
                    created_at=taken_at + datetime.timedelta(minutes=self.rng.randint(0, 30)),
                )
                if roll < MISS_RATE + SKIP_RATE:
                    dose.status = DoseLog.Status.SKIPPED
                    dose.skip_reason = self.rng.choice(SKIP_REASONS)
                    self.counts.skipped += 1
                else:
                    # Mostly the next site in turn; now and then wherever was handy.
                    turn = turn + 1 if self.rng.random() < 0.9 else self.rng.randrange(len(sites))
                    dose.status = DoseLog.Status.TAKEN
                    dose.dose_mg = therapy.dose_mg_on(day)
                    dose.site = sites[turn % len(sites)]
                    self.counts.taken += 1
                    if self.rng.random() < REPORT_RATE:
                        self._report(dose, account)
                self.doses.append(dose)
            day += datetime.timedelta(days=1)

    def _report(self, dose: DoseLog, account: User) -> None:
        created = dose.taken_at + datetime.timedelta(minutes=self.rng.randint(5, 120))
        if created >= self.cutoff:
            return
        report = SideEffectReport(
            uuid=self.uuid(),
            patient=dose.patient,
            entered_by=account,
            dose=dose,
            created_at=created,
        )
        items: list[SideEffectReportItem] = []
        if self.rng.random() >= REPORT_NAMES_RATE or not self.mild_effects:
            report.none_reported = True
        else:
            pool = self.urgent_effects if self.rng.random() < 0.05 else self.mild_effects
            chosen = self.rng.sample(pool, min(len(pool), self.rng.choice((1, 1, 2))))
            severities = [
                SideEffectReportItem.Severity.SEVERE
                if self.rng.random() < 0.05
                else self.rng.choice(
                    (SideEffectReportItem.Severity.MILD, SideEffectReportItem.Severity.MODERATE)
                )
                for _ in chosen
            ]
            items = [
                SideEffectReportItem(
                    report=report,
                    side_effect=effect,
                    severity=severity,
                    started_on=dose.local_date,
                )
                for effect, severity in zip(chosen, severities, strict=True)
            ]
            report.other = self.rng.choice(OTHER_EFFECTS) if self.rng.random() < 0.03 else ""
            report.urgency = min(effect.urgency for effect in chosen)
            # The rule services.report_side_effects applies to a patient's answer.
            report.needs_review = bool(
                report.urgency <= SideEffect.Urgency.CALL_DOCTOR
                or report.other
                or SideEffectReportItem.Severity.SEVERE in severities
            )
            if report.needs_review:
                report.reviewed_at = self._reviewed_at(created)
        self.reports.append((report, items))

    def _flush(self) -> None:
        DoseLog.objects.bulk_create(self.doses, batch_size=INSERT_BATCH)
        reports = [report for report, _ in self.reports]
        SideEffectReport.objects.bulk_create(reports, batch_size=INSERT_BATCH)
        items = [item for _, report_items in self.reports for item in report_items]
        SideEffectReportItem.objects.bulk_create(items, batch_size=INSERT_BATCH)
        self.counts.reports += len(reports)
        self.counts.report_items += len(items)
        self.doses = []
        self.reports = []


def _regimen(regimens: list[DosingRegimen], start: str) -> DosingRegimen:
    for regimen in regimens:
        if regimen.indication.startswith(start):
            return regimen
    raise CommandError(f"The anakinra monograph has no regimen for {start!r}.")


class Command(BaseCommand):
    help = (
        "Make a large, realistic, repeatable data set for the benchmarks "
        "(never in production). Adds to the database: use a throwaway one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, required=True)
        parser.add_argument("--days", type=int, required=True, help="days of history each")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--end-date",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day the history leads up to (YYYY-MM-DD); today in UTC by default",
        )
        parser.add_argument(
            "--label",
            default="load",
            help="starts every email address, so a second run with another label adds more",
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="patients per batch")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DJANGO_ENV == "production":
            raise CommandError(
                "Load data is for benchmarks only: refused with DJANGO_ENV=production."
            )
        patients, days, label = options["patients"], options["days"], options["label"]
        if patients < 1 or days < 1 or options["batch_size"] < 1:
            raise CommandError("--patients, --days and --batch-size must be at least 1.")
        if User.objects.filter(email__startswith=f"{label}-").exists():
            raise CommandError(
                f"Load data labelled {label!r} is already here: use another --label or a "
                "fresh database."
            )
        end = options["end_date"] or datetime.datetime.now(datetime.UTC).date()
        started = time.perf_counter()
        generator = Generator(seed=options["seed"], label=label, days=days, end=end)
        counts = generator.make(patients, options["batch_size"])
        if connection.vendor == "postgresql":
            # As autovacuum would soon: plans on a freshly loaded table are guesses.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{counts.patients} patients ({counts.accounts} accounts, {counts.care} care "
            f"relationships, {counts.preferences} reminder preferences), {counts.therapies} "
            f"therapies, {counts.weights} weights, {counts.taken + counts.skipped} dose "
            f"entries ({counts.taken} taken, {counts.skipped} skipped), {counts.reports} "
            f"side-effect answers ({counts.report_items} items), {counts.lab_results} lab "
            f"results; {days} days to {end:%Y-%m-%d}, in {elapsed:.1f} s. "
            f"Every account's password: {LOAD_PASSWORD}"
        )
