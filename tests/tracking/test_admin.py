"""The care team's admin: carol sets therapies (checked like the patient's form), and
reads dose logs without being able to change them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from monographs.models import DosingRegimen, Medicine
from portal.models import User
from tests.pages import select, words
from tests.world import NOMID, RA, TODAY, LogDose, new_york
from tracking.models import DoseLog, Therapy

THERAPY_ADD = "/admin/tracking/therapy/add/"
pytestmark = pytest.mark.usefixtures("clock")


def _therapy_data(patient: User, regimen: DosingRegimen, **changes: str) -> dict[str, str]:
    data = {
        "patient": str(patient.pk),
        "medicine": str(regimen.medicine_id),
        "regimen": str(regimen.pk),
        "prescribed_dose": "100",
        "weight_kg": "",
        "start_date": "2026-11-02",
        "end_date": "",
        "time_zone": "America/New_York",
        "usual_dose_time": "08:00",
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_carol_adds_a_therapy_for_alice(
    carol_client: Client,
    carol: User,
    alice: User,
    anakinra: Medicine,
    regimens: dict[str, DosingRegimen],
) -> None:
    assert carol_client.get(THERAPY_ADD).status_code == 200

    response = carol_client.post(THERAPY_ADD, _therapy_data(alice, regimens[RA]))

    assert response.status_code == 302
    therapy = Therapy.objects.get(patient=alice)
    assert therapy.medicine == anakinra
    assert therapy.regimen == regimens[RA]
    assert therapy.prescribed_dose == Decimal("100")
    assert therapy.start_date == datetime.date(2026, 11, 2)
    assert therapy.history.get().history_user == carol


def test_carol_adds_a_weight_based_therapy(
    carol_client: Client, alice: User, regimens: dict[str, DosingRegimen]
) -> None:
    response = carol_client.post(
        THERAPY_ADD,
        _therapy_data(alice, regimens[NOMID], prescribed_dose="2", weight_kg="10"),
    )

    assert response.status_code == 302
    assert Therapy.objects.get(patient=alice).max_daily_mg() == Decimal("80")


@pytest.mark.parametrize(
    ("indication", "changes", "message"),
    [
        (
            RA,
            {"prescribed_dose": "150"},
            "That is more than this regimen allows: at most 100 mg a day. "
            "Check the dose on your prescription.",
        ),
        (
            NOMID,
            {"prescribed_dose": "2"},
            "This regimen is dosed by body weight: enter the weight in kg.",
        ),
        (
            RA,
            {"start_date": (TODAY + datetime.timedelta(days=61)).isoformat()},
            "The start date is too far ahead. Use a date on or before 17 January 2027.",
        ),
        (
            RA,
            {"time_zone": "Moon/Tranquility"},
            "Choose a time zone from the list, e.g. America/New_York.",
        ),
        (
            NOMID,
            {"prescribed_dose": "2", "weight_kg": "351"},
            "Enter a body weight between 0.5 and 350 kg.",
        ),
    ],
    ids=["dose above max", "weight missing", "start too far ahead", "time zone", "weight"],
)
def test_admin_refuses_a_bad_therapy_like_the_patients_form(
    carol_client: Client,
    alice: User,
    regimens: dict[str, DosingRegimen],
    indication: str,
    changes: dict[str, str],
    message: str,
) -> None:
    response = carol_client.post(
        THERAPY_ADD, _therapy_data(alice, regimens[indication], **changes)
    )

    assert response.status_code == 200
    assert message in words(response)
    assert Therapy.objects.count() == 0


def test_carol_corrects_alices_dose(
    carol_client: Client,
    carol: User,
    alice_therapy: Therapy,
    regimens: dict[str, DosingRegimen],
) -> None:
    url = f"/admin/tracking/therapy/{alice_therapy.pk}/change/"
    assert carol_client.get(url).status_code == 200

    response = carol_client.post(
        url,
        _therapy_data(
            alice_therapy.patient,
            regimens[RA],
            prescribed_dose="50",
            start_date=alice_therapy.start_date.isoformat(),
        ),
    )

    assert response.status_code == 302
    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("50")
    assert alice_therapy.history.first().history_user == carol


def test_a_refused_correction_in_admin_leaves_the_therapy_unchanged(
    carol_client: Client, alice_therapy: Therapy, regimens: dict[str, DosingRegimen]
) -> None:
    url = f"/admin/tracking/therapy/{alice_therapy.pk}/change/"

    response = carol_client.post(
        url, _therapy_data(alice_therapy.patient, regimens[RA], prescribed_dose="200")
    )

    assert response.status_code == 200
    assert "at most 100 mg a day" in words(response)
    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("100")


# --- dose logs are read-only --------------------------------------------------------------


@pytest.fixture
def dose(alice_therapy: Therapy, log_dose: LogDose) -> DoseLog:
    return log_dose(alice_therapy, new_york(2026, 11, 18, 8, 15), note="thigh a bit sore")


def test_carol_reads_the_dose_log(carol_client: Client, dose: DoseLog) -> None:
    listing = carol_client.get("/admin/tracking/doselog/")
    detail = carol_client.get(f"/admin/tracking/doselog/{dose.pk}/change/")

    assert listing.status_code == 200
    assert "alice@example.com" in words(listing)
    assert detail.status_code == 200
    assert "thigh a bit sore" in words(detail)
    # Shown, not editable: no field to change and no button to save.
    for name in ("dose_mg", "note", "_save"):
        assert select(detail, f'[name="{name}"]') == [], name


def test_carol_cannot_add_change_or_delete_a_dose(carol_client: Client, dose: DoseLog) -> None:
    change = carol_client.post(
        f"/admin/tracking/doselog/{dose.pk}/change/", {"note": "edited", "dose_mg": "10"}
    )
    delete = carol_client.post(f"/admin/tracking/doselog/{dose.pk}/delete/", {"post": "yes"})
    add = carol_client.get("/admin/tracking/doselog/add/")

    assert change.status_code == 403
    assert delete.status_code == 403
    assert add.status_code == 403
    dose.refresh_from_db()
    assert dose.note == "thigh a bit sore"
    assert dose.dose_mg == Decimal("100")


def test_even_a_superuser_cannot_add_or_delete_a_dose(
    client: Client, dose: DoseLog, db: None
) -> None:
    admin = User.objects.create_superuser("root@example.com", "not-used-here-123")
    client.force_login(admin)

    assert client.get("/admin/tracking/doselog/add/").status_code == 403
    assert (
        client.post(f"/admin/tracking/doselog/{dose.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    detail = client.get(f"/admin/tracking/doselog/{dose.pk}/change/")
    assert select(detail, '[name="dose_mg"]') == []
    assert DoseLog.objects.filter(pk=dose.pk).exists()


def test_patients_cannot_open_the_admin(alice_client: Client, alice_therapy: Therapy) -> None:
    response = alice_client.get(THERAPY_ADD)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
