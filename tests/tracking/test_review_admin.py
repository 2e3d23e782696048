"""The care team's review queues in the admin: side-effect reports and flagged results.

carol is on alice's care team (the Care team role of portal/roles.py: she reads the
queues and marks items reviewed, and changes nothing else). Every time in the queues is
shown on the patient's clock, with the zone named, never in UTC.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.admin import helpers
from django.test import Client

from monographs.models import LabRule, Medicine
from portal.models import User
from tests.pages import select, words
from tests.world import (
    NOW,
    PASSWORD,
    MakeTherapy,
    Urgency,
    new_report,
    new_result,
    new_york,
    prompt_effects,
)
from tracking.models import LabResult, Patient, SideEffectReport

REPORTS = "/admin/tracking/sideeffectreport/"
RESULTS = "/admin/tracking/labresult/"
pytestmark = pytest.mark.usefixtures("alice_therapy")


def _days_ago(clock: time_machine.Traveller, days: int) -> None:
    clock.move_to(NOW - datetime.timedelta(days=days))


@pytest.fixture
def reports(
    alice: User, anakinra: Medicine, clock: time_machine.Traveller
) -> dict[str, SideEffectReport]:
    """Five reports of every kind, made on different days; the clock ends at NOW."""
    emergency = prompt_effects(anakinra, Urgency.EMERGENCY)[0]
    call = prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0]
    mild = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[0]
    made = {}
    for name, days, effects, needs_review in [
        ("none", 6, (), False),
        ("mild_old", 5, (mild,), False),
        ("call", 4, (call,), True),
        ("emergency_old", 3, (emergency,), True),
        ("emergency_new", 1, (emergency, mild), True),
    ]:
        _days_ago(clock, days)
        made[name] = new_report(
            alice, *effects, none_reported=not effects, needs_review=needs_review
        )
    clock.move_to(NOW)
    return made


def _listed(client: Client, url: str, **params: str) -> list[int]:
    response = client.get(url, params)
    assert response.status_code == 200
    return [row.pk for row in response.context["cl"].result_list]


def _mark_reviewed(client: Client, url: str, *rows: SideEffectReport | LabResult) -> None:
    response = client.post(
        url,
        {"action": "mark_reviewed", helpers.ACTION_CHECKBOX_NAME: [str(row.pk) for row in rows]},
    )
    assert response.status_code == 302


# --- who may use the queues --------------------------------------------------------------


def test_the_care_team_may_view_and_review_but_not_add_or_delete(carol: User) -> None:
    for model in ("sideeffectreport", "labresult"):
        assert carol.has_perm(f"tracking.view_{model}")
        assert carol.has_perm(f"tracking.change_{model}")
        assert not carol.has_perm(f"tracking.add_{model}")
        assert not carol.has_perm(f"tracking.delete_{model}")


@pytest.mark.parametrize("url", [REPORTS, RESULTS])
def test_carol_opens_the_queues_but_cannot_add(carol_client: Client, url: str) -> None:
    assert carol_client.get(url).status_code == 200
    assert carol_client.get(f"{url}add/").status_code == 403


@pytest.mark.parametrize("url", [REPORTS, RESULTS])
def test_staff_outside_the_care_team_are_refused(erin_client: Client, url: str) -> None:
    assert erin_client.get(url).status_code == 403


@pytest.mark.parametrize("url", [REPORTS, RESULTS])
def test_patients_are_sent_to_the_admin_sign_in(alice_client: Client, url: str) -> None:
    response = alice_client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- the side-effect queue -------------------------------------------------------------------


def test_reports_are_listed_most_urgent_then_oldest_first(
    carol_client: Client, reports: dict[str, SideEffectReport]
) -> None:
    expected = ["emergency_old", "emergency_new", "call", "mild_old", "none"]

    assert _listed(carol_client, REPORTS) == [reports[name].pk for name in expected]


@pytest.mark.parametrize(
    ("review", "expected"),
    [
        ("waiting", ["emergency_new", "call"]),
        ("reviewed", ["emergency_old"]),
        ("none", ["mild_old", "none"]),
    ],
)
def test_the_review_filter(
    carol_client: Client,
    carol: User,
    reports: dict[str, SideEffectReport],
    review: str,
    expected: list[str],
) -> None:
    reviewed = reports["emergency_old"]
    reviewed.reviewed_at, reviewed.reviewed_by = NOW, carol
    reviewed.save()

    listed = _listed(carol_client, REPORTS, review=review)

    assert sorted(listed) == sorted(reports[name].pk for name in expected)


def test_the_queue_shows_what_was_reported(
    carol_client: Client, reports: dict[str, SideEffectReport], anakinra: Medicine
) -> None:
    page = words(carol_client.get(REPORTS))

    assert prompt_effects(anakinra, Urgency.EMERGENCY)[0].name in page
    assert "None of these" in page


def test_mark_reviewed_records_who_and_when_and_the_patient_sees_it(
    carol_client: Client,
    carol: User,
    alice_client: Client,
    reports: dict[str, SideEffectReport],
) -> None:
    chosen = [reports["emergency_new"], reports["call"]]

    _mark_reviewed(carol_client, REPORTS, *chosen)

    for report in chosen:
        report.refresh_from_db()
        assert report.reviewed_by == carol
        assert report.reviewed_at == NOW
    untouched = reports["emergency_old"]
    untouched.refresh_from_db()
    assert untouched.reviewed_at is None
    assert sorted(_listed(carol_client, REPORTS, review="waiting")) == [untouched.pk]
    # The patient's own pages now say so.
    page = words(alice_client.get(f"/side-effects/{chosen[0].uuid}/"))
    assert "Reviewed by your care team on 18 November 2026" in page
    assert "Reviewed by your care team" in words(alice_client.get("/side-effects/"))


def test_mark_reviewed_keeps_an_earlier_review(
    carol_client: Client, carol: User, reports: dict[str, SideEffectReport]
) -> None:
    first_reviewer = User.objects.create_user("nora@example.com", PASSWORD, is_staff=True)
    earlier = NOW - datetime.timedelta(days=1)
    report = reports["call"]
    report.reviewed_at, report.reviewed_by = earlier, first_reviewer
    report.save()

    _mark_reviewed(carol_client, REPORTS, report)

    report.refresh_from_db()
    assert (report.reviewed_at, report.reviewed_by) == (earlier, first_reviewer)


def test_the_review_is_kept_in_the_reports_history(
    carol_client: Client, carol: User, reports: dict[str, SideEffectReport]
) -> None:
    report = reports["call"]

    _mark_reviewed(carol_client, REPORTS, report)

    latest = report.history.latest()
    assert latest.history_user == carol
    assert latest.reviewed_at == NOW


# --- the lab result queue --------------------------------------------------------------------


def test_flagged_results_come_first_oldest_first_and_can_be_marked_reviewed(
    carol_client: Client,
    carol: User,
    alice: User,
    alice_client: Client,
    anc_rule: LabRule,
) -> None:
    rule = anc_rule
    recent_low = new_result(
        alice, rule, month=1, value=800, taken_on=datetime.date(2026, 11, 9), needs_review=True
    )
    old_low = new_result(
        alice, rule, month=0, value=900, taken_on=datetime.date(2026, 10, 8), needs_review=True
    )
    normal = new_result(alice, rule, month=None, value=2500, taken_on=datetime.date(2026, 9, 1))

    assert _listed(carol_client, RESULTS) == [old_low.pk, recent_low.pk, normal.pk]
    assert _listed(carol_client, RESULTS, review="waiting") == [old_low.pk, recent_low.pk]

    _mark_reviewed(carol_client, RESULTS, old_low)

    old_low.refresh_from_db()
    assert (old_low.reviewed_by, old_low.reviewed_at) == (carol, NOW)
    assert _listed(carol_client, RESULTS, review="waiting") == [recent_low.pk]
    assert _listed(carol_client, RESULTS, review="reviewed") == [old_low.pk]
    page = words(alice_client.get(f"/labs/results/{old_low.uuid}/"))
    assert "Reviewed by your care team on 18 November 2026" in page
    assert "Sent to your care team for review." not in page


# --- times on the patient's clock, and who the report is about ---------------------------------


def test_the_queue_shows_when_on_the_patients_clock(
    carol_client: Client,
    carol: User,
    alice: User,
    anakinra: Medicine,
    clock: time_machine.Traveller,
) -> None:
    # 9:43 PM in New York is 2:43 AM the next day in UTC.
    clock.move_to(new_york(2026, 11, 17, 21, 43))
    report = new_report(alice, prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0], needs_review=True)
    clock.move_to(NOW)
    _mark_reviewed(carol_client, REPORTS, report)

    listing = words(carol_client.get(REPORTS))
    detail = words(carol_client.get(f"{REPORTS}{report.pk}/change/"))

    for page in (listing, detail):
        assert "17 Nov 2026, 9:43 PM EST" in page  # reported
        assert "18 Nov 2026, 10:00 AM EST" in page  # reviewed, at NOW
        assert "2:43" not in page
        assert "3 p.m." not in page
        assert "UTC" not in page


def test_a_patient_far_from_utc_reads_the_same_in_the_queue(
    carol_client: Client,
    alice: User,
    anakinra: Medicine,
    anc_rule: LabRule,
    make_therapy: MakeTherapy,
    clock: time_machine.Traveller,
) -> None:
    make_therapy(alice, time_zone="Pacific/Honolulu")
    # 07:30 UTC on the 18th is still 21:30 on the 17th in Honolulu.
    clock.move_to(datetime.datetime(2026, 11, 18, 7, 30, tzinfo=datetime.UTC))
    report = new_report(alice, prompt_effects(anakinra, Urgency.EMERGENCY)[0], needs_review=True)
    result = new_result(
        alice,
        anc_rule,
        month=1,
        value=800,
        taken_on=datetime.date(2026, 11, 17),
        needs_review=True,
    )
    clock.move_to(NOW)
    _mark_reviewed(carol_client, RESULTS, result)

    assert "17 Nov 2026, 9:30 PM HST" in words(carol_client.get(REPORTS))
    assert "17 Nov 2026, 9:30 PM HST" in words(carol_client.get(f"{REPORTS}{report.pk}/change/"))
    results = words(carol_client.get(RESULTS))
    assert "18 Nov 2026, 5:00 AM HST" in results  # reviewed at NOW, 15:00 UTC
    assert "3 p.m." not in results


def test_a_childs_report_names_the_child_and_who_entered_it(
    carol_client: Client,
    una: User,
    mia: Patient,
    anakinra: Medicine,
    reports: dict[str, SideEffectReport],
) -> None:
    childs = new_report(mia, prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0], needs_review=True)
    childs.entered_by = una
    childs.save()

    detail = words(carol_client.get(f"{REPORTS}{childs.pk}/change/"))
    found = _listed(carol_client, REPORTS, q="una@example.com")

    assert "Mia" in detail
    assert "una@example.com" in detail
    assert found == [childs.pk]  # by the caregiver's email, and none of alice's
    assert _listed(carol_client, REPORTS, q="Mia") == [childs.pk]


def test_the_queue_page_has_no_field_to_change_a_report(
    carol_client: Client, reports: dict[str, SideEffectReport]
) -> None:
    detail = carol_client.get(f"{REPORTS}{reports['call'].pk}/change/")

    assert detail.status_code == 200
    for name in ("other", "urgency", "needs_review", "reviewed_at"):
        assert select(detail, f'[name="{name}"]') == [], name


def test_a_report_is_changed_only_by_marking_it_reviewed(
    carol_client: Client, reports: dict[str, SideEffectReport]
) -> None:
    report = reports["call"]
    url = f"{REPORTS}{report.pk}/change/"
    [original] = report.history.all()

    edited = carol_client.post(url, {"other": "edited", "needs_review": "", "_save": "Save"})
    # A past version of the report is shown, never put back.
    revert_url = f"{REPORTS}{report.pk}/history/{original.history_id}/"
    shown = carol_client.get(revert_url)
    reverted = carol_client.post(revert_url, {"_save": "Revert"})

    assert edited.status_code == 403
    assert shown.status_code == 200
    assert select(shown, '[name="_save"]') == []
    assert reverted.status_code == 403
    report.refresh_from_db()
    assert (report.other, report.needs_review) == ("", True)
    assert report.history.count() == 1
