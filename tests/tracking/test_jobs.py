"""The reminder job the worker runs every minute (`tracking.jobs`).

The task is called as the worker would call it, without a running worker. Alice's
therapy has three reminders due at NOW: the baseline and month-1 blood tests, and
today's 08:00 dose.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from huey.contrib.djhuey import HUEY
from pytest_django.fixtures import Settings

from tests.world import NOW
from tracking.jobs import send_reminders_every_minute
from tracking.models import ReminderDelivery
from tracking.reminders import CLAIM_LEASE


@pytest.mark.parametrize("minute", [0, 1, 17, 59])
def test_the_worker_runs_the_sweep_every_minute(minute: int) -> None:
    moment = datetime.datetime(2026, 11, 18, 15, minute)

    assert send_reminders_every_minute.task_class in {
        type(task) for task in HUEY.read_periodic(moment)
    }


@pytest.mark.usefixtures("alice_therapy")
def test_running_the_job_twice_sends_each_reminder_once(
    clock: time_machine.Traveller,
) -> None:
    first = send_reminders_every_minute.call_local()
    clock.shift(datetime.timedelta(minutes=1))
    second = send_reminders_every_minute.call_local()

    assert (first, second) == (3, 0)
    assert len(mail.outbox) == 3
    assert len({message.subject for message in mail.outbox}) == 2  # two blood tests, a dose
    assert set(ReminderDelivery.objects.values_list("sent_at", flat=True)) == {NOW}


class _WorkerKilledOnSecondEmail(EmailBackend):
    """Sends one email, then the worker dies (a kill, not an error it can handle)."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if mail.outbox:
            raise SystemExit("killed")
        return super().send_messages(messages)


@pytest.mark.usefixtures("alice_therapy")
def test_after_a_killed_worker_the_rest_go_next_tick_and_its_last_after_the_lease(
    settings: Settings, clock: time_machine.Traveller
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}._WorkerKilledOnSecondEmail"
    with pytest.raises(SystemExit):
        send_reminders_every_minute.call_local()
    assert len(mail.outbox) == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.shift(datetime.timedelta(minutes=1))
    next_tick = send_reminders_every_minute.call_local()
    # The one being sent when the worker died is still its claim: it may yet be on its way.
    assert ReminderDelivery.objects.filter(sent_at=None).count() == 1
    clock.shift(CLAIM_LEASE)
    after_the_lease = send_reminders_every_minute.call_local()
    clock.shift(datetime.timedelta(minutes=1))
    then = send_reminders_every_minute.call_local()

    assert (next_tick, after_the_lease, then) == (1, 1, 0)
    assert len(mail.outbox) == 3
    assert len({message.subject for message in mail.outbox}) == 2  # two blood tests, a dose
    assert ReminderDelivery.objects.count() == 3
    assert not ReminderDelivery.objects.filter(sent_at=None).exists()
