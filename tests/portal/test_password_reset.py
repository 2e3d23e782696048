"""Password reset is queued as a job, so the answer never tells whether an address
has an account, nor waits for the mail server."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from huey.api import Task
from huey.contrib.djhuey import HUEY

from portal.jobs import send_password_reset
from portal.models import User


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs stay in the (in-memory) queue until a worker takes them."""
    monkeypatch.setattr(HUEY, "_immediate", False)


def _take_queued() -> list[Task]:
    tasks = []
    while (task := HUEY.dequeue()) is not None:
        tasks.append(task)
    return tasks


@pytest.mark.usefixtures("queued")
def test_a_registered_and_an_unknown_address_get_the_same_answer(
    client: Client, alice: User
) -> None:
    registered = client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})

    assert registered.status_code == unknown.status_code == 302
    assert registered["Location"] == unknown["Location"] == "/accounts/password_reset/done/"
    assert registered.content == unknown.content
    # Neither request sent anything; each queued the same one job.
    assert mail.outbox == []
    tasks = _take_queued()
    assert [type(task) for task in tasks] == [send_password_reset.task_class] * 2
    assert [task.args for task in tasks] == [
        ("alice@example.com", "testserver", False),
        ("nobody@example.com", "testserver", False),
    ]


@pytest.mark.usefixtures("queued")
def test_the_job_emails_the_registered_address_only(
    client: Client, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/accounts/password_reset/", {"email": "Alice@example.com"})
    client.post("/accounts/password_reset/", {"email": "nobody@example.com"})

    # The worker's turn (immediate again only so the job keeps the test's connection).
    monkeypatch.setattr(HUEY, "_immediate", True)
    for task in _take_queued():
        HUEY.execute(task)

    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Kineret Portal" in message.subject
    assert "http://testserver/accounts/reset/" in str(message.body)


def test_the_reset_page_still_answers_when_the_job_is_run_at_once(
    client: Client, alice: User
) -> None:
    response = client.post("/accounts/password_reset/", {"email": "alice@example.com"})

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]


@pytest.mark.usefixtures("queued")
def test_an_invalid_address_is_refused_and_queues_nothing(client: Client) -> None:
    response = client.post("/accounts/password_reset/", {"email": "not an address"})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert _take_queued() == []
