"""/side-effects/<uuid>/: one report, what to do about it, and whether the team saw it.

It answers at /p/<patient>/side-effects/<uuid>/ (the links) and at the short path.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client

from monographs.models import Medicine
from portal.models import User
from tests.pages import is_login_redirect, select, select_one, words
from tests.world import (
    NOW,
    LogDose,
    Urgency,
    ended_caregiver,
    new_report,
    new_york,
    own_patient,
    prompt_effects,
)
from tracking.models import Patient, SideEffectReport, Therapy

pytestmark = pytest.mark.usefixtures("alice_therapy")


def _url(report: SideEffectReport) -> str:
    """The address the pages link to: it names the patient."""
    return f"/p/{report.patient.uuid}/side-effects/{report.uuid}/"


def _short(report: SideEffectReport) -> str:
    return f"/side-effects/{report.uuid}/"


def test_shows_what_was_reported_with_severity_and_start(
    alice_client: Client, alice_therapy: Therapy, anakinra: Medicine, log_dose: LogDose
) -> None:
    headache = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[1]
    dose = log_dose(alice_therapy, new_york(2026, 11, 18, 8))
    report = new_report(alice_therapy.patient, headache, other="Tired", dose=dose)
    report.items.update(severity="moderate", started_on=datetime.date(2026, 11, 16))

    response = alice_client.get(_url(report))

    assert response.status_code == 200
    page = words(response)
    assert f"{headache.name}: moderate, since 16 November" in page
    assert "Something else: Tired" in page
    assert "after the Anakinra (Kineret) dose of Wednesday 18 November" in page
    assert select(response, '[role="alert"]') == []


def test_an_emergency_report_repeats_get_help_now_first(
    alice_client: Client, alice: User, anakinra: Medicine
) -> None:
    emergency = prompt_effects(anakinra, Urgency.EMERGENCY)[0]
    report = new_report(alice, emergency, needs_review=True)

    response = alice_client.get(_url(report))

    main = select_one(response, "main#main")
    [alert] = main.select('[role="alert"]')
    assert words(alert).startswith("Get emergency help now")
    # Before the page's heading: the first thing in <main> a reader meets.
    [first, *_] = main.select('[role="alert"], h1')
    assert first is alert


def test_a_report_waiting_for_the_care_team_says_so(
    alice_client: Client, alice: User, anakinra: Medicine
) -> None:
    report = new_report(alice, prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0], needs_review=True)

    page = words(alice_client.get(_url(report)))

    assert "Waiting for your care team to review" in page
    assert "Reviewed by your care team" not in page


def test_a_reviewed_report_says_reviewed_by_the_care_team(
    alice_client: Client, alice: User, carol: User, anakinra: Medicine
) -> None:
    report = new_report(alice, prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0], needs_review=True)
    report.reviewed_at, report.reviewed_by = NOW, carol
    report.save()

    page = words(alice_client.get(_url(report)))

    assert "Reviewed by your care team on 18 November 2026" in page
    assert "Waiting for your care team" not in page
    assert "Carol" not in page  # the team, not a named person


def test_the_short_path_shows_the_same_report(alice_client: Client, alice: User) -> None:
    report = new_report(alice, other="Tired")

    response = alice_client.get(_short(report))

    assert response.status_code == 200
    assert "Something else: Tired" in words(response)


@pytest.mark.usefixtures("bob_therapy")
@pytest.mark.parametrize("address", ["named", "short", "bobs"])
def test_bob_gets_404_for_alices_report(
    bob_client: Client, bob: User, alice: User, address: str
) -> None:
    report = new_report(alice, none_reported=True)
    url = {
        "named": _url(report),
        "short": _short(report),
        # His own patient's address with her report's id.
        "bobs": f"/p/{own_patient(bob).uuid}/side-effects/{report.uuid}/",
    }[address]

    response = bob_client.get(url)

    assert response.status_code == 404


@pytest.mark.parametrize("address", ["named", "short"])
def test_a_caregiver_whose_access_ended_gets_404(
    client: Client, alice: User, address: str
) -> None:
    report = new_report(alice, other="Alice's private note")
    client.force_login(ended_caregiver(report.patient))

    response = client.get(_url(report) if address == "named" else _short(report))

    assert response.status_code == 404
    assert "Alice's private note" not in words(response)


@pytest.mark.usefixtures("leo")
def test_one_childs_page_never_shows_the_other_childs_report(
    sam_client: Client, mia: Patient, leo: Patient
) -> None:
    report = new_report(mia, other="Mia's rash")

    assert sam_client.get(_url(report)).status_code == 200
    assert sam_client.get(f"/p/{leo.uuid}/side-effects/{report.uuid}/").status_code == 404


def test_an_unknown_report_is_404(alice_client: Client) -> None:
    assert alice_client.get(f"/side-effects/{uuid.uuid4()}/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_not_allowed(alice_client: Client, alice: User, method: str) -> None:
    report = new_report(alice, none_reported=True)

    response = getattr(alice_client, method)(_url(report))

    assert response.status_code == 405
    assert SideEffectReport.objects.filter(pk=report.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, alice: User) -> None:
    report = new_report(alice, none_reported=True)

    assert is_login_redirect(client.get(_url(report)), _url(report))


def test_the_time_sent_and_the_doses_day_are_the_patients(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    # Saturday 8:22 PM in New York is already Sunday 01:22 in UTC.
    dose = log_dose(alice_therapy, new_york(2026, 11, 14, 20, 22))
    report = new_report(alice_therapy.patient, none_reported=True, dose=dose)

    page = words(alice_client.get(_url(report)))

    # Made at NOW: 10:00 in New York (15:00 UTC).
    assert "Sent Wednesday 18 November 2026, 10:00 AM" in page
    assert "after the Anakinra (Kineret) dose of Saturday 14 November" in page
    assert "15 November" not in page


def test_the_page_says_who_sent_the_report(una_client: Client, una: User, mia: Patient) -> None:
    report = new_report(mia, none_reported=True)
    report.entered_by = una
    report.save()

    page = words(una_client.get(_url(report)))

    assert "Sent Wednesday 18 November 2026, 10:00 AM by Una" in page
    assert "All Mia’s reports" in page


def test_an_emergency_report_without_a_dose_asks_to_name_each_medicine(
    alice_client: Client, alice: User, anakinra: Medicine
) -> None:
    report = new_report(alice, prompt_effects(anakinra, Urgency.EMERGENCY)[0], needs_review=True)

    [alert] = select(alice_client.get(_url(report)), '[role="alert"]')

    # Nothing assumes one medicine, or an injection.
    assert "Say that you take your medicines (name each one)" in words(alert)
    assert "injectable" not in words(alert)
