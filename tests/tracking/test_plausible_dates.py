"""Every date a person types has a plausible range: year 0001 gets a plain message.

Before, a dose at 0001-01-01 08:00 for a patient in Tokyo was stored as 1 BC on
PostgreSQL and broke the patient's pages for good, and the post itself answered 500
on SQLite. Each form now refuses such a date, keeps the input and saves nothing.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from monographs.models import InjectionSite, LabRule, Medicine
from portal.models import User
from tests.pages import field_errors
from tests.world import RA, MakeTherapy, prompt_effects
from tracking.models import DoseLog, LabResult, SideEffectReport, Therapy

TOO_EARLY = "Enter a date from 1 January 2000 on."


@pytest.fixture
def tokyo_therapy(alice: User, make_therapy: MakeTherapy) -> Therapy:
    return make_therapy(alice, RA, "100", time_zone="Asia/Tokyo")


@pytest.mark.parametrize("taken_at", ["0001-01-01T08:00", "1999-12-31T23:59"])
def test_a_dose_before_2000_is_refused_with_a_plain_message(
    alice_client: Client,
    tokyo_therapy: Therapy,
    sites: dict[str, InjectionSite],
    taken_at: str,
) -> None:
    response = alice_client.post(
        "/doses/new/",
        {
            "status": "taken",
            "slot": "",
            "taken_at": taken_at,
            "dose_mg": "100",
            "site": sites[InjectionSite.BodyArea.LEFT_THIGH].pk,
            "submission_id": str(uuid.uuid4()),
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "taken_at") == [TOO_EARLY]
    assert not DoseLog.objects.exists()
    # The patient's pages and downloads keep working.
    for path in ["/doses/", "/doses/export.csv", "/account/export.json", "/"]:
        assert alice_client.get(path).status_code == 200


def test_a_blood_test_before_2000_is_refused(
    alice_client: Client, alice_therapy: Therapy, anc_rule: LabRule
) -> None:
    response = alice_client.post(
        "/labs/",
        {"due": f"{anc_rule.pk}:1", "taken_on": "0001-01-01", "value": "2500", "unit": "cells_ul"},
    )

    assert response.status_code == 200
    assert field_errors(response, "taken_on") == [TOO_EARLY]
    assert not LabResult.objects.exists()


def test_a_side_effect_that_started_before_2000_is_refused(
    alice_client: Client, alice_therapy: Therapy, anakinra: Medicine
) -> None:
    [headache] = [e for e in prompt_effects(anakinra, 3) if e.name == "Headache"]

    response = alice_client.post(
        "/side-effects/new/",
        {f"effect_{headache.pk}": "on", f"started_{headache.pk}": "0001-01-01"},
    )

    assert response.status_code == 200
    assert field_errors(response, f"started_{headache.pk}") == [TOO_EARLY]
    assert not SideEffectReport.objects.exists()


def test_a_therapy_that_started_before_2000_is_refused(
    alice: User, make_therapy: MakeTherapy, alice_client: Client
) -> None:
    therapy = make_therapy(alice, RA, "100")

    response = alice_client.post(
        f"/therapies/{therapy.uuid}/",
        {
            "regimen": therapy.regimen_id,
            "prescribed_dose": "100",
            "start_date": "0001-01-01",
            "first_time": "08:00",
            "dose_days": "daily",
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "start_date") == [TOO_EARLY]
    therapy.refresh_from_db()
    assert therapy.start_date.year == 2026
