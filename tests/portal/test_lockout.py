"""Repeated wrong passwords pause sign-in for that account from that address (django-axes)."""

from __future__ import annotations

import datetime

import time_machine
from axes.models import AccessLog
from django.test import Client
from django.utils import timezone

from portal.models import User
from tests.pages import words
from tests.world import PASSWORD

LOGIN = "/accounts/login/"


def _attempt(client: Client, password: str) -> int:
    response = client.post(LOGIN, {"username": "alice@example.com", "password": password})
    return response.status_code


def test_five_wrong_passwords_pause_sign_in_with_a_plain_message(
    client: Client, alice: User
) -> None:
    assert [_attempt(client, "wrong-password") for _ in range(4)] == [200] * 4

    fifth = client.post(LOGIN, {"username": "alice@example.com", "password": "wrong-password"})
    right_password = client.post(LOGIN, {"username": "alice@example.com", "password": PASSWORD})

    assert fifth.status_code == 429
    assert right_password.status_code == 429
    message = words(right_password)
    assert "Sign-in paused" in message
    assert "about 15 minutes" in message
    assert "_auth_user_id" not in client.session


def test_sign_in_works_again_after_the_pause(client: Client, alice: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _attempt(client, "wrong-password")
        assert _attempt(client, PASSWORD) == 429

    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        assert _attempt(client, PASSWORD) == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_successful_sign_in_clears_earlier_failures(client: Client, alice: User) -> None:
    for _ in range(4):
        _attempt(client, "wrong-password")
    assert _attempt(client, PASSWORD) == 302
    client.post("/accounts/logout/")

    # Four more wrong ones would have made nine; after the reset they are only four.
    assert [_attempt(client, "wrong-password") for _ in range(4)] == [200] * 4
    assert _attempt(client, PASSWORD) == 302


def test_another_account_is_not_paused(client: Client, alice: User, bob: User) -> None:
    for _ in range(5):
        _attempt(client, "wrong-password")

    response = client.post(LOGIN, {"username": "bob@example.com", "password": PASSWORD})

    assert response.status_code == 302


def test_changing_the_emails_letter_case_does_not_reset_the_count(
    client: Client, alice: User
) -> None:
    """Sign-in ignores case, so Alice@… and aLiCe@… are the same account's failures."""
    spellings = [
        "Alice@example.com",
        "aLice@example.com",
        "ALICE@example.com",
        "alicE@Example.com",
    ]
    for typed in spellings:
        client.post(LOGIN, {"username": typed, "password": "wrong-password"})
    fifth = client.post(LOGIN, {"username": "alice@EXAMPLE.com", "password": "wrong-password"})

    right_password = client.post(LOGIN, {"username": "AlIcE@example.com", "password": PASSWORD})

    assert fifth.status_code == 429
    assert right_password.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_sign_in_counts_the_same_way(client: Client, carol: User) -> None:
    for typed in [
        "Carol@example.com",
        "cAROL@example.com",
        "caRol@example.com",
        "carol@Example.com",
    ]:
        client.post("/admin/login/", {"username": typed, "password": "wrong-password"})
    fifth = client.post(
        "/admin/login/", {"username": "CAROL@example.com", "password": "wrong-password"}
    )

    right_password = client.post(
        "/admin/login/", {"username": "Carol@Example.com", "password": PASSWORD}
    )

    assert fifth.status_code == 429
    assert right_password.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_is_recorded_without_the_password(
    client: Client, alice: User
) -> None:
    client.post(LOGIN, {"username": "Alice@example.com", "password": PASSWORD})

    [entry] = AccessLog.objects.all()
    assert entry.username == "alice@example.com"
    assert entry.attempt_time is not None
    assert PASSWORD not in str(vars(entry))
