"""`manage.py send_reminders`: blood tests due soon, today or overdue, and a dose not logged.

Each reminder goes out at most once, however often the command runs and however many
copies run at once. Time is frozen: the command decides by the clock.
"""

from __future__ import annotations

import datetime
import io
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
    NOW,
    PASSWORD,
    TODAY,
    LogDose,
    MakeTherapy,
    local_time,
    new_result,
)
from tracking.models import DoseLog, PatientPreferences, ReminderDelivery, Therapy
from tracking.reminders import send_due_reminders

Reason = ReminderDelivery.Reason
ALL_MONTHS = [0, 1, 2, 3, 6, 9, 12]


def _preferences(patient: User, *, labs: bool = True, doses: bool = True) -> None:
    PatientPreferences.objects.update_or_create(
        patient=patient,
        defaults={"email_lab_reminders": labs, "email_dose_reminders": doses},
    )


@pytest.fixture
def with_month_1_due_on(
    make_therapy: MakeTherapy, anc_rule: LabRule
) -> Callable[[User, datetime.date], Therapy]:
    """A therapy whose only open test is month 1 (the baseline is done): labs emails only."""

    def make(patient: User, due: datetime.date) -> Therapy:
        therapy = make_therapy(patient, start_date=due - relativedelta(months=1))
        new_result(patient, anc_rule, month=0, value=2500, taken_on=therapy.start_date)
        _preferences(patient, doses=False)
        return therapy

    return make


def _deliveries() -> set[tuple[str, str, datetime.date]]:
    return {
        (row.patient.email, row.reason, row.due_date)
        for row in ReminderDelivery.objects.select_related("patient")
    }


# --- blood tests -------------------------------------------------------------------------


def test_lab_reminders_come_three_days_before_on_the_day_and_each_overdue_week(
    alice: User,
    with_month_1_due_on: Callable[[User, datetime.date], Therapy],
    clock: time_machine.Traveller,
) -> None:
    due = TODAY + datetime.timedelta(days=5)
    therapy = with_month_1_due_on(alice, due)
    sent_on: dict[int, list[str]] = {}

    for offset in range(-5, 16):
        day = due + datetime.timedelta(days=offset)
        clock.move_to(local_time(therapy, day, 9))
        before = len(mail.outbox)
        send_due_reminders(local_time(therapy, day, 9))
        if len(mail.outbox) > before:
            sent_on[offset] = [str(message.subject) for message in mail.outbox[before:]]

    assert sorted(sent_on) == [-3, 0, 1, 7, 14]
    assert all(len(subjects) == 1 for subjects in sent_on.values())
    assert _deliveries() == {
        (alice.email, Reason.LAB_SOON, due),
        (alice.email, Reason.LAB_TODAY, due),
        (alice.email, Reason.LAB_OVERDUE, due),
        (alice.email, Reason.LAB_OVERDUE, due + datetime.timedelta(days=7)),
        (alice.email, Reason.LAB_OVERDUE, due + datetime.timedelta(days=14)),
    }
    assert "due on" in sent_on[-3][0]
    assert "due today" in sent_on[0][0]
    assert "overdue" in sent_on[7][0]


def test_no_reminder_for_a_test_with_a_result(
    alice: User, anc_rule: LabRule, with_month_1_due_on: Callable[[User, datetime.date], Therapy]
) -> None:
    therapy = with_month_1_due_on(alice, TODAY + datetime.timedelta(days=2))
    new_result(alice, anc_rule, month=1, value=2000, taken_on=TODAY)

    assert send_due_reminders(local_time(therapy, TODAY, 9)) == 0
    assert mail.outbox == []


# --- the day's dose ----------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo", "Pacific/Auckland"])
def test_dose_reminder_two_hours_after_the_usual_time_where_the_patient_lives(
    alice: User, make_therapy: MakeTherapy, clock: time_machine.Traveller, zone: str
) -> None:
    therapy = make_therapy(alice, time_zone=zone, usual_dose_time=datetime.time(7, 30))
    _preferences(alice, labs=False)
    local_today = NOW.astimezone(zoneinfo.ZoneInfo(zone)).date() + datetime.timedelta(days=1)

    too_early = local_time(therapy, local_today, 9, 29)
    clock.move_to(too_early)
    assert send_due_reminders(too_early) == 0

    on_time = local_time(therapy, local_today, 9, 30)
    clock.move_to(on_time)
    assert send_due_reminders(on_time) == 1

    [message] = mail.outbox
    assert message.to == [alice.email]
    assert "dose" in message.subject
    assert _deliveries() == {(alice.email, Reason.DOSE_NOT_LOGGED, local_today)}


@pytest.mark.parametrize("status", [DoseLog.Status.TAKEN, DoseLog.Status.SKIPPED])
def test_no_dose_reminder_once_the_day_is_logged(
    alice: User, alice_therapy: Therapy, log_dose: LogDose, status: str
) -> None:
    _preferences(alice, labs=False)
    log_dose(alice_therapy, local_time(alice_therapy, TODAY, 7), status=status, skip_reason="Ill")

    assert send_due_reminders(local_time(alice_therapy, TODAY, 11)) == 0


def test_yesterdays_dose_does_not_count_for_today(
    alice: User, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    _preferences(alice, labs=False)
    log_dose(alice_therapy, local_time(alice_therapy, TODAY - datetime.timedelta(days=1), 23))

    assert send_due_reminders(local_time(alice_therapy, TODAY, 11)) == 1


def test_no_dose_reminder_on_a_day_off_of_an_every_other_day_regimen(
    alice: User, make_therapy: MakeTherapy
) -> None:
    therapy = make_therapy(alice, KIDNEY, start_date=TODAY - datetime.timedelta(days=41))
    _preferences(alice, labs=False)

    assert send_due_reminders(local_time(therapy, TODAY, 11)) == 0  # day 41: a day off
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert send_due_reminders(local_time(therapy, tomorrow, 11)) == 1


# --- at most once ----------------------------------------------------------------------------


@pytest.mark.usefixtures("alice_therapy")
def test_running_twice_sends_each_reminder_once(alice: User) -> None:
    # Started 40 days ago, nothing recorded or logged: baseline and month 1 overdue,
    # and today's dose (usual time 08:00) not logged at 10:00.

    first = send_due_reminders(NOW)
    second = send_due_reminders(NOW)

    assert (first, second) == (3, 0)
    assert len(mail.outbox) == 3
    assert _deliveries() == {
        (alice.email, Reason.LAB_OVERDUE, datetime.date(2026, 11, 13)),
        (alice.email, Reason.LAB_OVERDUE, datetime.date(2026, 11, 16)),
        (alice.email, Reason.DOSE_NOT_LOGGED, TODAY),
    }
    assert set(ReminderDelivery.objects.values_list("sent_at", flat=True)) == {NOW}


@pytest.mark.usefixtures("alice_therapy")
def test_the_command_sends_and_says_how_many() -> None:
    out = io.StringIO()

    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)

    assert out.getvalue().splitlines() == ["Sent 3 reminder(s).", "Sent 0 reminder(s)."]
    assert len(mail.outbox) == 3


def _patients(count: int) -> list[User]:
    return [
        User.objects.create_user(f"patient{number}@example.com", PASSWORD)
        for number in range(count)
    ]


def test_two_copies_running_at_once_send_each_reminder_once(
    transactional_db: None, make_therapy: MakeTherapy
) -> None:
    patients = _patients(5)
    for patient in patients:
        make_therapy(patient)
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
    # Each patient: baseline and month 1 overdue, today's dose not logged.
    expected = {
        (patient.email, reason, due)
        for patient in patients
        for reason, due in [
            (Reason.LAB_OVERDUE, datetime.date(2026, 11, 13)),
            (Reason.LAB_OVERDUE, datetime.date(2026, 11, 16)),
            (Reason.DOSE_NOT_LOGGED, TODAY),
        ]
    }
    assert sum(counts) == len(expected)
    assert len(mail.outbox) == len(expected)
    assert _deliveries() == expected
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        email for email, _, _ in expected
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

    assert {reason for _, reason, _ in _deliveries()} == reasons
    assert len(mail.outbox) == ReminderDelivery.objects.count()


@pytest.mark.usefixtures("alice_therapy")
def test_no_reminders_for_a_deactivated_account(alice: User) -> None:
    alice.is_active = False
    alice.save()

    assert send_due_reminders(NOW) == 0


@pytest.mark.usefixtures("bob_therapy")
def test_each_patient_gets_only_their_own_reminders(
    alice: User, bob: User, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    _preferences(bob, doses=False)
    log_dose(alice_therapy, local_time(alice_therapy, TODAY, 7))

    send_due_reminders(NOW)

    by_patient = {(email, reason) for email, reason, _ in _deliveries()}
    assert by_patient == {(alice.email, Reason.LAB_OVERDUE), (bob.email, Reason.LAB_OVERDUE)}
    assert all(len(message.to) == 1 for message in mail.outbox)


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
    with_month_1_due_on: Callable[[User, datetime.date], Therapy],
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
    link = f"{settings.SITE_URL.rstrip('/')}/{'labs' if labs else 'doses/new'}/"
    assert link in parts["text"]
    assert f'href="{link}"' in parts["html"]
    for name, part in parts.items():
        assert medicine_names_in(part, anakinra) == [], name
        for secret in ["850", "2500", "2,500", "1000", "1,000", "ANC", "neutrophil"]:
            assert secret not in part, (name, secret)
