"""Two web instances and two job workers on one database, as a host runs them.

Real gunicorn and huey processes on this run's test database (SQLite's file or
PostgreSQL): a sign-in made on one instance works on the other, wrong passwords count
on both, and the two workers' sweeps send each reminder once. Once with the cache in the
database, once with Redis (REDIS_URL: the cache, sessions read through it, the job
queue). The processes do not share the test's frozen clock: the reminders are made due
by the real one.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import re
import subprocess
import sys
import time
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from email.message import EmailMessage
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.models import Session
from django.utils import timezone

from monographs.models import DosingRegimen, Medicine
from portal.models import User
from tests.pages import attr, select_one
from tests.portal.test_gunicorn import ROOT, Answer, environ, fetch, start_gunicorn, stop
from tests.world import PASSWORD, RA
from tracking.models import CareRelationship, Patient, ReminderDelivery, Therapy

# A database number no other part of the suite uses; emptied before and after.
REDIS_URL = "redis://127.0.0.1:6379/15"
LOGIN = "/accounts/login/"
SENT = re.compile(r"tracking\.jobs \[none\] Sent (\d+) reminder\(s\)\.")


class Visitor:
    """One browser: it keeps its cookies and sends them to whichever instance it asks,
    as it would behind a load balancer."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def ask(self, port: int, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if form is None:
            answer = fetch(port, path, headers=headers)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            answer = fetch(port, path, method="POST", headers=headers, body=urlencode(form))
        for value in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return answer

    def sign_in(self, port: int, email_address: str, password: str) -> int:
        page = self.ask(port, LOGIN)
        token = attr(select_one(page.body, 'form input[name="csrfmiddlewaretoken"]'), "value")
        form = {"username": email_address, "password": password, "csrfmiddlewaretoken": token}
        return self.ask(port, LOGIN, form).status


def _with_reminders_due(account: User, medicine: Medicine, regimen: DosingRegimen) -> Patient:
    """The account's own patient on a therapy started 40 days ago with nothing recorded:
    two blood tests overdue, and today's dose 2½ hours late (its reminder is due after 2)."""
    now = timezone.now()
    # A zone where it is past 02:30, so the late dose was due today, not yesterday.
    zone = next(z for z in ("UTC", "Asia/Tokyo") if now.astimezone(zoneinfo.ZoneInfo(z)).hour >= 3)
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    patient = Patient.objects.create(name=account.get_short_name(), time_zone=zone)
    CareRelationship.objects.create(
        patient=patient, account=account, role=CareRelationship.Role.SELF
    )
    therapy = Therapy(
        patient=patient,
        medicine=medicine,
        regimen=regimen,
        prescribed_dose=Decimal(100),
        start_date=local.date() - datetime.timedelta(days=40),
        dose_times=[(local - datetime.timedelta(hours=2, minutes=30)).strftime("%H:%M")],
        dose_days=regimen.allowed_days()[0],
    )
    therapy.full_clean()
    therapy.save()
    return patient


def _emails(outputs: list[Path]) -> list[EmailMessage]:
    """The emails the workers wrote (console backend), each followed by a line of dashes."""
    messages = []
    for output in outputs:
        for chunk in output.read_text().split("-" * 79 + "\n"):
            message = email.message_from_string(chunk, policy=email.policy.default)
            if isinstance(message, EmailMessage) and message["To"]:
                messages.append(message)
    return messages


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _wait_for_sweeps(logs: list[Path], count: int) -> list[int]:
    """How many each sweep sent, once count sweeps have finished."""
    deadline = time.monotonic() + 60
    while True:
        sent = [int(n) for log in logs for n in SENT.findall(log.read_text())]
        if len(sent) >= count or time.monotonic() > deadline:
            return sent
        time.sleep(0.2)


@pytest.fixture(params=["database cache", "redis"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of every process: where the cache and the job queue live."""
    if request.param == "database cache":
        yield {"JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}"}
        return
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    try:
        yield {"REDIS_URL": REDIS_URL, "JOBS_URL": REDIS_URL}
    finally:
        store.flushdb()


def test_two_web_instances_and_two_workers_share_one_database(
    transactional_db: None,
    anakinra: Medicine,
    regimens: dict[str, DosingRegimen],
    alice: User,
    bob: User,
    shared_store: dict[str, str],
    tmp_path: Path,
) -> None:
    # The processes know the real hashers only, not the test run's fast one.
    for account in (alice, bob):
        account.password = PBKDF2PasswordHasher().encode(PASSWORD, "two-instances")
        account.save(update_fields=["password"])
    others = [User.objects.create_user(f"patient{n}@example.com") for n in range(5)]
    for account in [alice, *others]:
        _with_reminders_due(account, anakinra, regimens[RA])
    env = environ(
        DEBUG="off",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        # One thread each: two sweeps in one process would interleave their emails.
        JOBS_WORKERS="1",
        LOGIN_FAILURE_LIMIT="3",
        **shared_store,
    )
    worker_logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    worker_mail = [tmp_path / "worker-1.mail", tmp_path / "worker-2.mail"]
    with ExitStack() as processes:
        ports = []
        for name in ("a", "b"):
            server, port = start_gunicorn(env, tmp_path / f"web-{name}.log")
            processes.callback(stop, server)
            ports.append(port)
        for log, mail in zip(worker_logs, worker_mail, strict=True):
            with log.open("wb") as errors, mail.open("wb") as output:
                # Our own manage.py with fixed arguments, no shell.
                worker = subprocess.Popen(  # noqa: S603
                    [sys.executable, "manage.py", "run_huey"],
                    cwd=ROOT,
                    env=env,
                    stdout=output,
                    stderr=errors,
                )
            processes.callback(stop, worker)
        a, b = ports
        assert [fetch(port, "/healthz").status for port in ports] == [200, 200]

        # Signed in on A, the same cookie opens the dashboard on B.
        alice_browser = Visitor()
        assert alice_browser.sign_in(a, "alice@example.com", PASSWORD) == 302
        dashboard = alice_browser.ask(b, "/")
        session_key = alice_browser.cookies["sessionid"]

        # Two wrong passwords on A and one on B make the three that pause sign-in.
        bob_browser = Visitor()
        wrong = [bob_browser.sign_in(port, "bob@example.com", "wrong") for port in [a, a, b]]
        right_on_a = bob_browser.sign_in(a, "bob@example.com", PASSWORD)

        # Each worker queues a sweep as it starts; whichever runs them, both run.
        sweeps = _wait_for_sweeps(worker_logs, 2)

    assert dashboard.status == 200
    assert "Alice" in dashboard.text
    assert 'name="password"' not in dashboard.text  # not the sign-in form
    assert Session.objects.filter(session_key=session_key).exists()
    if "REDIS_URL" in shared_store:
        cached = redis.Redis.from_url(REDIS_URL).keys("kineret:*")
        assert f"kineret:1:django.contrib.sessions.cached_db{session_key}".encode() in cached
    assert wrong == [200, 200, 429]
    assert right_on_a == 429

    assert len(sweeps) == 2, [log.read_text() for log in worker_logs]
    deliveries = ReminderDelivery.objects.all()
    assert deliveries.count() == 6 * 3  # per account: two blood tests and today's dose
    assert deliveries.filter(reason=ReminderDelivery.Reason.DOSE_NOT_LOGGED).count() == 6
    assert not deliveries.filter(sent_at=None).exists()
    assert sum(sweeps) == 18
    emails = _emails(worker_mail)
    sent = Counter((message["To"], message["Subject"], _text(message)) for message in emails)
    assert len(emails) == 18
    assert set(sent.values()) == {1}  # no email twice
    assert Counter(to for to, _, _ in sent) == {account.email: 3 for account in [alice, *others]}
