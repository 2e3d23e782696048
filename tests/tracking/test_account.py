"""/account/: email choices, the private calendar link, and downloads of the patient's data."""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any

import pytest
from django.test import Client

from monographs.models import LabRule, Medicine
from portal.models import User
from tests.pages import attr, is_login_redirect, select_one, words
from tests.world import (
    NOW,
    TODAY,
    LogDose,
    Urgency,
    local_time,
    new_report,
    new_result,
    prompt_effects,
)
from tracking.models import PatientPreferences, ReminderDelivery, Therapy

URL = "/account/"
EXPORT = "/account/export.json"
DOSE_CSV = "/doses/export.csv"
RESET = "/account/calendar-link/"
pytestmark = pytest.mark.usefixtures("alice_therapy")
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def alices_world(
    alice_therapy: Therapy, anakinra: Medicine, anc_rule: LabRule, log_dose: LogDose
) -> dict[str, Any]:
    """One of each thing alice can have, returned so a test can look for it."""
    alice = alice_therapy.patient
    headache = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[1]
    dose = log_dose(alice_therapy, local_time(alice_therapy, YESTERDAY))
    skipped = log_dose(
        alice_therapy,
        local_time(alice_therapy, TODAY - datetime.timedelta(days=2)),
        status="skipped",
        skip_reason="Unwell",
    )
    report = new_report(alice, headache, other="Alice's own words", dose=dose, severity="mild")
    result = new_result(
        alice,
        anc_rule,
        month=1,
        value=850,
        taken_on=TODAY - datetime.timedelta(days=9),
        needs_review=True,
    )
    PatientPreferences.objects.create(patient=alice, email_dose_reminders=False)
    reminder = ReminderDelivery.objects.create(
        patient=alice, reason=ReminderDelivery.Reason.LAB_OVERDUE, due_date=TODAY, sent_at=NOW
    )
    return {
        "dose": dose,
        "skipped": skipped,
        "report": report,
        "result": result,
        "reminder": reminder,
        "headache": headache,
    }


def _export(client: Client) -> dict[str, Any]:
    response = client.get(EXPORT)
    assert response.status_code == 200
    return json.loads(response.content)


# --- the page ------------------------------------------------------------------------------


def test_shows_the_choices_the_calendar_link_and_the_downloads(
    alice_client: Client, alice: User
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 200
    token = PatientPreferences.objects.get(patient=alice).calendar_token
    calendar = select_one(response, 'section[aria-labelledby="calendar-heading"]')
    field = select_one(calendar, "input#calendar-url")
    assert attr(field, "value") == f"http://testserver/labs/calendar/{token}.ics"
    assert words(select_one(calendar, 'label[for="calendar-url"]')) == "Your calendar link"
    for name in ("email_lab_reminders", "email_dose_reminders"):
        checkbox = select_one(response, f'input[type="checkbox"][name="{name}"]')
        assert checkbox.has_attr("checked")  # on until the patient turns them off
    downloads = select_one(response, 'section[aria-labelledby="data-heading"]')
    assert {attr(link, "href") for link in downloads.select("a")} == {
        EXPORT,
        DOSE_CSV,
        "/summary/",
    }


def test_turning_off_dose_emails_keeps_lab_emails(alice_client: Client, alice: User) -> None:
    response = alice_client.post(URL, {"email_lab_reminders": "on"}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert "Your email choices are saved." in words(response)
    preferences = PatientPreferences.objects.get(patient=alice)
    assert preferences.email_lab_reminders is True
    assert preferences.email_dose_reminders is False


def test_turning_both_off(alice_client: Client, alice: User) -> None:
    alice_client.post(URL, {})

    preferences = PatientPreferences.objects.get(patient=alice)
    assert (preferences.email_lab_reminders, preferences.email_dose_reminders) == (False, False)


@pytest.mark.usefixtures("bob_therapy")
def test_saving_choices_changes_only_ones_own(bob_client: Client, alice: User, bob: User) -> None:
    PatientPreferences.objects.create(patient=alice)

    bob_client.post(URL, {})

    alices = PatientPreferences.objects.get(patient=alice)
    assert (alices.email_lab_reminders, alices.email_dose_reminders) == (True, True)
    assert PatientPreferences.objects.get(patient=bob).email_lab_reminders is False


def test_a_new_calendar_link_replaces_the_old_one(alice_client: Client, alice: User) -> None:
    old = PatientPreferences.objects.create(patient=alice).calendar_token

    response = alice_client.post(RESET, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert "The old link no longer works anywhere." in words(response)
    new = PatientPreferences.objects.get(patient=alice).calendar_token
    assert new != old
    assert attr(select_one(response, "#calendar-url"), "value").endswith(
        f"/labs/calendar/{new}.ics"
    )
    assert old not in response.content.decode()


@pytest.mark.usefixtures("bob_therapy")
def test_a_new_calendar_link_for_bob_leaves_alices_alone(bob_client: Client, alice: User) -> None:
    alices = PatientPreferences.objects.create(patient=alice).calendar_token

    bob_client.post(RESET)

    assert PatientPreferences.objects.get(patient=alice).calendar_token == alices


def test_the_account_page_works_before_a_therapy_is_set(
    client: Client, bob: User, anakinra: Medicine
) -> None:
    client.force_login(bob)

    assert client.get(URL).status_code == 200


# --- downloads -----------------------------------------------------------------------------


def test_export_holds_all_of_alices_own_data(
    alice_client: Client,
    alice: User,
    alice_therapy: Therapy,
    anakinra: Medicine,
    alices_world: dict[str, Any],
) -> None:
    world = alices_world

    response = alice_client.get(EXPORT)

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"] == {"email": alice.email, "name": "Alice"}
    assert data["therapy"]["start_date"] == alice_therapy.start_date.isoformat()
    assert data["therapy"]["medicine"] == anakinra.display_name
    assert {dose["id"] for dose in data["doses"]} == {
        str(world["dose"].uuid),
        str(world["skipped"].uuid),
    }
    [report] = data["side_effect_reports"]
    assert report["id"] == str(world["report"].uuid)
    assert report["other"] == "Alice's own words"
    assert report["items"] == [
        {"side_effect": world["headache"].name, "severity": "mild", "started_on": None}
    ]
    [result] = data["lab_results"]
    assert result["id"] == str(world["result"].uuid)
    assert result["value_cells_per_ul"] == "850.0"
    assert result["sent_for_review"] is True
    assert data["preferences"] == {"email_lab_reminders": True, "email_dose_reminders": False}
    assert data["reminders"] == [
        {
            "reason": ReminderDelivery.Reason.LAB_OVERDUE.value,
            "due_date": TODAY.isoformat(),
            "sent_at": NOW.isoformat().replace("+00:00", "Z"),
        }
    ]


def test_bobs_export_holds_none_of_alices_rows(
    bob_client: Client,
    bob: User,
    alice: User,
    bob_therapy: Therapy,
    alices_world: dict[str, Any],
    log_dose: LogDose,
) -> None:
    world = alices_world
    bobs_dose = log_dose(bob_therapy, local_time(bob_therapy, YESTERDAY))

    response = bob_client.get(EXPORT)

    body = response.content.decode()
    for row in ("dose", "skipped", "report", "result"):
        assert str(world[row].uuid) not in body
    assert alice.email not in body
    assert "Alice's own words" not in body
    data = json.loads(body)
    assert data["account"]["email"] == bob.email
    assert data["therapy"]["start_date"] == bob_therapy.start_date.isoformat()
    assert [dose["id"] for dose in data["doses"]] == [str(bobs_dose.uuid)]
    assert data["side_effect_reports"] == []
    assert data["lab_results"] == []
    assert data["reminders"] == []


def test_the_dose_csv_holds_only_ones_own_doses(
    bob_client: Client, alice_therapy: Therapy, bob_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, local_time(alice_therapy, TODAY - datetime.timedelta(days=3)))
    log_dose(bob_therapy, local_time(bob_therapy, YESTERDAY))

    response = bob_client.get(DOSE_CSV)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.streaming
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0][:3] == ["date", "time", "status"]
    assert [row[0] for row in rows[1:]] == [YESTERDAY.isoformat()]


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", URL), ("post", URL), ("get", EXPORT), ("post", RESET), ("get", DOSE_CSV)],
)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, method: str, url: str) -> None:
    assert is_login_redirect(getattr(client, method)(url), url)


@pytest.mark.parametrize(
    ("method", "url"),
    [("put", URL), ("delete", URL), ("post", EXPORT), ("get", RESET), ("post", DOSE_CSV)],
)
def test_other_methods_are_not_allowed(
    alice_client: Client, alice: User, method: str, url: str
) -> None:
    before = PatientPreferences.objects.filter(patient=alice).values_list(
        "calendar_token", flat=True
    )
    tokens = list(before)

    assert getattr(alice_client, method)(url).status_code == 405
    assert list(before) == tokens
