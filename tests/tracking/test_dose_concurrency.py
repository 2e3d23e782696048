"""Twenty taps at once for one slot: the slot gets one dose, whoever sends the others.

Each request runs in its own thread with its own database connection, the way
requests reach a web server. Two caregivers of Mia post for her morning slot from
their own sign-ins, ten requests each. Far below the daily maximum (16 mg a dose, 128
mg a day), only the slot rule stands between them and twenty doses: on PostgreSQL the
row lock on the patient in record_dose is what keeps two requests from both reading
"nothing logged yet"; SQLite's IMMEDIATE transactions serialise writers already.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client

from monographs.models import InjectionSite
from portal.models import User
from tests.pages import second_in_slot, words
from tracking.models import DoseLog, Patient, Therapy

REQUESTS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_doses_for_one_slot_write_exactly_one(
    sam: User,
    una: User,
    mia: Patient,
    mia_therapy: Therapy,
    sites: dict[str, InjectionSite],
) -> None:
    clients = []
    for number in range(REQUESTS):
        client = Client()
        client.force_login(sam if number % 2 else una)
        clients.append(client)
    site = sites[InjectionSite.BodyArea.LEFT_THIGH]
    start = threading.Barrier(REQUESTS)
    answers: list[tuple[int, str]] = []
    failures: list[BaseException] = []

    def post(client: Client) -> None:
        try:
            start.wait()
            response = client.post(
                f"/p/{mia.uuid}/doses/new/",
                {
                    "status": DoseLog.Status.TAKEN,
                    "slot": "2026-11-18T08:00",
                    "taken_at": "2026-11-18T08:30",
                    "dose_mg": "16",
                    "site": site.pk,
                    "submission_id": uuid.uuid4(),
                },
            )
            answers.append((response.status_code, words(response)))
        except BaseException as error:  # a "database is locked" must fail the test
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert len(answers) == REQUESTS
    # One redirect for the dose that was saved; every other post re-renders the form
    # asking before a second dose in the slot: no 500, nothing half-saved.
    assert Counter(status for status, _ in answers) == {
        HTTPStatus.FOUND: 1,
        HTTPStatus.OK: REQUESTS - 1,
    }
    question = second_in_slot("8:00 AM")
    assert all(question in page for status, page in answers if status == HTTPStatus.OK)
    assert DoseLog.objects.filter(patient=mia).count() == 1
