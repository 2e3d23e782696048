"""The named world every test shares: alice and bob (patients), carol (a clinician)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from monographs.models import Medicine
from portal.models import User

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
