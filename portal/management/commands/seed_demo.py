"""The demo world `make run` shows: an adult patient, a parent of two, a second caregiver,
a clinician on the patients' care team with a review queue, and a content editor and
reviewer of the medicine guides. Development only; loading it twice changes nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from monographs.models import DosingRegimen, Medicine
from portal.models import User
from portal.roles import CARE_TEAM, CONTENT_EDITORS, CONTENT_REVIEWERS
from tracking.models import (
    CareRelationship,
    CareTeam,
    DoseLog,
    LabResult,
    Patient,
    SideEffectReport,
    SideEffectReportItem,
    Therapy,
    Weight,
)

DEMO_PASSWORD = "demo-only-password"  # noqa: S105 - development only, refused without DEBUG
DEMO_PATIENT = "patient@example.com"
DEMO_PARENT = "parent@example.com"
DEMO_CAREGIVER = "caregiver@example.com"
DEMO_CLINICIAN = "clinician@example.com"
DEMO_EDITOR = "editor@example.com"
DEMO_REVIEWER = "reviewer@example.com"
DEMO_CLINIC = "Demo Clinic"
HISTORY_DAYS = 60
ZONE = "America/New_York"


class Command(BaseCommand):
    help = "Create the demo world (development only; needs DEBUG)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts exist only in development (DEBUG on).")
        medicine = Medicine.objects.filter(slug="anakinra").first()
        if medicine is None:
            raise CommandError("Run seed_monographs first: the demo world uses anakinra.")
        with transaction.atomic():
            dana = self._user(DEMO_PATIENT, "Dana")
            sam = self._user(DEMO_PARENT, "Sam")
            una = self._user(DEMO_CAREGIVER, "Una")
            clinician = self._staff(DEMO_CLINICIAN, "Dr Demo", CARE_TEAM)
            self._staff(DEMO_EDITOR, "Eddie Editor", CONTENT_EDITORS)
            self._staff(DEMO_REVIEWER, "Dr Rev", CONTENT_REVIEWERS)
            if not CareRelationship.objects.filter(account=dana).exists():
                self._dana(dana, medicine)
            if not CareRelationship.objects.filter(account=sam).exists():
                self._family(sam, una, medicine)
            clinic, _ = CareTeam.objects.get_or_create(name=DEMO_CLINIC)
            clinic.members.add(clinician)
            clinic.patients.add(*Patient.objects.filter(care__account__in=[dana, sam, una]))
        self.stdout.write(
            "Demo accounts (development only), all with the password "
            f"{DEMO_PASSWORD}:\n"
            f"  {DEMO_PATIENT}    Dana, on anakinra for RA, 60 days of history\n"
            f"  {DEMO_PARENT}     Sam, parent of Mia (NOMID, twice a day) and Leo (DIRA)\n"
            f"  {DEMO_CAREGIVER}  Una, a second caregiver of Mia\n"
            f"  {DEMO_CLINICIAN}  Dr Demo, {DEMO_CLINIC}'s care team (admin at /admin/)\n"
            f"  {DEMO_EDITOR}     Eddie, edits the medicine guides\n"
            f"  {DEMO_REVIEWER}   Dr Rev, reviews and publishes them\n"
            "Staff accounts set up an authenticator app the first time they sign in."
        )

    def _user(self, email: str, name: str, *, is_staff: bool = False) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, display_name=name, is_staff=is_staff
            )
        return user

    def _staff(self, email: str, name: str, role: str) -> User:
        user = self._user(email, name, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user

    def _patient(
        self, account: User, name: str, role: str, *, born: datetime.date | None = None
    ) -> Patient:
        patient = Patient.objects.create(name=name, date_of_birth=born, time_zone=ZONE)
        CareRelationship.objects.create(patient=patient, account=account, role=role)
        return patient

    def _dana(self, dana: User, medicine: Medicine) -> None:
        today = timezone.localdate(timezone=Patient(time_zone=ZONE).zone)
        patient = self._patient(dana, "Dana", CareRelationship.Role.SELF)
        therapy = Therapy.objects.create(
            patient=patient,
            medicine=medicine,
            regimen=_regimen(medicine, "Rheumatoid"),
            prescribed_dose=Decimal("100"),
            start_date=today - datetime.timedelta(days=HISTORY_DAYS),
            dose_times=["08:00"],
        )
        doses = _history(therapy, dana, today, skip_every=11, miss_every=17)
        effects = list(medicine.side_effects.filter(ask_after_dose=True))
        headache = next(e for e in effects if "headache" in e.name.lower())
        redness = next(e for e in effects if "where you injected" in e.name)
        for dose, effect, severity, review in (
            (doses[-3], redness, SideEffectReportItem.Severity.MILD, False),
            (doses[-1], headache, SideEffectReportItem.Severity.SEVERE, True),
        ):
            report = SideEffectReport.objects.create(
                patient=patient,
                entered_by=dana,
                dose=dose,
                urgency=effect.urgency,
                needs_review=review,
            )
            SideEffectReportItem.objects.create(
                report=report, side_effect=effect, severity=severity
            )
        rule = medicine.lab_rules.get(short_name="ANC")
        for month, value in ((0, 3400), (1, 2900), (2, 950)):
            LabResult.objects.create(
                patient=patient,
                entered_by=dana,
                rule=rule,
                due_month=month,
                taken_on=therapy.start_date + datetime.timedelta(days=30 * month),
                value=Decimal(value),
                entered_value=Decimal(value),
                entered_unit=LabResult.Unit.CELLS_PER_UL,
                needs_review=rule.needs_review(Decimal(value)),
            )

    def _family(self, sam: User, una: User, medicine: Medicine) -> None:
        today = timezone.localdate(timezone=Patient(time_zone=ZONE).zone)
        guardian = CareRelationship.Role.GUARDIAN
        mia = self._patient(sam, "Mia", guardian, born=today.replace(year=today.year - 4))
        leo = self._patient(sam, "Leo", guardian, born=today.replace(year=today.year - 7))
        CareRelationship.objects.create(
            patient=mia, account=una, role=CareRelationship.Role.CAREGIVER
        )
        start = today - datetime.timedelta(days=21)
        Weight.objects.create(patient=mia, measured_on=start, weight_kg=Decimal("16"))
        Weight.objects.create(patient=leo, measured_on=start, weight_kg=Decimal("22"))
        for patient, indication, times in (
            (mia, "NOMID", ["08:00", "20:00"]),
            (leo, "DIRA", ["07:30"]),
        ):
            therapy = Therapy.objects.create(
                patient=patient,
                medicine=medicine,
                regimen=_regimen(medicine, indication),
                prescribed_dose=Decimal("1"),
                start_date=start,
                dose_times=times,
                someone_else_injects=True,
            )
            _history(therapy, sam, today, skip_every=9, miss_every=6)


def _regimen(medicine: Medicine, indication: str) -> DosingRegimen:
    return medicine.regimens.get(indication__startswith=indication)


def _history(
    therapy: Therapy, by: User, today: datetime.date, *, skip_every: int, miss_every: int
) -> list[DoseLog]:
    """A dose in most slots up to yesterday: a skip and a miss now and then."""
    sites = therapy.usable_sites()
    rows = []
    day = therapy.start_date
    count = 0
    while day < today:
        for moment in therapy.slot_times_on(day):
            count += 1
            if count % miss_every == 0:
                continue
            skipped = count % skip_every == 0
            taken_at = datetime.datetime.combine(
                day, moment, tzinfo=therapy.patient.zone
            ) + datetime.timedelta(minutes=count % 25)
            rows.append(
                DoseLog(
                    patient=therapy.patient,
                    therapy=therapy,
                    status=DoseLog.Status.SKIPPED if skipped else DoseLog.Status.TAKEN,
                    taken_at=taken_at,
                    local_date=day,
                    slot_time=moment,
                    dose_mg=None if skipped else therapy.dose_mg_on(day),
                    site=None if skipped else sites[count % len(sites)],
                    skip_reason="Unwell" if skipped else "",
                    entered_by=by,
                )
            )
        day += datetime.timedelta(days=1)
    return DoseLog.objects.bulk_create(rows)
