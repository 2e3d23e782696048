"""/therapy/: a patient sets up (or corrects) their own therapy; nobody logs without one."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from monographs.models import DosingRegimen, Medicine
from portal.models import User
from tests.pages import attr, field_errors, select, select_one, words
from tests.world import NOMID, PASSWORD, RA, TODAY
from tracking.models import Therapy

URL = "/therapy/"
pytestmark = pytest.mark.usefixtures("clock")


def _post_data(regimen: DosingRegimen, **changes: str) -> dict[str, str]:
    data = {
        "regimen": str(regimen.pk),
        "prescribed_dose": "100",
        "weight_kg": "",
        "start_date": "2026-11-02",
        "time_zone": "America/New_York",
        "usual_dose_time": "07:30",
    }
    data.update(changes)
    return data


def test_first_sign_in_without_a_therapy_lands_on_the_setup_page(
    client: Client, alice: User, anakinra: Medicine
) -> None:
    response = client.post(
        "/accounts/login/", {"username": "alice@example.com", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [("/", 302), (URL, 302)]
    assert response.status_code == 200
    assertContains(response, "<h1>Set up your therapy</h1>", html=True)


def test_setup_page_offers_each_published_regimen(
    alice_client: Client, regimens: dict[str, DosingRegimen]
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 200
    page = words(response)
    assert "Anakinra" in page or "Kineret" in page
    offered = [
        attr(option, "value") for option in select(response, 'select[name="regimen"] option')
    ]
    for regimen in regimens.values():
        assert str(regimen.pk) in offered
    assert "at most 100 mg a day" in page
    assert "at most 8 mg/kg a day" in page


def test_setup_saves_the_therapy_and_goes_to_the_dashboard(
    alice_client: Client, alice: User, anakinra: Medicine, regimens: dict[str, DosingRegimen]
) -> None:
    response = alice_client.post(URL, _post_data(regimens[RA]))

    assert response.status_code == 302
    assert response["Location"] == "/"
    therapy = Therapy.objects.get(patient=alice)
    assert therapy.medicine == anakinra  # follows from the regimen
    assert therapy.regimen == regimens[RA]
    assert therapy.prescribed_dose == Decimal("100")
    assert therapy.weight_kg is None
    assert therapy.start_date == datetime.date(2026, 11, 2)
    assert therapy.time_zone == "America/New_York"
    assert therapy.usual_dose_time == datetime.time(7, 30)
    assert alice_client.get("/").status_code == 200


def test_setup_saves_a_weight_based_therapy(
    alice_client: Client, alice: User, regimens: dict[str, DosingRegimen]
) -> None:
    response = alice_client.post(
        URL, _post_data(regimens[NOMID], prescribed_dose="2", weight_kg="10")
    )

    assert response.status_code == 302
    therapy = Therapy.objects.get(patient=alice)
    assert therapy.weight_kg == Decimal("10")
    assert therapy.dose_mg == Decimal("20")
    assert therapy.max_daily_mg() == Decimal("80")


@pytest.mark.parametrize(
    ("indication", "changes", "field", "message"),
    [
        (
            RA,
            {"prescribed_dose": "150"},
            "prescribed_dose",
            "That is more than this regimen allows: at most 100 mg a day. "
            "Check the dose on your prescription.",
        ),
        (
            NOMID,
            {"prescribed_dose": "9", "weight_kg": "20"},
            "prescribed_dose",
            "That is more than this regimen allows: at most 8 mg/kg a day. "
            "Check the dose on your prescription.",
        ),
        (
            NOMID,
            {"prescribed_dose": "2", "weight_kg": "0.4"},
            "weight_kg",
            "Enter a body weight between 0.5 and 350 kg.",
        ),
        (
            NOMID,
            {"prescribed_dose": "2", "weight_kg": "351"},
            "weight_kg",
            "Enter a body weight between 0.5 and 350 kg.",
        ),
        (
            NOMID,
            {"prescribed_dose": "2"},
            "weight_kg",
            "This regimen is dosed by body weight: enter the weight in kg.",
        ),
        (
            RA,
            {"start_date": (TODAY + datetime.timedelta(days=61)).isoformat()},
            "start_date",
            "The start date is too far ahead. Use a date on or before 17 January 2027.",
        ),
        (
            RA,
            {"prescribed_dose": "0"},
            "prescribed_dose",
            "The dose must be more than 0.",
        ),
    ],
    ids=[
        "dose above max",
        "per-kg dose above max",
        "weight too low",
        "weight too high",
        "weight missing",
        "start too far ahead",
        "dose zero",
    ],
)
def test_setup_refuses_a_bad_value_with_a_plain_message_and_saves_nothing(
    alice_client: Client,
    regimens: dict[str, DosingRegimen],
    indication: str,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = alice_client.post(URL, _post_data(regimens[indication], **changes))

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert Therapy.objects.count() == 0


def test_setup_accepts_a_start_date_60_days_ahead(
    alice_client: Client, alice: User, regimens: dict[str, DosingRegimen]
) -> None:
    latest = TODAY + datetime.timedelta(days=60)

    response = alice_client.post(URL, _post_data(regimens[RA], start_date=latest.isoformat()))

    assert response.status_code == 302
    assert Therapy.objects.get(patient=alice).start_date == latest


def test_setup_refuses_a_time_zone_not_in_the_list(
    alice_client: Client, regimens: dict[str, DosingRegimen]
) -> None:
    response = alice_client.post(URL, _post_data(regimens[RA], time_zone="Mars/Olympus_Mons"))

    assert response.status_code == 200
    assert field_errors(response, "time_zone") == [
        "Select a valid choice. Mars/Olympus_Mons is not one of the available choices."
    ]
    assert Therapy.objects.count() == 0


def test_patient_corrects_their_own_therapy(
    alice_client: Client, alice_therapy: Therapy, regimens: dict[str, DosingRegimen]
) -> None:
    page = alice_client.get(URL)
    assertContains(page, "<h1>Your therapy</h1>", html=True)
    assert attr(select_one(page, 'input[name="prescribed_dose"]'), "value") == "100.00"

    response = alice_client.post(
        URL, _post_data(regimens[RA], prescribed_dose="50", time_zone="Europe/London")
    )

    assert response.status_code == 302
    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("50")
    assert alice_therapy.time_zone == "Europe/London"
    assert Therapy.objects.count() == 1
    assert alice_therapy.history.count() == 2


def test_a_refused_correction_leaves_the_therapy_unchanged(
    alice_client: Client, alice_therapy: Therapy, regimens: dict[str, DosingRegimen]
) -> None:
    response = alice_client.post(URL, _post_data(regimens[RA], prescribed_dose="101"))

    assert response.status_code == 200
    assert field_errors(response, "prescribed_dose") == [
        "That is more than this regimen allows: at most 100 mg a day. "
        "Check the dose on your prescription."
    ]
    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("100")


def test_bob_sees_and_saves_only_his_own_therapy(
    bob_client: Client,
    bob: User,
    alice_therapy: Therapy,
    regimens: dict[str, DosingRegimen],
) -> None:
    page = bob_client.get(URL)
    assertContains(page, "<h1>Set up your therapy</h1>", html=True)
    assert select_one(page, 'input[name="prescribed_dose"]').get("value") is None
    assertNotContains(page, "100.00")

    response = bob_client.post(URL, _post_data(regimens[RA], prescribed_dose="50"))

    assert response.status_code == 302
    assert Therapy.objects.get(patient=bob).prescribed_dose == Decimal("50")
    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("100")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_setup_rejects_other_methods(
    alice_client: Client, anakinra: Medicine, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_setup_sends_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/therapy/"
    assert client.post(URL, {})["Location"] == "/accounts/login/?next=/therapy/"


@pytest.mark.parametrize("url", ["/", "/doses/", "/doses/new/", "/doses/export.csv"])
def test_pages_send_a_patient_without_a_therapy_to_set_one_up(
    alice_client: Client, anakinra: Medicine, url: str
) -> None:
    response = alice_client.get(url)

    assert response.status_code == 302
    assert response["Location"] == URL


@pytest.mark.parametrize("url", ["/", "/doses/", "/doses/new/"])
def test_htmx_requests_without_a_therapy_get_a_client_redirect(
    alice_client: Client, anakinra: Medicine, url: str
) -> None:
    response = alice_client.get(url, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == URL
    assert response.content == b""


def test_quick_log_without_a_therapy_saves_nothing(
    alice_client: Client, anakinra: Medicine
) -> None:
    response = alice_client.post("/doses/quick/", {"submission_id": "x"}, HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == URL
    assert Therapy.objects.count() == 0
