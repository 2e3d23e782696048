"""/side-effects/<uuid>/: one report, what to do about it, and whether the team saw it."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client

from monographs.models import Medicine
from portal.models import User
from tests.pages import is_login_redirect, select, select_one, words
from tests.world import NOW, LogDose, Urgency, new_report, new_york, prompt_effects
from tracking.models import SideEffectReport, Therapy

pytestmark = pytest.mark.usefixtures("alice_therapy")


def _url(report: SideEffectReport) -> str:
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
    assert "after your dose of 18 November" in page
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


@pytest.mark.usefixtures("bob_therapy")
def test_bob_gets_404_for_alices_report(bob_client: Client, alice: User) -> None:
    report = new_report(alice, none_reported=True)

    response = bob_client.get(_url(report))

    assert response.status_code == 404


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
