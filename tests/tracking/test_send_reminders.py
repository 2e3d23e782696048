"""`manage.py send_reminders`: blood tests due soon, today or overdue, and each dose not logged.

Reminders count doses, not days: each slot of the schedule (mia's 08:00 and 20:00) is
reminded of on its own, two hours after its time in the patient's zone. Every account
that acts for the patient and asked for that kind of email gets its own copy (sam and una
for mia), and each goes out once, however often the command runs and however many copies
run at once, and even when the worker that claimed it died before sending. Time is
frozen: the command decides by the clock.
"""

from __future__ import annotations

import datetime
import io
import re
import threading
import zoneinfo
from collections.abc import Callable, Sequence

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection
from pytest_django.fixtures import Settings

from monographs.models import LabRule, Medicine
from portal.models import User
from tests.pages import medicine_names_in
from tests.world import (
    KIDNEY,
    NOMID,
    NOW,
    PASSWORD,
    RA,
    TODAY,
    LogDose,
    MakeTherapy,
    local_time,
    new_result,
    own_patient,
)
from tracking.models import (
    CareRelationship,
    DoseLog,
    Patient,
    PatientPreferences,
    ReminderDelivery,
    Therapy,
)
from tracking.reminders import CLAIM_LEASE, send_due_reminders, take_over
from tracking.services import end_care

Reason = ReminderDelivery.Reason
# mia_therapy started 40 days ago with no result: the baseline (9 October) and month 1
# (9 November) are overdue, each reminded of once a week, keyed by the week's first day.
BASELINE_WEEK = datetime.date(2026, 11, 13)
MONTH_1_WEEK = datetime.date(2026, 11, 16)


def _preferences(account: User, *, labs: bool = True, doses: bool = True) -> None:
    PatientPreferences.objects.update_or_create(
        account=account,
        defaults={"email_lab_reminders": labs, "email_dose_reminders": doses},
    )


@pytest.fixture
def with_month_1_due_on(make_therapy: MakeTherapy, anc_rule: LabRule) -> Callable[..., Therapy]:
    """A therapy whose only open test is month 1 (the baseline is done): labs emails only."""

    def make(account: User, due: datetime.date, *, time_zone: str = "America/New_York") -> Therapy:
        therapy = make_therapy(
            account, start_date=due - relativedelta(months=1), time_zone=time_zone
        )
        new_result(account, anc_rule, month=0, value=2500, taken_on=therapy.start_date)
        _preferences(account, doses=False)
        return therapy

    return make


def _deliveries() -> set[tuple[str, str, datetime.date, str]]:
    """(to whom, why, which day, which slot) of every reminder claimed."""
    return {
        (row.account.email, row.reason, row.due_date, row.slot)
        for row in ReminderDelivery.objects.select_related("account")
    }


def _sweep(clock: time_machine.Traveller, moment: datetime.datetime) -> int:
    """Run the command at that moment, as the job engine would."""
    clock.move_to(moment)
    return send_due_reminders(moment)


def _care(patient: Patient, account: User) -> CareRelationship:
    return CareRelationship.objects.get(patient=patient, account=account, ended_at=None)


# --- blood tests -------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Kiritimati"])
def test_lab_reminders_come_three_days_before_on_the_day_and_each_overdue_week(
    alice: User,
    with_month_1_due_on: Callable[..., Therapy],
    clock: time_machine.Traveller,
    zone: str,
) -> None:
    # At 9:00 in Kiritimati (UTC+14) it is still the day before in UTC: the days counted
    # are the patient's own.
    due = TODAY + datetime.timedelta(days=5)
    therapy = with_month_1_due_on(alice, due, time_zone=zone)
    sent_on: dict[int, list[str]] = {}

    for offset in range(-5, 16):
        day = due + datetime.timedelta(days=offset)
        before = len(mail.outbox)
        _sweep(clock, local_time(therapy, day, 9))
        if len(mail.outbox) > before:
            sent_on[offset] = [str(message.subject) for message in mail.outbox[before:]]

    assert sorted(sent_on) == [-3, 0, 1, 7, 14]
    assert all(len(subjects) == 1 for subjects in sent_on.values())
    assert _deliveries() == {
        (alice.email, Reason.LAB_SOON, due, ""),
        (alice.email, Reason.LAB_TODAY, due, ""),
        (alice.email, Reason.LAB_OVERDUE, due, ""),
        (alice.email, Reason.LAB_OVERDUE, due + datetime.timedelta(days=7), ""),
        (alice.email, Reason.LAB_OVERDUE, due + datetime.timedelta(days=14), ""),
    }
    assert sent_on[-3] == [f"Reminder: a blood test is due on {due:%-d %B}"]
    assert sent_on[0] == ["Reminder: a blood test is due today"]
    assert sent_on[7] == ["Reminder: a blood test is overdue"]


def test_no_reminder_for_a_test_with_a_result(
    alice: User, anc_rule: LabRule, with_month_1_due_on: Callable[..., Therapy]
) -> None:
    therapy = with_month_1_due_on(alice, TODAY + datetime.timedelta(days=2))
    new_result(alice, anc_rule, month=1, value=2000, taken_on=TODAY)

    assert send_due_reminders(local_time(therapy, TODAY, 9)) == 0
    assert mail.outbox == []


@pytest.mark.usefixtures("mia_therapy", "leo_therapy")
def test_lab_reminders_go_to_every_account_acting_for_the_patient(
    sam: User, una: User, mia: Patient, leo: Patient
) -> None:
    _preferences(sam, doses=False)
    _preferences(una, doses=False)

    sent = send_due_reminders(NOW)

    # Mia's two overdue tests to sam and to una; Leo's (he started the same day) to sam only.
    assert sent == 6
    rows = ReminderDelivery.objects.select_related("account", "patient")
    assert sorted((r.patient.name, r.account.email, r.due_date) for r in rows) == [
        ("Leo", sam.email, BASELINE_WEEK),
        ("Leo", sam.email, MONTH_1_WEEK),
        ("Mia", sam.email, BASELINE_WEEK),
        ("Mia", sam.email, MONTH_1_WEEK),
        ("Mia", una.email, BASELINE_WEEK),
        ("Mia", una.email, MONTH_1_WEEK),
    ]
    assert {r.reason for r in rows} == {Reason.LAB_OVERDUE}
    assert sorted(str(m.subject) for m in mail.outbox if m.to == [una.email]) == [
        "Reminder: Mia’s blood test is overdue",
        "Reminder: Mia’s blood test is overdue",
    ]


@pytest.mark.usefixtures("mia_therapy")
def test_each_caregiver_chooses_their_own_lab_reminders(sam: User, una: User) -> None:
    _preferences(sam, labs=False, doses=False)
    _preferences(una, doses=False)

    send_due_reminders(NOW)

    assert _deliveries() == {
        (una.email, Reason.LAB_OVERDUE, BASELINE_WEEK, ""),
        (una.email, Reason.LAB_OVERDUE, MONTH_1_WEEK, ""),
    }


# --- each dose ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Asia/Tokyo", "Pacific/Auckland", "Pacific/Kiritimati"]
)
def test_dose_reminder_two_hours_after_the_dose_time_where_the_patient_lives(
    alice: User, make_therapy: MakeTherapy, clock: time_machine.Traveller, zone: str
) -> None:
    therapy = make_therapy(alice, time_zone=zone, usual_dose_time=datetime.time(7, 30))
    _preferences(alice, labs=False)
    local_today = NOW.astimezone(zoneinfo.ZoneInfo(zone)).date() + datetime.timedelta(days=1)

    assert _sweep(clock, local_time(therapy, local_today, 9, 29)) == 0
    on_time = local_time(therapy, local_today, 9, 30)
    assert _sweep(clock, on_time) == 1

    [message] = mail.outbox
    assert message.to == [alice.email]
    assert message.subject == "Reminder: the 7:30 AM dose is not logged yet"
    assert "Your 7:30 AM dose for today is not logged yet." in message.body
    # The day is the patient's: in Auckland and Kiritimati UTC is still the day before.
    assert _deliveries() == {(alice.email, Reason.DOSE_NOT_LOGGED, local_today, "07:30")}
    if zone in ("Pacific/Auckland", "Pacific/Kiritimati"):
        assert on_time.astimezone(datetime.UTC).date() == local_today - datetime.timedelta(days=1)


@pytest.mark.parametrize("status", [DoseLog.Status.TAKEN, DoseLog.Status.SKIPPED])
def test_no_dose_reminder_once_the_slot_is_logged(
    alice: User, alice_therapy: Therapy, log_dose: LogDose, status: str
) -> None:
    _preferences(alice, labs=False)
    log_dose(alice_therapy, local_time(alice_therapy, TODAY, 7), status=status, skip_reason="Ill")

    assert send_due_reminders(local_time(alice_therapy, TODAY, 11)) == 0


def test_yesterdays_dose_does_not_count_for_today(
    alice: User, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    _preferences(alice, labs=False)
    yesterday = TODAY - datetime.timedelta(days=1)
    log_dose(alice_therapy, local_time(alice_therapy, yesterday, 23))

    assert send_due_reminders(local_time(alice_therapy, TODAY, 11)) == 1
    assert _deliveries() == {(alice.email, Reason.DOSE_NOT_LOGGED, TODAY, "08:00")}


def test_no_dose_reminder_on_a_day_off_of_an_every_other_day_regimen(
    alice: User, make_therapy: MakeTherapy
) -> None:
    therapy = make_therapy(alice, KIDNEY, start_date=TODAY - datetime.timedelta(days=41))
    _preferences(alice, labs=False)

    assert send_due_reminders(local_time(therapy, TODAY, 11)) == 0  # day 41: a day off
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert send_due_reminders(local_time(therapy, tomorrow, 11)) == 1


def test_a_weekly_medicine_is_reminded_of_on_its_own_day_only(
    alice: User, make_therapy: MakeTherapy, weekly_pill: Medicine
) -> None:
    therapy = make_therapy(
        alice,
        RA,
        "15",
        medicine=weekly_pill,
        regimen=weekly_pill.regimens.get(),
        usual_dose_time=datetime.time(9),
        weekdays=[TODAY.weekday()],  # Wednesdays
    )
    _preferences(alice, labs=False)

    assert send_due_reminders(local_time(therapy, TODAY, 11)) == 1
    for days in range(1, 7):
        day = TODAY + datetime.timedelta(days=days)
        assert send_due_reminders(local_time(therapy, day, 23)) == 0, day
    next_week = TODAY + datetime.timedelta(days=7)
    assert send_due_reminders(local_time(therapy, next_week, 11)) == 1
    assert [message.subject for message in mail.outbox] == [
        "Reminder: the 9:00 AM dose is not logged yet"
    ] * 2
    for message in mail.outbox:
        assert medicine_names_in(f"{message.subject} {message.body}", weekly_pill) == []


def test_the_evening_dose_is_reminded_of_on_its_own_once_to_each_caregiver(
    sam: User,
    una: User,
    mia_therapy: Therapy,
    log_dose: LogDose,
    clock: time_machine.Traveller,
) -> None:
    # Mia gets 08:00 and 20:00; only the morning dose is logged today.
    _preferences(sam, labs=False)
    _preferences(una, labs=False)
    log_dose(mia_therapy, local_time(mia_therapy, TODAY, 8, 5), by=una)

    assert _sweep(clock, NOW) == 0  # 10:00: the morning is logged
    assert _sweep(clock, local_time(mia_therapy, TODAY, 21, 59)) == 0
    assert _sweep(clock, local_time(mia_therapy, TODAY, 22)) == 2
    for later in [(22, 5), (22, 30), (23, 59)]:
        assert _sweep(clock, local_time(mia_therapy, TODAY, *later)) == 0

    # 22:00 in New York is 03:00 on the 19th in UTC: the reminder is of Mia's 18th.
    assert _deliveries() == {
        (sam.email, Reason.DOSE_NOT_LOGGED, TODAY, "20:00"),
        (una.email, Reason.DOSE_NOT_LOGGED, TODAY, "20:00"),
    }
    assert sorted(message.to[0] for message in mail.outbox) == [sam.email, una.email]
    assert {str(message.subject) for message in mail.outbox} == {
        "Reminder: Mia’s 8:00 PM dose is not logged yet"
    }


@pytest.mark.usefixtures("mia_therapy")
def test_each_dose_not_logged_is_its_own_reminder(
    sam: User, una: User, clock: time_machine.Traveller
) -> None:
    _preferences(sam, labs=False)
    _preferences(una, labs=False, doses=False)

    sent = [_sweep(clock, NOW), _sweep(clock, NOW.replace(hour=23))]  # 10:00 and 18:00 NY
    sent.append(_sweep(clock, NOW.replace(day=19, hour=3)))  # 22:00 in New York

    assert sent == [1, 0, 1]
    assert _deliveries() == {
        (sam.email, Reason.DOSE_NOT_LOGGED, TODAY, "08:00"),
        (sam.email, Reason.DOSE_NOT_LOGGED, TODAY, "20:00"),
    }


def test_no_dose_reminder_to_a_caregiver_whose_access_ended(
    sam: User, una: User, mia: Patient, mia_therapy: Therapy, clock: time_machine.Traveller
) -> None:
    _preferences(sam, labs=False)
    _preferences(una, labs=False)
    end_care(_care(mia, una))

    assert _sweep(clock, local_time(mia_therapy, TODAY, 22)) == 2  # both of sam's

    assert {(email, slot) for email, _, _, slot in _deliveries()} == {
        (sam.email, "08:00"),
        (sam.email, "20:00"),
    }
    assert all(message.to == [sam.email] for message in mail.outbox)


def test_a_late_dose_is_reminded_of_after_midnight(
    alice: User, make_therapy: MakeTherapy, clock: time_machine.Traveller
) -> None:
    therapy = make_therapy(alice, start_date=TODAY, usual_dose_time=datetime.time(23))
    _preferences(alice, labs=False)
    tomorrow = TODAY + datetime.timedelta(days=1)

    assert _sweep(clock, local_time(therapy, TODAY, 23, 59)) == 0
    assert _sweep(clock, local_time(therapy, tomorrow, 0, 59)) == 0
    assert _sweep(clock, local_time(therapy, tomorrow, 1)) == 1
    assert _sweep(clock, local_time(therapy, tomorrow, 9)) == 0

    assert _deliveries() == {(alice.email, Reason.DOSE_NOT_LOGGED, TODAY, "23:00")}
    [message] = mail.outbox
    assert message.subject == "Reminder: the 11:00 PM dose of 18 November is not logged yet"
    assert "Your 11:00 PM dose of Wednesday 18 November is not logged yet." in message.body


@pytest.mark.usefixtures("alice_therapy")
def test_a_dose_of_an_earlier_day_is_not_reminded_of_the_next_day(
    alice: User, clock: time_machine.Traveller
) -> None:
    # The command did not run on the 18th: on the 19th only the 19th's dose is reminded.
    _preferences(alice, labs=False)
    tomorrow = TODAY + datetime.timedelta(days=1)

    assert _sweep(clock, NOW + datetime.timedelta(days=1)) == 1

    assert _deliveries() == {(alice.email, Reason.DOSE_NOT_LOGGED, tomorrow, "08:00")}


# --- at most once ----------------------------------------------------------------------------


@pytest.mark.usefixtures("alice_therapy")
def test_running_twice_sends_each_reminder_once(alice: User) -> None:
    # Started 40 days ago, nothing recorded or logged: baseline and month 1 overdue,
    # and today's dose (08:00) not logged at 10:00.

    first = send_due_reminders(NOW)
    second = send_due_reminders(NOW)

    assert (first, second) == (3, 0)
    assert len(mail.outbox) == 3
    assert _deliveries() == {
        (alice.email, Reason.LAB_OVERDUE, BASELINE_WEEK, ""),
        (alice.email, Reason.LAB_OVERDUE, MONTH_1_WEEK, ""),
        (alice.email, Reason.DOSE_NOT_LOGGED, TODAY, "08:00"),
    }
    assert set(ReminderDelivery.objects.values_list("sent_at", flat=True)) == {NOW}


@pytest.mark.usefixtures("alice_therapy")
def test_the_command_sends_and_says_how_many() -> None:
    out = io.StringIO()

    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)

    assert out.getvalue().splitlines() == ["Sent 3 reminder(s).", "Sent 0 reminder(s)."]
    assert len(mail.outbox) == 3


def _accounts(count: int) -> list[User]:
    return [
        User.objects.create_user(f"patient{number}@example.com", PASSWORD)
        for number in range(count)
    ]


def test_two_copies_running_at_once_send_each_reminder_once(
    transactional_db: None, make_therapy: MakeTherapy, sam: User, una: User, mia: Patient
) -> None:
    accounts = _accounts(5)
    for account in accounts:
        make_therapy(account)
    make_therapy(mia, NOMID, "1", weight_kg="16", dose_times=["08:00", "20:00"])
    counts = _two_sweeps_at_once()
    # Each account, mia's two among them: baseline and month 1 overdue, the 08:00 dose
    # not logged (mia's 20:00 is still to come).
    expected = {
        (account.email, reason, due, slot)
        for account in [*accounts, sam, una]
        for reason, due, slot in [
            (Reason.LAB_OVERDUE, BASELINE_WEEK, ""),
            (Reason.LAB_OVERDUE, MONTH_1_WEEK, ""),
            (Reason.DOSE_NOT_LOGGED, TODAY, "08:00"),
        ]
    }
    assert sum(counts) == len(expected)
    assert len(mail.outbox) == len(expected)
    assert _deliveries() == expected
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        email for email, _, _, _ in expected
    )
    assert ReminderDelivery.objects.filter(sent_at=None).count() == 0


class _ClaimCheckingBackend(EmailBackend):
    """Records, as each email goes out, how many claims are still unsent."""

    unsent_at_send: list[int] = []

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        self.unsent_at_send.append(ReminderDelivery.objects.filter(sent_at=None).count())
        return super().send_messages(messages)


class _FailingBackend(EmailBackend):
    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError("the mail server is down")


@pytest.mark.usefixtures("alice_therapy")
def test_a_reminder_is_claimed_before_it_is_sent(settings: Settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}._ClaimCheckingBackend"
    _ClaimCheckingBackend.unsent_at_send = []

    send_due_reminders(NOW)

    assert _ClaimCheckingBackend.unsent_at_send == [1, 1, 1]


@pytest.mark.usefixtures("alice_therapy")
def test_a_reminder_that_could_not_be_sent_is_tried_again(settings: Settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}._FailingBackend"

    assert send_due_reminders(NOW) == 0
    assert ReminderDelivery.objects.count() == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_due_reminders(NOW) == 3
    assert len(mail.outbox) == 3


# --- a worker that died holding a claim ----------------------------------------------------


def _claimed_by_a_dead_worker(
    account: User, claimed_at: datetime.datetime, patient: Patient | None = None
) -> ReminderDelivery:
    """Today's 08:00 dose reminder, claimed at that moment and never sent."""
    return ReminderDelivery.objects.create(
        patient=patient or own_patient(account),
        account=account,
        reason=Reason.DOSE_NOT_LOGGED,
        due_date=TODAY,
        slot="08:00",
        claimed_at=claimed_at,
    )


def _dose_emails() -> list[str]:
    return [message.to[0] for message in mail.outbox if "dose" in str(message.subject)]


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize(
    "age",
    [CLAIM_LEASE + datetime.timedelta(seconds=1), datetime.timedelta(hours=3)],
    ids=["just past the lease", "hours old"],
)
def test_a_claim_older_than_the_lease_is_sent_by_the_next_sweep_once(
    alice: User, age: datetime.timedelta, clock: time_machine.Traveller
) -> None:
    stale = _claimed_by_a_dead_worker(alice, NOW - age)

    first = send_due_reminders()
    clock.shift(3 * CLAIM_LEASE)
    later = send_due_reminders()

    assert (first, later) == (3, 0)  # the dose and the two blood tests
    assert _dose_emails() == [alice.email]
    stale.refresh_from_db()
    assert (stale.claimed_at, stale.sent_at) == (NOW, NOW)
    assert ReminderDelivery.objects.count() == 3


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize(
    "age", [datetime.timedelta(minutes=1), CLAIM_LEASE], ids=["a minute", "the lease exactly"]
)
def test_a_claim_within_its_lease_is_left_to_its_worker(
    alice: User, age: datetime.timedelta
) -> None:
    fresh = _claimed_by_a_dead_worker(alice, NOW - age)

    sent = send_due_reminders()

    assert sent == 2  # the blood tests only
    assert _dose_emails() == []
    fresh.refresh_from_db()
    assert (fresh.claimed_at, fresh.sent_at) == (NOW - age, None)


class _KilledBackend(EmailBackend):
    """The worker is killed as the email goes out (not an error it can handle)."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise SystemExit("killed")


@pytest.mark.usefixtures("alice_therapy")
def test_a_long_sweeps_claims_are_timed_by_the_clock_not_by_its_start(
    settings: Settings, clock: time_machine.Traveller
) -> None:
    # A sweep over many patients that began at NOW reaches alice 15 minutes later, and
    # its worker dies there: that claim is 0 minutes old, not 15, to the next sweep.
    settings.EMAIL_BACKEND = f"{__name__}._KilledBackend"
    clock.shift(datetime.timedelta(minutes=15))
    with pytest.raises(SystemExit):
        send_due_reminders(NOW)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    (claimed,) = ReminderDelivery.objects.all()
    assert claimed.claimed_at == NOW + datetime.timedelta(minutes=15)
    assert send_due_reminders() == 2
    assert ReminderDelivery.objects.filter(sent_at=None).get() == claimed


@pytest.mark.usefixtures("alice_therapy")
def test_a_reminder_sent_long_ago_is_never_taken_over(alice: User) -> None:
    sent_long_ago = _claimed_by_a_dead_worker(alice, NOW - datetime.timedelta(hours=3))
    sent_long_ago.sent_at = NOW - datetime.timedelta(hours=3)
    sent_long_ago.save(update_fields=["sent_at"])

    assert send_due_reminders() == 2
    assert take_over(sent_long_ago) is False
    assert _dose_emails() == []


@pytest.mark.usefixtures("alice_therapy")
def test_of_two_sweeps_that_read_the_same_stale_claim_only_one_takes_it(
    alice: User, clock: time_machine.Traveller
) -> None:
    stale = _claimed_by_a_dead_worker(alice, NOW - datetime.timedelta(hours=1))
    read_by_one = ReminderDelivery.objects.get(pk=stale.pk)
    read_by_other = ReminderDelivery.objects.get(pk=stale.pk)

    assert take_over(read_by_one) is True
    clock.shift(datetime.timedelta(seconds=1))
    assert take_over(read_by_other) is False
    stale.refresh_from_db()
    assert stale.claimed_at == NOW
    assert read_by_one.claimed_at == NOW


def test_two_sweeps_racing_over_stale_claims_send_each_once(
    transactional_db: None, make_therapy: MakeTherapy, sam: User, una: User, mia: Patient
) -> None:
    accounts = _accounts(5)
    for account in accounts:
        make_therapy(account)
        _claimed_by_a_dead_worker(account, NOW - datetime.timedelta(hours=1))
    make_therapy(mia, NOMID, "1", weight_kg="16", dose_times=["08:00", "20:00"])
    for caregiver in (sam, una):
        _claimed_by_a_dead_worker(caregiver, NOW - datetime.timedelta(hours=1), patient=mia)
    counts = _two_sweeps_at_once()
    everyone = sorted(account.email for account in [*accounts, sam, una])
    assert sorted(_dose_emails()) == everyone  # each stale dose reminder once
    assert sum(counts) == len(mail.outbox) == 3 * len(everyone)
    assert ReminderDelivery.objects.count() == 3 * len(everyone)
    assert not ReminderDelivery.objects.filter(sent_at=None).exists()


# --- choices and who ---------------------------------------------------------------------


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize(
    ("labs", "doses", "reasons"),
    [
        (True, True, {Reason.LAB_OVERDUE, Reason.DOSE_NOT_LOGGED}),
        (False, True, {Reason.DOSE_NOT_LOGGED}),
        (True, False, {Reason.LAB_OVERDUE}),
        (False, False, set()),
    ],
)
def test_patients_can_turn_each_kind_off(
    alice: User, labs: bool, doses: bool, reasons: set[str]
) -> None:
    _preferences(alice, labs=labs, doses=doses)

    send_due_reminders(NOW)

    assert {reason for _, reason, _, _ in _deliveries()} == reasons
    assert len(mail.outbox) == ReminderDelivery.objects.count()


@pytest.mark.usefixtures("mia_therapy")
def test_a_caregiver_who_turned_dose_emails_off_gets_none(sam: User, una: User) -> None:
    _preferences(sam, labs=False)
    _preferences(una, labs=False, doses=False)

    send_due_reminders(NOW)

    assert _deliveries() == {(sam.email, Reason.DOSE_NOT_LOGGED, TODAY, "08:00")}


@pytest.mark.usefixtures("alice_therapy")
def test_no_reminders_for_a_deactivated_account(alice: User) -> None:
    alice.is_active = False
    alice.save()

    assert send_due_reminders(NOW) == 0


@pytest.mark.usefixtures("mia_therapy")
def test_a_deactivated_caregiver_gets_none_and_the_others_still_do(sam: User, una: User) -> None:
    _preferences(sam, labs=False)
    una.is_active = False
    una.save()

    send_due_reminders(NOW)

    assert _deliveries() == {(sam.email, Reason.DOSE_NOT_LOGGED, TODAY, "08:00")}


@pytest.mark.usefixtures("bob_therapy")
def test_each_patient_gets_only_their_own_reminders(
    alice: User, bob: User, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    _preferences(bob, doses=False)
    log_dose(alice_therapy, local_time(alice_therapy, TODAY, 7))

    send_due_reminders(NOW)

    by_account = {(email, reason) for email, reason, _, _ in _deliveries()}
    assert by_account == {(alice.email, Reason.LAB_OVERDUE), (bob.email, Reason.LAB_OVERDUE)}
    assert all(len(message.to) == 1 for message in mail.outbox)
    # Each reminder is about the account's own patient.
    rows = ReminderDelivery.objects.select_related("account", "patient")
    assert {(r.account.email, r.patient) for r in rows} == {
        (alice.email, own_patient(alice)),
        (bob.email, own_patient(bob)),
    }


@pytest.mark.usefixtures("mia_therapy", "leo_therapy")
def test_a_caregiver_gets_reminders_only_of_the_patients_they_act_for(
    sam: User, una: User, mia: Patient, leo: Patient
) -> None:
    # At 10:00 Mia's 08:00 and Leo's 07:30 are not logged; una helps with Mia only.
    _preferences(sam, labs=False)
    _preferences(una, labs=False)

    send_due_reminders(NOW)

    rows = ReminderDelivery.objects.select_related("account", "patient")
    assert sorted((r.account.email, r.patient.name, r.slot) for r in rows) == [
        (sam.email, "Leo", "07:30"),
        (sam.email, "Mia", "08:00"),
        (una.email, "Mia", "08:00"),
    ]
    assert sorted(str(m.subject) for m in mail.outbox if m.to == [sam.email]) == [
        "Reminder: Leo’s 7:30 AM dose is not logged yet",
        "Reminder: Mia’s 8:00 AM dose is not logged yet",
    ]


# --- the email -------------------------------------------------------------------------------


def _parts(message: EmailMessage) -> dict[str, str]:
    assert isinstance(message, EmailMultiAlternatives)
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return {"subject": str(message.subject), "text": str(message.body), "html": str(html)}


@pytest.mark.parametrize("labs", [True, False])
def test_emails_have_text_and_html_and_no_medicine_or_lab_value(
    alice: User,
    anakinra: Medicine,
    anc_rule: LabRule,
    with_month_1_due_on: Callable[..., Therapy],
    labs: bool,
) -> None:
    therapy = with_month_1_due_on(alice, TODAY + datetime.timedelta(days=2))
    new_result(  # a low, flagged baseline: its value must never travel by email
        alice, anc_rule, month=None, value=850, taken_on=TODAY, needs_review=True
    )
    _preferences(alice, labs=labs, doses=not labs)

    send_due_reminders(local_time(therapy, TODAY, 11))

    [message] = mail.outbox
    assert message.to == [alice.email]
    parts = _parts(message)
    assert all(part.strip() for part in parts.values())
    page = "labs" if labs else "doses/new"
    link = f"{settings.SITE_URL.rstrip('/')}/p/{own_patient(alice).uuid}/{page}/"
    assert link in parts["text"]
    assert f'href="{link}"' in parts["html"]
    assert "Hello Alice," in parts["text"]
    assert ("A blood test from your schedule" if labs else "Your 8:00 AM dose") in parts["text"]
    for name, part in parts.items():
        # Links carry the patient's random id, whose digits may spell "850" by chance.
        readable = re.sub(r"https?://[^\s\"<]+", "", part)
        assert medicine_names_in(readable, anakinra) == [], name
        for secret in ["850", "2500", "2,500", "1000", "1,000", "ANC", "neutrophil"]:
            assert secret not in readable, (name, secret)


def test_a_caregivers_email_names_the_patient_and_no_medicine(
    una: User,
    mia: Patient,
    mia_therapy: Therapy,
    anakinra: Medicine,
    clock: time_machine.Traveller,
) -> None:
    _sweep(clock, local_time(mia_therapy, TODAY, 22))

    to_una = [_parts(message) for message in mail.outbox if message.to == [una.email]]
    subjects = sorted(part["subject"] for part in to_una)
    assert subjects == [
        "Reminder: Mia’s 8:00 AM dose is not logged yet",
        "Reminder: Mia’s 8:00 PM dose is not logged yet",
        "Reminder: Mia’s blood test is overdue",
        "Reminder: Mia’s blood test is overdue",
    ]
    evening = next(part for part in to_una if "8:00 PM" in part["subject"])
    assert "Hello Una," in evening["text"]
    assert "Mia’s 8:00 PM dose for today is not logged yet." in evening["text"]
    assert "If Mia has had it, log it" in evening["text"]
    link = f"{settings.SITE_URL.rstrip('/')}/p/{mia.uuid}/doses/new/"
    assert link in evening["text"]
    assert f'href="{link}"' in evening["html"]
    lab = next(part for part in to_una if "blood test" in part["subject"])
    assert "A blood test from Mia’s schedule was due on" in lab["text"]
    assert f"/p/{mia.uuid}/labs/" in lab["text"]
    for part in to_una:
        for name, text in part.items():
            assert medicine_names_in(text, anakinra) == [], name
            for secret in [NOMID, "16 mg", "mg/kg", "16 kg", "ANC", "neutrophil"]:
                assert secret not in text, (name, secret)


def _two_sweeps_at_once() -> list[int]:
    """Two sweeps started together, each on its own connection; how many each sent."""
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            counts.append(send_due_reminders(NOW))
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    return counts
