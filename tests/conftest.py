"""The named world every test shares, browser tests included.

alice and bob are patients (bob must never see alice's data), carol is a clinician on
the care team. alice_therapy and bob_therapy put them on the seeded anakinra monograph;
asking for a therapy (or for `clock`) freezes time at NOW. The facts (NOW, TODAY, the
regimens' names) and plain builders live in tests/world.py; reading pages in tests/pages.py.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client, override_settings
from pytest_django import DjangoDbBlocker

from monographs.models import DosingRegimen, InjectionSite, LabRule, Medicine
from portal.models import User
from tests.world import (
    ALICE_STARTED,
    BOB_STARTED,
    NOMID,
    NOW,
    PASSWORD,
    RA,
    BulkDoses,
    LogDose,
    MakeTherapy,
)
from tracking.models import DoseLog, Therapy
from tracking.services import DoseEntry, record_dose


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher() -> Iterator[None]:
    """MD5 for the whole run: the real hasher is slow on purpose, and tests make many users."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> None:
    """Seed the monograph once per run; each test's transaction rolls back its changes."""
    with django_db_blocker.unblock():
        call_command("seed_monographs", verbosity=0)


@pytest.fixture
def anakinra(db: None) -> Medicine:
    """The seeded, published anakinra monograph."""
    medicine = Medicine.objects.filter(slug="anakinra").first()
    if medicine is None:
        # A transactional test (the browser's live server) empties the tables after it.
        call_command("seed_monographs", verbosity=0)
        medicine = Medicine.objects.get(slug="anakinra")
    return medicine


@pytest.fixture
def regimens(anakinra: Medicine) -> dict[str, DosingRegimen]:
    """The seeded anakinra regimens by indication (RA, NOMID, KIDNEY in tests.world)."""
    return {regimen.indication: regimen for regimen in anakinra.regimens.all()}


@pytest.fixture
def sites(anakinra: Medicine) -> dict[str, InjectionSite]:
    """The seeded anakinra injection sites by body area ("left_thigh", ...)."""
    return {site.body_area: site for site in anakinra.injection_sites.all()}


@pytest.fixture
def anc_rule(anakinra: Medicine) -> LabRule:
    """The seeded blood test: ANC before the first dose, then at months 1, 2, 3, 6, 9, 12."""
    return anakinra.lab_rules.get(short_name="ANC")


# --- people ------------------------------------------------------------------------------


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice@example.com", PASSWORD, display_name="Alice")


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user("bob@example.com", PASSWORD, display_name="Bob")


@pytest.fixture
def carol(db: None) -> User:
    user = User.objects.create_user(
        "carol@example.com", PASSWORD, display_name="Carol", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Clinicians"))
    return user


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client: Client, bob: User) -> Client:
    client.force_login(bob)
    return client


@pytest.fixture
def carol_client(client: Client, carol: User) -> Client:
    client.force_login(carol)
    return client


# --- time --------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still at NOW; a test moves it with clock.move_to(...)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def browser_clock() -> Iterator[time_machine.Traveller]:
    """The server's clock starts at NOW and keeps going.

    A live server and a browser need time to pass (timeouts, waits), so it cannot stand
    still; starting at NOW, every run shows the same dates, in screenshots too.
    tests/browser/conftest.py makes it the `clock` of every browser test.
    """
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


# --- therapies and doses -----------------------------------------------------------------


@pytest.fixture
def make_therapy(
    clock: time_machine.Traveller, anakinra: Medicine, regimens: dict[str, DosingRegimen]
) -> MakeTherapy:
    """A valid, saved anakinra therapy; full_clean() first so a test never starts from a bad one.

    For the per-kg regimens (NOMID) prescribed_dose is mg/kg and weight_kg is needed.
    """

    def make(
        patient: User,
        indication: str = RA,
        prescribed_dose: Decimal | str = "100",
        *,
        weight_kg: Decimal | str | None = None,
        start_date: datetime.date = ALICE_STARTED,
        someone_else_injects: bool = False,
        time_zone: str = "America/New_York",
        usual_dose_time: datetime.time = datetime.time(8, 0),
    ) -> Therapy:
        therapy = Therapy(
            patient=patient,
            medicine=anakinra,
            regimen=regimens[indication],
            prescribed_dose=Decimal(prescribed_dose),
            weight_kg=None if weight_kg is None else Decimal(weight_kg),
            start_date=start_date,
            time_zone=time_zone,
            usual_dose_time=usual_dose_time,
            someone_else_injects=someone_else_injects,
        )
        therapy.full_clean()
        therapy.save()
        return therapy

    return make


@pytest.fixture
def alice_therapy(alice: User, make_therapy: MakeTherapy) -> Therapy:
    """Alice: anakinra for RA, 100 mg once a day at 08:00, started 40 days ago, in New York."""
    return make_therapy(alice, RA, "100")


@pytest.fixture
def bob_therapy(bob: User, make_therapy: MakeTherapy) -> Therapy:
    """Bob: the same, but started 100 days ago, so his dates differ from alice's."""
    return make_therapy(bob, RA, "100", start_date=BOB_STARTED)


@pytest.fixture
def nomid_therapy(alice: User, make_therapy: MakeTherapy) -> Therapy:
    """Alice instead on the NOMID regimen: 2 mg/kg at 10 kg, so at most 8 x 10 = 80 mg a day."""
    return make_therapy(alice, NOMID, "2", weight_kg="10")


@pytest.fixture
def log_dose() -> LogDose:
    """Log a dose through the same service the views use (the day's rules apply).

    Defaults: taken, the prescribed dose, the suggested site. A second dose on a
    once-daily day is logged as if the patient confirmed it.
    """

    def log(
        therapy: Therapy,
        at: datetime.datetime,
        *,
        dose_mg: Decimal | str | None = None,
        site: InjectionSite | None = None,
        status: str = DoseLog.Status.TAKEN,
        skip_reason: str = "",
        note: str = "",
    ) -> DoseLog:
        taken = status == DoseLog.Status.TAKEN
        if taken and site is None:
            site = therapy.suggest_site(
                DoseLog.objects.for_patient(therapy.patient).last_use_by_site()
            )
        entry = DoseEntry(
            status=status,
            taken_at=at,
            dose_mg=(Decimal(dose_mg) if dose_mg is not None else therapy.dose_mg)
            if taken
            else None,
            site=site if taken else None,
            note=note,
            skip_reason=skip_reason,
        )
        return record_dose(therapy, entry, submission_id=uuid.uuid4(), confirm_second=True)

    return log


@pytest.fixture
def make_bulk_doses() -> BulkDoses:
    """A long log in one query: count taken doses at 08:00 local time on count days
    ending yesterday, round the usable sites. bulk_create: no history rows, no rules."""

    def make(therapy: Therapy, count: int) -> list[DoseLog]:
        yesterday = therapy.today() - datetime.timedelta(days=1)
        usable = therapy.usable_sites()
        rows = []
        for back in range(count):
            day = yesterday - datetime.timedelta(days=back)
            rows.append(
                DoseLog(
                    patient=therapy.patient,
                    therapy=therapy,
                    status=DoseLog.Status.TAKEN,
                    taken_at=datetime.datetime.combine(day, datetime.time(8), therapy.zone),
                    local_date=day,
                    dose_mg=therapy.dose_mg,
                    site=usable[back % len(usable)],
                )
            )
        return DoseLog.objects.bulk_create(rows)

    return make
