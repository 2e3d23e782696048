"""Twenty taps at once: the day's maximum holds when many requests log a dose together.

Each request runs in its own thread with its own database connection, the way
requests reach a web server. On PostgreSQL the rows lock in record_dose is what
keeps two requests from both reading "nothing logged yet"; SQLite's IMMEDIATE
transactions serialise writers already.
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
from tracking.models import DoseLog, Therapy

REQUESTS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_doses_for_one_day_write_exactly_one(
    alice: User, alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    clients = []
    for _ in range(REQUESTS):
        client = Client()
        client.force_login(alice)
        clients.append(client)
    site = sites[InjectionSite.BodyArea.LEFT_THIGH]
    start = threading.Barrier(REQUESTS)
    statuses: list[int] = []
    failures: list[BaseException] = []

    def post(client: Client) -> None:
        try:
            start.wait()
            response = client.post(
                "/doses/new/",
                {
                    "status": DoseLog.Status.TAKEN,
                    "taken_at": "2026-11-18T09:30",
                    "dose_mg": "100",
                    "site": site.pk,
                    "submission_id": uuid.uuid4(),
                },
            )
            statuses.append(response.status_code)
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
    assert len(statuses) == REQUESTS
    # One redirect for the dose that was saved; every other post re-renders the form
    # with the "more than your most per day" message: no 500, nothing half-saved.
    assert Counter(statuses) == {HTTPStatus.FOUND: 1, HTTPStatus.OK: REQUESTS - 1}
    assert DoseLog.objects.filter(patient=alice).count() == 1
