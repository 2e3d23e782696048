"""The named world every test shares, browser tests included.

alice and bob are patients (bob must never see alice's data). Staff, each signed in
with a second factor: carol is on North Clinic's care team (every patient here but bob,
who is seen at South Clinic, where dave works), erin edits medicine guides, rita
reviews and publishes them, root is a superuser. alice_therapy and bob_therapy put them
on the seeded anakinra monograph; asking for a therapy (or for `clock`) freezes time at
NOW. The facts (NOW, TODAY, the regimens' names) and plain builders live in
tests/world.py; reading pages in tests/pages.py.
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
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage
from pytest_django import DjangoDbBlocker

from monographs.models import DosingRegimen, InjectionSite, LabRule, Medicine
from portal.models import User
from portal.roles import CARE_TEAM, CONTENT_EDITORS, CONTENT_REVIEWERS
from tests.world import (
    ALICE_STARTED,
    BOB_STARTED,
    DIRA,
    NOMID,
    NORTH_CLINIC,
    NOW,
    PASSWORD,
    RA,
    SOUTH_CLINIC,
    WEDNESDAY,
    BulkDoses,
    LogDose,
    MakeTherapy,
    end_access,
)
from tracking.models import CareRelationship, CareTeam, DoseLog, Patient, Therapy, Weight
from tracking.services import DoseEntry, record_dose


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher() -> Iterator[None]:
    """MD5 for the whole run: the real hasher is slow on purpose, and tests make many users."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _jobs_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Background jobs run inside the request, so no test needs a running worker."""
    # huey's immediate mode (what `HUEY.immediate = True` sets), undone exactly after
    # each test: the setter would rebuild the real storage on the way back.
    monkeypatch.setattr(HUEY, "_immediate", True)
    monkeypatch.setattr(HUEY, "storage", MemoryStorage(HUEY.name))


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


def staff_member(email: str, name: str, role: str | None, *, clinic: str | None = None) -> User:
    """A staff account in one role group (none for a superuser), on a clinic's care team."""
    if role is None:
        return User.objects.create_superuser(email, PASSWORD, display_name=name)
    user = User.objects.create_user(email, PASSWORD, display_name=name, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if clinic is not None:
        CareTeam.objects.get_or_create(name=clinic)[0].members.add(user)
    return user


@pytest.fixture
def carol(db: None) -> User:
    """A nurse on North Clinic's care team."""
    return staff_member("carol@example.com", "Carol", CARE_TEAM, clinic=NORTH_CLINIC)


@pytest.fixture
def dave(db: None) -> User:
    """A nurse on South Clinic's care team, where bob is seen."""
    return staff_member("dave@example.com", "Dave", CARE_TEAM, clinic=SOUTH_CLINIC)


@pytest.fixture
def erin(db: None) -> User:
    """Drafts changes to medicine guides."""
    return staff_member("erin@example.com", "Erin", CONTENT_EDITORS)


@pytest.fixture
def rita(db: None) -> User:
    """Reviews and publishes medicine guides."""
    return staff_member("rita@example.com", "Rita", CONTENT_REVIEWERS)


@pytest.fixture
def root(db: None) -> User:
    return staff_member("root@example.com", "Root", None)


@pytest.fixture
def alice_client(alice: User) -> Client:
    return _signed_in(alice)


@pytest.fixture
def bob_client(bob: User) -> Client:
    return _signed_in(bob)


@pytest.fixture
def carol_client(carol: User) -> Client:
    return _signed_in(carol)


@pytest.fixture
def dave_client(dave: User) -> Client:
    return _signed_in(dave)


@pytest.fixture
def erin_client(erin: User) -> Client:
    return _signed_in(erin)


@pytest.fixture
def rita_client(rita: User) -> Client:
    return _signed_in(rita)


@pytest.fixture
def root_client(root: User) -> Client:
    return _signed_in(root)


def _signed_in(account: User) -> Client:
    """A browser of the account's own: each *_client is a separate client, so a test may
    use several side by side, and pytest-django's `client` stays anonymous. Staff have
    also given their second factor (an authenticator app's code)."""
    client = Client()
    client.force_login(account)
    if account.is_staff:
        device = TOTPDevice.objects.create(user=account, name="Phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
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


# --- patients, therapies and doses --------------------------------------------------------


def patient_of(person: User | Patient, *, time_zone: str = "America/New_York") -> Patient:
    """A patient as given, or the account's own record (made on first use)."""
    if isinstance(person, Patient):
        return person
    care = CareRelationship.objects.filter(account=person, role=CareRelationship.Role.SELF).first()
    if care is not None:
        return care.patient
    patient = Patient.objects.create(name=person.get_short_name(), time_zone=time_zone)
    CareRelationship.objects.create(
        patient=patient, account=person, role=CareRelationship.Role.SELF
    )
    seen_at(patient, SOUTH_CLINIC if person.email == "bob@example.com" else NORTH_CLINIC)
    return patient


def seen_at(patient: Patient, clinic: str) -> None:
    patient.care_teams.add(CareTeam.objects.get_or_create(name=clinic)[0])


@pytest.fixture
def alice_patient(alice: User) -> Patient:
    """Alice's own record: she acts for herself, in New York."""
    return patient_of(alice)


@pytest.fixture
def make_therapy(
    clock: time_machine.Traveller, anakinra: Medicine, regimens: dict[str, DosingRegimen]
) -> MakeTherapy:
    """A valid, saved anakinra therapy; full_clean() first so a test never starts from a bad one.

    `person` is a patient, or an account (then its own patient record). For the per-kg
    regimens (NOMID, DIRA) prescribed_dose is mg/kg, and weight_kg is recorded from the
    start date.
    """

    def make(
        person: User | Patient,
        indication: str = RA,
        prescribed_dose: Decimal | str = "100",
        *,
        weight_kg: Decimal | str | None = None,
        start_date: datetime.date = ALICE_STARTED,
        someone_else_injects: bool = False,
        time_zone: str = "America/New_York",
        usual_dose_time: datetime.time = datetime.time(8, 0),
        dose_times: list[str] | None = None,
        medicine: Medicine | None = None,
        regimen: DosingRegimen | None = None,
        weekdays: list[int] | None = None,
    ) -> Therapy:
        patient = patient_of(person, time_zone=time_zone)
        if patient.time_zone != time_zone:
            patient.time_zone = time_zone
            patient.save(update_fields=["time_zone"])
        if weight_kg is not None:
            Weight.objects.update_or_create(
                patient=patient, measured_on=start_date, defaults={"weight_kg": Decimal(weight_kg)}
            )
        chosen = regimen or regimens[indication]
        therapy = Therapy(
            patient=patient,
            medicine=medicine or anakinra,
            regimen=chosen,
            prescribed_dose=Decimal(prescribed_dose),
            start_date=start_date,
            dose_times=dose_times or [usual_dose_time.strftime("%H:%M")],
            dose_days=chosen.allowed_days()[0],
            weekdays=weekdays or [],
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


# --- a family: sam, the parent of mia and leo, and una, who helps with mia --------------------


@pytest.fixture
def sam(db: None) -> User:
    return User.objects.create_user("sam@example.com", PASSWORD, display_name="Sam")


@pytest.fixture
def una(db: None) -> User:
    return User.objects.create_user("una@example.com", PASSWORD, display_name="Una")


@pytest.fixture
def mia(sam: User, una: User) -> Patient:
    """Sam's daughter, 4; Una, a second caregiver, acts for her too."""
    patient = Patient.objects.create(
        name="Mia", date_of_birth=datetime.date(2022, 5, 3), time_zone="America/New_York"
    )
    CareRelationship.objects.create(
        patient=patient, account=sam, role=CareRelationship.Role.GUARDIAN
    )
    CareRelationship.objects.create(
        patient=patient, account=una, role=CareRelationship.Role.CAREGIVER
    )
    seen_at(patient, NORTH_CLINIC)
    return patient


@pytest.fixture
def leo(sam: User) -> Patient:
    """Sam's son, 7."""
    patient = Patient.objects.create(
        name="Leo", date_of_birth=datetime.date(2019, 2, 11), time_zone="America/New_York"
    )
    CareRelationship.objects.create(
        patient=patient, account=sam, role=CareRelationship.Role.GUARDIAN
    )
    seen_at(patient, NORTH_CLINIC)
    return patient


@pytest.fixture
def mia_therapy(mia: Patient, make_therapy: MakeTherapy) -> Therapy:
    """Mia: NOMID, 1 mg/kg at 16 kg = 16 mg, twice a day at 08:00 and 20:00."""
    return make_therapy(
        mia, NOMID, "1", weight_kg="16", dose_times=["08:00", "20:00"], someone_else_injects=True
    )


@pytest.fixture
def leo_therapy(leo: Patient, make_therapy: MakeTherapy) -> Therapy:
    """Leo: DIRA, 1 mg/kg at 22 kg = 22 mg, once a day at 07:30."""
    return make_therapy(
        leo,
        DIRA,
        "1",
        weight_kg="22",
        usual_dose_time=datetime.time(7, 30),
        someone_else_injects=True,
    )


@pytest.fixture
def sam_client(sam: User) -> Client:
    return _signed_in(sam)


@pytest.fixture
def una_client(una: User) -> Client:
    return _signed_in(una)


@pytest.fixture
def una_ended(mia: Patient, una: User) -> User:
    """Una helped with Mia; Sam has ended her access, so she acts for no one."""
    end_access(una, mia)
    return una


@pytest.fixture
def weekly_pill(db: None) -> Medicine:
    """A second medicine that is not anakinra: a tablet once a week, no injection sites.

    Only tests make it; the seeded content stays anakinra only.
    """
    medicine = Medicine.objects.create(
        slug="weeklyzumab",
        generic_name="weeklyzumab",
        drug_class="A test medicine",
        route="By mouth",
        summary="A tablet taken once a week.",
        status=Medicine.Status.PUBLISHED,
    )
    DosingRegimen.objects.create(
        medicine=medicine,
        indication="Rheumatoid arthritis (RA)",
        basis=DosingRegimen.Basis.FIXED,
        usual_dose_low=Decimal("15"),
        usual_dose_high=Decimal("15"),
        max_daily=Decimal("25"),
        frequency=DosingRegimen.Frequency.WEEKLY,
    )
    return medicine


@pytest.fixture
def alice_pill(alice: User, make_therapy: MakeTherapy, weekly_pill: Medicine) -> Therapy:
    """Alice's weekly tablet, 15 mg on Wednesdays at 09:00, beside her daily anakinra."""
    return make_therapy(
        alice,
        prescribed_dose="15",
        medicine=weekly_pill,
        regimen=weekly_pill.regimens.get(),
        weekdays=[WEDNESDAY],
        usual_dose_time=datetime.time(9),
    )


@pytest.fixture
def log_dose() -> LogDose:
    """Log a dose through the same service the views use (the day's rules apply).

    Defaults: taken, the day's prescribed dose, the suggested site, the slot of the day
    whose time is nearest. A second dose in a slot is logged as if confirmed.
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
        slot_time: datetime.time | None = None,
        by: User | None = None,
    ) -> DoseLog:
        taken = status == DoseLog.Status.TAKEN
        day = therapy.patient.local_date(at)
        if taken and site is None and therapy.is_injected:
            site = therapy.suggest_site(
                DoseLog.objects.for_patient(therapy.patient).last_use_by_site()
            )
        if slot_time is None and therapy.times:
            local = at.astimezone(therapy.patient.zone)
            slot_time = min(
                therapy.times,
                key=lambda t: abs(
                    datetime.datetime.combine(day, t, tzinfo=therapy.patient.zone) - local
                ),
            )
        entry = DoseEntry(
            status=status,
            taken_at=at,
            dose_mg=(Decimal(dose_mg) if dose_mg is not None else therapy.dose_mg_on(day))
            if taken
            else None,
            site=site if taken else None,
            slot_date=day,
            slot_time=slot_time,
            note=note,
            skip_reason=skip_reason,
        )
        account = by or _acting_account(therapy.patient)
        return record_dose(
            therapy, entry, entered_by=account, submission_id=uuid.uuid4(), confirm_second=True
        )

    return log


def _acting_account(patient: Patient) -> User | None:
    care = patient.care.select_related("account").order_by("created_at").first()
    return care.account if care else None


@pytest.fixture
def make_bulk_doses() -> BulkDoses:
    """A long log in one query: count taken doses at 08:00 local time on count days
    ending yesterday, round the usable sites. bulk_create: no history rows, no rules."""

    def make(therapy: Therapy, count: int) -> list[DoseLog]:
        yesterday = therapy.patient.today() - datetime.timedelta(days=1)
        usable = therapy.usable_sites()
        rows = []
        for back in range(count):
            day = yesterday - datetime.timedelta(days=back)
            rows.append(
                DoseLog(
                    patient=therapy.patient,
                    therapy=therapy,
                    status=DoseLog.Status.TAKEN,
                    taken_at=datetime.datetime.combine(
                        day, datetime.time(8), therapy.patient.zone
                    ),
                    local_date=day,
                    slot_time=therapy.times[0],
                    dose_mg=therapy.dose_mg_on(day),
                    site=usable[back % len(usable)] if usable else None,
                )
            )
        return DoseLog.objects.bulk_create(rows)

    return make
