"""/labs/results/<uuid>/: one blood test result, and what happens with it."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from monographs.models import LabRule
from portal.models import User
from tests.pages import is_login_redirect, words
from tests.world import NOW, new_result
from tracking.models import LabResult

pytestmark = pytest.mark.usefixtures("alice_therapy")
TAKEN_ON = datetime.date(2026, 11, 9)


def _url(result: LabResult) -> str:
    return f"/labs/results/{result.uuid}/"


def test_a_flagged_result_says_it_was_sent_for_review(
    alice_client: Client, alice: User, anc_rule: LabRule
) -> None:
    result = new_result(alice, anc_rule, month=1, value=850, taken_on=TAKEN_ON, needs_review=True)

    response = alice_client.get(_url(result))

    assert response.status_code == 200
    page = words(response)
    assert "Absolute neutrophil count result" in page
    assert f"Sent to your care team for review. {anc_rule.review_message}" in page
    assert "Date of the test 9 November 2026" in page
    assert "Result 850 cells/µL" in page
    assert "Which test Month 1" in page
    assert "Care team Waiting for review" in page


def test_a_result_in_range_needs_no_review(
    alice_client: Client, alice: User, anc_rule: LabRule
) -> None:
    result = new_result(alice, anc_rule, month=0, value=2500, taken_on=TAKEN_ON)

    page = words(alice_client.get(_url(result)))

    assert "Sent to your care team" not in page
    assert "Result 2,500 cells/µL" in page
    assert "Which test Before your first dose" in page
    assert "Care team No review needed" in page


def test_a_reviewed_result_says_reviewed_by_the_care_team(
    alice_client: Client, alice: User, carol: User, anc_rule: LabRule
) -> None:
    result = new_result(alice, anc_rule, month=1, value=850, taken_on=TAKEN_ON, needs_review=True)
    result.reviewed_at, result.reviewed_by = NOW, carol
    result.save()

    page = words(alice_client.get(_url(result)))

    assert "Care team Reviewed by your care team on 18 November 2026" in page
    assert "Sent to your care team for review." not in page


def test_a_count_entered_in_billions_per_litre_shows_both(
    alice_client: Client, alice: User, anc_rule: LabRule
) -> None:
    result = LabResult.objects.create(
        patient=alice,
        rule=anc_rule,
        due_month=None,
        taken_on=TAKEN_ON,
        value=Decimal("1500"),
        entered_value=Decimal("1.50"),
        entered_unit=LabResult.Unit.GIGA_PER_L,
    )

    page = words(alice_client.get(_url(result)))

    assert "Result 1,500 cells/µL (you entered 1.5 ×10⁹/L)" in page
    assert "Which test An extra test" in page


@pytest.mark.usefixtures("bob_therapy")
def test_bob_gets_404_for_alices_result(
    bob_client: Client, alice: User, anc_rule: LabRule
) -> None:
    result = new_result(alice, anc_rule, month=1, value=850, taken_on=TAKEN_ON)

    assert bob_client.get(_url(result)).status_code == 404


def test_an_unknown_result_is_404(alice_client: Client) -> None:
    assert alice_client.get(f"/labs/results/{uuid.uuid4()}/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_not_allowed(
    alice_client: Client, alice: User, anc_rule: LabRule, method: str
) -> None:
    result = new_result(alice, anc_rule, month=1, value=850, taken_on=TAKEN_ON)

    assert getattr(alice_client, method)(_url(result)).status_code == 405
    assert LabResult.objects.filter(pk=result.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, alice: User, anc_rule: LabRule
) -> None:
    result = new_result(alice, anc_rule, month=1, value=850, taken_on=TAKEN_ON)

    assert is_login_redirect(client.get(_url(result)), _url(result))
