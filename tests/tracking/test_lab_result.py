"""/labs/results/<uuid>/: one blood test result, and what happens with it.

The page answers at /p/<patient-uuid>/labs/results/<uuid>/ too; a result of a patient
the account does not act for (any more) is a 404 at either address.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from monographs.models import LabRule
from portal.models import User
from tests.pages import is_login_redirect, words
from tests.world import NOW, MakeTherapy, end_access, new_result, own_patient
from tracking.models import LabResult, Patient, Therapy

pytestmark = pytest.mark.usefixtures("alice_therapy")
TAKEN_ON = datetime.date(2026, 11, 9)


def _url(result: LabResult) -> str:
    return f"/labs/results/{result.uuid}/"


def _patient_url(patient: Patient, result: LabResult) -> str:
    return f"/p/{patient.uuid}/labs/results/{result.uuid}/"


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
    # Written directly, as results from before accounts were recorded: no name to show.
    assert "Logged on 18 November 2026 at 10:00 AM" in page


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
        patient=own_patient(alice),
        rule=anc_rule,
        due_month=None,
        taken_on=TAKEN_ON,
        value=Decimal("1500"),
        entered_value=Decimal("1.50"),
        entered_unit=LabResult.Unit.GIGA_PER_L,
    )

    page = words(alice_client.get(_url(result)))

    assert "Result 1,500 cells/µL (entered as 1.5 ×10⁹/L)" in page
    assert "Which test An extra test" in page


@pytest.mark.usefixtures("bob_therapy")
def test_bob_gets_404_for_alices_result(
    bob_client: Client, alice: User, anc_rule: LabRule
) -> None:
    result = new_result(alice, anc_rule, month=1, value=850, taken_on=TAKEN_ON)

    assert bob_client.get(_url(result)).status_code == 404


@pytest.mark.usefixtures("bob_therapy")
def test_bob_gets_404_for_alices_result_at_her_patients_address(
    bob_client: Client, alice: User, anc_rule: LabRule
) -> None:
    result = new_result(alice, anc_rule, month=1, value=850, taken_on=TAKEN_ON)

    assert bob_client.get(_patient_url(own_patient(alice), result)).status_code == 404


def test_an_unknown_result_is_404(alice_client: Client) -> None:
    assert alice_client.get(f"/labs/results/{uuid.uuid4()}/").status_code == 404


# --- caregivers ------------------------------------------------------------------------------


def test_a_caregiver_sees_the_patients_result_and_who_logged_it(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy, anc_rule: LabRule
) -> None:
    result = new_result(mia, anc_rule, month=0, value=850, taken_on=TAKEN_ON, needs_review=True)
    result.entered_by = una
    result.save()

    response = una_client.get(_patient_url(mia, result))

    assert response.status_code == 200
    page = words(response)
    assert f"Sent to Mia’s care team for review. {anc_rule.review_message}" in page
    assert "Which test Before Mia’s first dose" in page
    assert "Logged by Una on 18 November 2026 at 10:00 AM" in page
    assert "Showing Mia" in page


def test_a_result_logged_by_one_caregiver_shows_their_name_to_the_other(
    sam_client: Client, una: User, mia: Patient, mia_therapy: Therapy, anc_rule: LabRule
) -> None:
    result = new_result(mia, anc_rule, month=1, value=2500, taken_on=TAKEN_ON)
    result.entered_by = una
    result.save()

    page = words(sam_client.get(_patient_url(mia, result)))

    assert "Logged by Una on 18 November 2026" in page
    assert "Care team No review needed" in page


def test_a_caregiver_whose_access_ended_gets_404(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy, anc_rule: LabRule
) -> None:
    result = new_result(mia, anc_rule, month=1, value=850, taken_on=TAKEN_ON)
    assert una_client.get(_patient_url(mia, result)).status_code == 200
    end_access(una, mia)

    assert una_client.get(_patient_url(mia, result)).status_code == 404
    # At the short address too: she acts for no one now, so it is nobody's she may see.
    assert una_client.get(_url(result)).status_code == 404


@pytest.mark.usefixtures("mia_therapy", "leo_therapy")
def test_another_patients_result_is_404_under_this_patients_address(
    sam_client: Client, una_client: Client, mia: Patient, leo: Patient, anc_rule: LabRule
) -> None:
    # Sam acts for both children, but a page about Mia never shows Leo's result.
    leos = new_result(leo, anc_rule, month=1, value=850, taken_on=TAKEN_ON)

    assert sam_client.get(_patient_url(mia, leos)).status_code == 404
    assert sam_client.get(_patient_url(leo, leos)).status_code == 200
    # Una does not act for Leo at all.
    assert una_client.get(_patient_url(leo, leos)).status_code == 404
    assert una_client.get(_patient_url(mia, leos)).status_code == 404
    assert una_client.get(_url(leos)).status_code == 404


# --- times in the patient's zone ------------------------------------------------------------


def test_times_are_the_patients_even_where_utc_is_still_the_day_before(
    bob_client: Client,
    bob: User,
    carol: User,
    make_therapy: MakeTherapy,
    anc_rule: LabRule,
) -> None:
    # NOW, 15:00 UTC on 18 November, is 05:00 on the 19th in Kiritimati (UTC+14).
    make_therapy(bob, time_zone="Pacific/Kiritimati")
    result = new_result(bob, anc_rule, month=1, value=850, taken_on=TAKEN_ON, needs_review=True)
    result.entered_by, result.reviewed_at, result.reviewed_by = bob, NOW, carol
    result.save()

    page = words(bob_client.get(_url(result)))

    assert "Logged by Bob on 19 November 2026 at 5:00 AM" in page
    assert "Care team Reviewed by your care team on 19 November 2026" in page
    assert "18 November" not in page


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
