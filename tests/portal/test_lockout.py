"""Repeated wrong passwords pause sign-in for that account from that address (django-axes)."""

from __future__ import annotations

import datetime

import time_machine
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
