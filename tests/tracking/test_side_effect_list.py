"""/side-effects/: the reports of the patient shown, newest first, in the patient's zone."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from monographs.models import Medicine
from portal.models import User
from tests.pages import attr, is_login_redirect, select, select_one, words
from tests.world import (
    NOW,
    MakeTherapy,
    Urgency,
    ended_caregiver,
    new_report,
    own_patient,
    prompt_effects,
)
from tracking.models import Patient, SideEffectReport

URL = "/side-effects/"
pytestmark = pytest.mark.usefixtures("alice_therapy")


def _entries(client: Client, url: str = URL, **params: str) -> list[str]:
    response = client.get(url, params)
    assert response.status_code == 200
    return [words(entry) for entry in select(response, ".entry")]


def test_lists_reports_newest_first_with_what_was_reported(
    alice_client: Client, alice: User, anakinra: Medicine, clock: time_machine.Traveller
) -> None:
    headache = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[1]
    fever = prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0]
    clock.move_to(NOW - datetime.timedelta(days=2))
    new_report(alice, none_reported=True)
    clock.move_to(NOW - datetime.timedelta(days=1))
    new_report(alice, fever, other="Sweating at night", needs_review=True)
    clock.move_to(NOW)
    new_report(alice, headache)

    entries = _entries(alice_client)

    assert len(entries) == 3
    assert entries[0].startswith("Wed 18 Nov 2026")
    assert headache.name in entries[0]
    assert entries[1].startswith("Tue 17 Nov 2026")
    assert f"{fever.name}; Sweating at night" in entries[1]
    assert "Waiting for review" in entries[1]
    assert entries[2].startswith("Mon 16 Nov 2026")
    assert "none of the listed side effects" in entries[2]


def test_each_entry_links_to_its_report(alice_client: Client, alice: User) -> None:
    report = new_report(alice, none_reported=True)

    response = alice_client.get(URL)

    # The link names the patient (/p/<uuid>/...), so it opens the same patient in any tab.
    link = select_one(response, f'.entry a[href="{report.get_absolute_url()}"]')
    assert report.get_absolute_url().startswith(f"/p/{own_patient(alice).uuid}/")
    # The link is the moment it was sent (shown in words; the exact moment for machines).
    # NOW is 10:00 in New York: the patient's zone, not the server's (15:00 UTC).
    assert words(link) == "Wed 18 Nov 2026, 10:00 AM"
    assert datetime.datetime.fromisoformat(attr(select_one(link, "time"), "datetime")) == NOW


def test_a_reviewed_report_is_marked_reviewed_by_the_care_team(
    alice_client: Client, alice: User, carol: User, anakinra: Medicine
) -> None:
    report = new_report(alice, prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0], needs_review=True)
    report.reviewed_at, report.reviewed_by = NOW, carol
    report.save()

    [entry] = _entries(alice_client)

    assert "Reviewed by your care team" in entry
    assert "Waiting for review" not in entry


def test_no_reports_yet(alice_client: Client, alice: User) -> None:
    response = alice_client.get(URL)

    assert "No reports yet." in words(response)
    new = f"/p/{own_patient(alice).uuid}/side-effects/new/"
    invitation = select_one(response, f'main a[href="{new}"]')
    assert words(invitation) == "Report a side effect"


@pytest.mark.usefixtures("bob_therapy")
def test_bob_sees_only_his_own_reports(bob_client: Client, alice: User, bob: User) -> None:
    alices = new_report(alice, other="Alice's private note")
    bobs = new_report(bob, none_reported=True)

    response = bob_client.get(URL)

    assert select(response, f'.entry a[href="{bobs.get_absolute_url()}"]')
    assert str(alices.uuid) not in response.content.decode()
    assert "Alice's private note" not in words(response)


def test_twenty_a_page_and_the_older_ones_on_the_next(alice_client: Client, alice: User) -> None:
    for _ in range(21):
        new_report(alice, none_reported=True)
    oldest = SideEffectReport.objects.order_by("id").first()
    assert oldest is not None

    first_page = alice_client.get(URL)
    second_page = alice_client.get(URL, {"page": "2"})

    assert len(select(first_page, ".entry")) == 20
    assert select(second_page, f'.entry a[href="{oldest.get_absolute_url()}"]')
    assert len(select(second_page, ".entry")) == 1
    assert "Page 2 of 2" in words(second_page)


@pytest.mark.parametrize("history", [10, 200])
def test_queries_do_not_grow_with_the_history(
    alice_client: Client,
    alice: User,
    anakinra: Medicine,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    history: int,
) -> None:
    effects = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[:2]
    for number in range(history):
        new_report(alice, *effects, other=f"note {number}")

    # session, user, the account's care relationships with their patients (the
    # middleware), count of reports, one page of reports (with who entered each),
    # prefetched items, prefetched side effects.
    with django_assert_max_num_queries(7):
        response = alice_client.get(URL)

    assert response.status_code == 200
    assert len(select(response, ".entry")) == min(history, 20)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_not_allowed(alice_client: Client, method: str) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    assert is_login_redirect(client.get(URL), URL)


def test_a_report_is_shown_in_the_patients_zone_even_when_utc_is_the_next_day(
    client: Client, bob: User, make_therapy: MakeTherapy, clock: time_machine.Traveller
) -> None:
    make_therapy(bob, time_zone="America/Los_Angeles")
    # 8:30 PM on Wednesday in Los Angeles is already 04:30 on Thursday in UTC.
    clock.move_to(datetime.datetime(2026, 11, 19, 4, 30, tzinfo=datetime.UTC))
    new_report(bob, none_reported=True)
    client.force_login(bob)

    [entry] = _entries(client)

    assert entry.startswith("Wed 18 Nov 2026, 8:30 PM")


def test_each_entry_says_who_reported_it(
    sam_client: Client, una: User, mia: Patient, clock: time_machine.Traveller
) -> None:
    by_una = new_report(mia, none_reported=True)
    by_una.entered_by = una
    by_una.save()

    [entry] = _entries(sam_client, f"/p/{mia.uuid}/side-effects/")

    assert "(reported by Una)" in entry


@pytest.mark.usefixtures("leo", "clock")
def test_a_parent_sees_each_childs_reports_on_that_childs_page(
    sam_client: Client, mia: Patient, leo: Patient
) -> None:
    new_report(mia, other="Mia's rash")
    new_report(leo, other="Leo's cough")

    mias = words(sam_client.get(f"/p/{mia.uuid}/side-effects/"))
    leos = words(sam_client.get(f"/p/{leo.uuid}/side-effects/"))

    assert "Mia’s side-effect reports" in mias
    assert ("Mia's rash" in mias, "Leo's cough" in mias) == (True, False)
    assert ("Mia's rash" in leos, "Leo's cough" in leos) == (False, True)


def test_a_caregiver_sees_the_childs_reports(una_client: Client, mia: Patient) -> None:
    new_report(mia, other="Mia's rash")

    [entry] = _entries(una_client)

    assert "Mia's rash" in entry


@pytest.mark.usefixtures("bob_therapy")
def test_bob_gets_404_at_alices_address(bob_client: Client, alice: User) -> None:
    new_report(alice, other="Alice's private note")

    response = bob_client.get(f"/p/{own_patient(alice).uuid}/side-effects/")

    assert response.status_code == 404
    assert "Alice's private note" not in words(response)


def test_a_caregiver_whose_access_ended_gets_404(client: Client, alice: User) -> None:
    alices = own_patient(alice)
    new_report(alice, other="Alice's private note")
    client.force_login(ended_caregiver(alices))

    response = client.get(f"/p/{alices.uuid}/side-effects/")

    assert response.status_code == 404
    assert "Alice's private note" not in words(response)
