"""Deletion requests in admin: open ones first; a superuser completes one, which closes
the account and ends its care but keeps every health record; a patient never loses the
last person who acts for them. The care team of the account's patients reads them only.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.admin import helpers
from django.test import Client

from portal.admin import COMPLETING
from portal.models import AccountDeletionRequest, User
from tests.pages import select, words
from tests.world import NOW, LogDose, new_york
from tracking.models import CareRelationship, DoseLog, Patient, Therapy

REQUESTS = "/admin/portal/accountdeletionrequest/"
KEPT = "The patients' health records are kept."


def _complete(client: Client, *chosen: AccountDeletionRequest, note: str = "") -> str:
    response = client.post(
        REQUESTS,
        {
            "action": "complete",
            "note": note,
            helpers.ACTION_CHECKBOX_NAME: [str(request.pk) for request in chosen],
        },
        follow=True,
    )
    assert response.status_code == 200
    return words(response)


@pytest.fixture
def unas_request(una: User, mia_therapy: Therapy, log_dose: LogDose) -> AccountDeletionRequest:
    """Una, who helps with Mia (Sam acts for her too), asks to be deleted."""
    log_dose(mia_therapy, new_york(2026, 11, 18, 8, 0), by=una)
    return AccountDeletionRequest.objects.create(account=una, reason="We moved away.")


def test_open_requests_come_first_oldest_first(
    root_client: Client, alice: User, bob: User, una: User, clock: time_machine.Traveller
) -> None:
    made = {}
    for account, days_ago, done in ((alice, 3, True), (bob, 1, False), (una, 2, False)):
        clock.move_to(NOW - datetime.timedelta(days=days_ago))
        made[account.get_short_name()] = AccountDeletionRequest.objects.create(
            account=account, completed_at=NOW if done else None
        )
    clock.move_to(NOW)

    response = root_client.get(REQUESTS)

    assert [row.pk for row in response.context["cl"].result_list] == [
        made["Una"].pk,
        made["Bob"].pk,
        made["Alice"].pk,
    ]
    assert KEPT in words(response)


@pytest.mark.usefixtures("clock")
def test_root_completes_a_request_and_the_health_records_stay(
    root_client: Client,
    root: User,
    una: User,
    una_client: Client,
    mia: Patient,
    unas_request: AccountDeletionRequest,
) -> None:
    shown = _complete(root_client, unas_request, note="Confirmed by phone.")

    assert f"1 completed. {COMPLETING}" in shown
    unas_request.refresh_from_db()
    assert (unas_request.completed_at, unas_request.completed_by) == (NOW, root)
    assert unas_request.completion_note == "Confirmed by phone."
    una.refresh_from_db()
    assert not una.is_active
    assert CareRelationship.objects.get(patient=mia, account=una).ended_at == NOW
    assert (
        CareRelationship.objects.get(patient=mia, account__email="sam@example.com").ended_at
        is None
    )
    # What Una entered for Mia is Mia's record: kept, still naming who entered it.
    assert DoseLog.objects.get(patient=mia).entered_by == una
    # Signed out: her next page sends her to sign in.
    assert una_client.get("/")["Location"].startswith("/accounts/login/")
    # Completing again changes nothing.
    assert "1 completed." not in _complete(root_client, unas_request, note="Again.")
    unas_request.refresh_from_db()
    assert unas_request.completion_note == "Confirmed by phone."


@pytest.mark.usefixtures("clock")
def test_the_last_person_acting_for_a_patient_is_not_removed(
    root_client: Client, alice: User, alice_patient: Patient
) -> None:
    request = AccountDeletionRequest.objects.create(account=alice)

    shown = _complete(root_client, request, note="Tried.")

    assert (
        "Not completed: alice@example.com is the only person who acts for Alice. "
        "Nothing was changed. Add someone else on the patient's page first." in shown
    )
    request.refresh_from_db()
    assert (request.completed_at, request.completion_note) == (None, "")
    alice.refresh_from_db()
    assert alice.is_active
    assert CareRelationship.objects.get(account=alice).ended_at is None


@pytest.mark.usefixtures("clock")
def test_a_refused_request_changes_nothing_even_where_others_could_end(
    root_client: Client, sam: User, mia: Patient, leo: Patient
) -> None:
    # Una still helps with Mia, but no one else acts for Leo.
    request = AccountDeletionRequest.objects.create(account=sam)

    shown = _complete(root_client, request)

    assert "Not completed: sam@example.com is the only person who acts for Leo." in shown
    assert CareRelationship.objects.filter(account=sam, ended_at=None).count() == 2
    sam.refresh_from_db()
    assert sam.is_active


@pytest.mark.usefixtures("clock")
def test_a_note_that_is_too_long_changes_nothing(
    root_client: Client, una: User, unas_request: AccountDeletionRequest
) -> None:
    shown = _complete(root_client, unas_request, note="x" * 2001)

    assert "Keep the note to 2,000 characters. Nothing was changed." in shown
    unas_request.refresh_from_db()
    assert unas_request.completed_at is None
    una.refresh_from_db()
    assert una.is_active


@pytest.mark.usefixtures("clock")
def test_the_care_team_reads_a_request_but_cannot_complete_it(
    carol_client: Client, una: User, unas_request: AccountDeletionRequest
) -> None:
    listing = carol_client.get(REQUESTS)
    detail = carol_client.get(f"{REQUESTS}{unas_request.pk}/change/")

    assert listing.status_code == 200
    assert select(listing, '[name="action"]') == []
    assert "We moved away." in words(detail)
    assert select(detail, '[name="_save"]') == []
    _complete(carol_client, unas_request, note="Done by carol.")
    unas_request.refresh_from_db()
    assert unas_request.completed_at is None
    una.refresh_from_db()
    assert una.is_active
    assert carol_client.get(f"{REQUESTS}add/").status_code == 403
