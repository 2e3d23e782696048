"""/side-effects/: the patient's own reports, newest first."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from monographs.models import Medicine
from portal.models import User
from tests.pages import attr, is_login_redirect, select, select_one, words
from tests.world import NOW, Urgency, new_report, prompt_effects
from tracking.models import SideEffectReport

URL = "/side-effects/"
pytestmark = pytest.mark.usefixtures("alice_therapy")


def _entries(client: Client, **params: str) -> list[str]:
    response = client.get(URL, params)
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

    link = select_one(response, f'.entry a[href="/side-effects/{report.uuid}/"]')
    # The link is the moment it was sent (shown in words; the exact moment for machines).
    assert words(link).startswith("Wed 18 Nov 2026")
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


def test_no_reports_yet(alice_client: Client) -> None:
    response = alice_client.get(URL)

    assert "No reports yet." in words(response)
    invitation = select_one(response, 'main a[href="/side-effects/new/"]')
    assert words(invitation) == "Report a side effect"


@pytest.mark.usefixtures("bob_therapy")
def test_bob_sees_only_his_own_reports(bob_client: Client, alice: User, bob: User) -> None:
    alices = new_report(alice, other="Alice's private note")
    bobs = new_report(bob, none_reported=True)

    response = bob_client.get(URL)

    assert select(response, f'.entry a[href="/side-effects/{bobs.uuid}/"]')
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
    assert select(second_page, f'.entry a[href="/side-effects/{oldest.uuid}/"]')
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

    # session, user, count of reports, one page of reports (with their doses),
    # prefetched items, prefetched side effects.
    with django_assert_max_num_queries(6):
        response = alice_client.get(URL)

    assert response.status_code == 200
    assert len(select(response, ".entry")) == min(history, 20)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_not_allowed(alice_client: Client, method: str) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    assert is_login_redirect(client.get(URL), URL)
