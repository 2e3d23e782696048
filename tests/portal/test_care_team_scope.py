"""Care teams in admin: carol (North Clinic) never sees bob (South Clinic) anywhere, and
dave (South) sees bob but not alice; root, a superuser, sees everyone.

Another clinic's record is answered exactly like one that does not exist.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client

from monographs.models import LabRule, Medicine
from portal.models import AccountDeletionRequest, User
from tests.pages import Markup, form_data, words
from tests.world import TODAY, LogDose, Urgency, new_report, new_result, new_york, prompt_effects
from tracking.models import CareRelationship, Patient, ReminderDelivery, Therapy

pytestmark = pytest.mark.usefixtures("clock")

MODELS = ["patient", "doselog", "sideeffectreport", "labresult", "reminderdelivery"]
WITH_VERSIONS = ["patient", "doselog", "sideeffectreport", "labresult"]
MISSING_ID = 987654

Records = dict[str, dict[str, Model]]


@pytest.fixture
def records(
    alice: User,
    bob: User,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    log_dose: LogDose,
    anakinra: Medicine,
    anc_rule: LabRule,
) -> Records:
    """For alice (North) and bob (South): a patient, a dose, a report, a result, a reminder."""
    effect = prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0]
    made: Records = {}
    for account, therapy in ((alice, alice_therapy), (bob, bob_therapy)):
        made[account.get_short_name()] = {
            "patient": therapy.patient,
            "doselog": log_dose(therapy, new_york(2026, 11, 18, 8, 5)),
            "sideeffectreport": new_report(account, effect, needs_review=True),
            "labresult": new_result(
                account,
                anc_rule,
                month=1,
                value=800,
                taken_on=TODAY - datetime.timedelta(days=1),
                needs_review=True,
            ),
            "reminderdelivery": ReminderDelivery.objects.create(
                patient=therapy.patient,
                account=account,
                reason=ReminderDelivery.Reason.DOSE_NOT_LOGGED,
                due_date=TODAY,
                slot="08:00",
            ),
        }
    return made


def _url(model: str, suffix: str = "") -> str:
    return f"/admin/tracking/{model}/{suffix}"


def _listed(client: Client, model: str, **params: str) -> list[int]:
    response = client.get(_url(model), params)
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["cl"].result_list)


def _told(response: Markup, object_id: int) -> str:
    """The page's words, the id it names and the request's own id (on an error page) aside."""
    shown = words(response).replace(f"“{object_id}”", "“ID”")
    return re.sub(r"\b[0-9a-f]{32}\b", "REQUEST-ID", shown)


def _sees_user_pages(staff: User) -> None:
    """Someone gives this staff member the user pages directly (no role has them)."""
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="portal", codename="view_user")
    )


@pytest.mark.parametrize("model", MODELS)
def test_each_list_shows_only_the_clinics_patients(
    carol_client: Client,
    dave_client: Client,
    root_client: Client,
    records: Records,
    model: str,
) -> None:
    alices, bobs = records["Alice"][model].pk, records["Bob"][model].pk

    assert _listed(carol_client, model) == [alices]
    assert _listed(dave_client, model) == [bobs]
    assert _listed(root_client, model) == sorted([alices, bobs])
    # Nowhere on carol's page: not in a row, a filter, a count or a date.
    page = words(carol_client.get(_url(model)))
    assert "Bob" not in page
    assert "bob@example.com" not in page


@pytest.mark.parametrize("model", MODELS)
def test_a_search_never_finds_another_clinics_patient(
    carol_client: Client, dave_client: Client, records: Records, model: str
) -> None:
    bobs = records["Bob"][model].pk

    assert _listed(carol_client, model, q="Bob") == []
    assert _listed(carol_client, model, q="bob@example.com") == []
    assert _listed(dave_client, model, q="bob@example.com") == [bobs]


@pytest.mark.parametrize("view", ["change/", "history/", "delete/"])
@pytest.mark.parametrize("model", MODELS)
def test_another_clinics_record_is_answered_like_a_missing_one(
    carol_client: Client, dave_client: Client, records: Records, model: str, view: str
) -> None:
    bobs = records["Bob"][model].pk

    other = carol_client.get(_url(model, f"{bobs}/{view}"), follow=True)
    missing = carol_client.get(_url(model, f"{MISSING_ID}/{view}"), follow=True)

    assert other.status_code == missing.status_code
    assert other.redirect_chain == missing.redirect_chain
    assert _told(other, bobs) == _told(missing, MISSING_ID)
    assert "Bob" not in words(other)
    if view != "delete/":  # no one on the care team deletes
        assert dave_client.get(_url(model, f"{bobs}/{view}")).status_code == 200


@pytest.mark.parametrize("model", WITH_VERSIONS)
def test_a_past_version_of_another_clinics_record_is_not_found(
    carol_client: Client, dave_client: Client, records: Records, model: str
) -> None:
    bobs = records["Bob"][model]
    version = bobs.history.latest("history_date").history_id  # type: ignore[attr-defined]
    url = _url(model, f"{bobs.pk}/history/{version}/")

    assert carol_client.get(url).status_code == 404
    assert carol_client.post(url, {"_save": "Revert"}).status_code == 404
    assert dave_client.get(url).status_code == 200


def test_marking_reviewed_passes_over_another_clinics_items(
    carol_client: Client, carol: User, records: Records
) -> None:
    for model in ("sideeffectreport", "labresult"):
        alices, bobs = records["Alice"][model], records["Bob"][model]

        carol_client.post(
            _url(model),
            {"action": "mark_reviewed", helpers.ACTION_CHECKBOX_NAME: [alices.pk, bobs.pk]},
        )

        alices.refresh_from_db()
        bobs.refresh_from_db()
        assert alices.reviewed_by == carol  # type: ignore[attr-defined]
        assert bobs.reviewed_at is None  # type: ignore[attr-defined]


def test_an_export_holds_only_the_clinics_patients(carol_client: Client, records: Records) -> None:
    chosen = [records["Alice"]["doselog"].pk, records["Bob"]["doselog"].pk]

    response = carol_client.post(
        _url("doselog"), {"action": "download_csv", helpers.ACTION_CHECKBOX_NAME: chosen}
    )

    assert response.status_code == 200
    rows = response.content.decode().splitlines()
    assert [row.split(",")[0] for row in rows] == ["patient", "Alice"]


def test_account_search_and_user_pages_offer_only_the_clinics_accounts(
    carol: User, carol_client: Client, dave: User, dave_client: Client, records: Records
) -> None:
    lookup = "/admin/autocomplete/"
    params = {"app_label": "tracking", "model_name": "carerelationship", "field_name": "account"}
    bob = User.objects.get(email="bob@example.com")
    # The care team has no user pages at all.
    assert carol_client.get(lookup, {**params, "term": "bob"}).status_code == 403
    assert carol_client.get("/admin/portal/user/").status_code == 403
    _sees_user_pages(carol)
    _sees_user_pages(dave)

    def found(client: Client, term: str) -> list[str]:
        response = client.get(lookup, {**params, "term": term})
        assert response.status_code == 200
        return [row["text"] for row in response.json()["results"]]

    assert found(carol_client, "example.com") == ["alice@example.com"]
    assert found(carol_client, "bob") == []
    assert found(dave_client, "example.com") == ["bob@example.com"]
    listed = carol_client.get("/admin/portal/user/")
    assert [user.email for user in listed.context["cl"].result_list] == ["alice@example.com"]
    other = carol_client.get(f"/admin/portal/user/{bob.pk}/change/")
    missing = carol_client.get(f"/admin/portal/user/{MISSING_ID}/change/")
    assert (other.status_code, other["Location"]) == (missing.status_code, missing["Location"])


def test_deletion_requests_are_seen_by_the_accounts_care_team(
    carol_client: Client, dave_client: Client, root_client: Client, records: Records
) -> None:
    alices = AccountDeletionRequest.objects.create(
        account=User.objects.get(email="alice@example.com")
    )
    bobs = AccountDeletionRequest.objects.create(account=User.objects.get(email="bob@example.com"))
    url = "/admin/portal/accountdeletionrequest/"

    def listed(client: Client) -> list[int]:
        response = client.get(url)
        assert response.status_code == 200
        return sorted(row.pk for row in response.context["cl"].result_list)

    assert listed(carol_client) == [alices.pk]
    assert listed(dave_client) == [bobs.pk]
    assert listed(root_client) == sorted([alices.pk, bobs.pk])
    assert carol_client.get(f"{url}{alices.pk}/change/").status_code == 200
    assert carol_client.get(f"{url}{bobs.pk}/change/").status_code == 302


def test_a_patients_page_offers_only_the_clinics_accounts(
    carol: User, carol_client: Client, records: Records, mia: Patient
) -> None:
    # No role edits patients; someone given that directly still adds only the accounts
    # of their own clinic's patients (una helps with mia, at North), never bob.
    for codename in ("change_patient", "add_carerelationship", "change_carerelationship"):
        carol.user_permissions.add(
            Permission.objects.get(content_type__app_label="tracking", codename=codename)
        )
    alice = Patient.objects.get(pk=records["Alice"]["patient"].pk)
    url = _url("patient", f"{alice.pk}/change/")

    def add_account(account: User) -> int:
        data = form_data(carol_client.get(url), "patient_form")
        row = int(data["care-TOTAL_FORMS"][0])
        data.update(
            {
                f"care-{row}-account": [str(account.pk)],
                f"care-{row}-role": ["caregiver"],
                "care-TOTAL_FORMS": [str(row + 1)],
                "_save": ["Save"],
            }
        )
        return carol_client.post(url, data).status_code

    assert add_account(User.objects.get(email="bob@example.com")) == 200
    assert not CareRelationship.objects.filter(patient=alice, account__email="bob@example.com")
    assert add_account(User.objects.get(email="una@example.com")) == 302
    assert CareRelationship.objects.filter(patient=alice, account__email="una@example.com")


def test_the_view_on_site_shortcut_finds_only_the_clinics_patients(
    carol_client: Client, dave_client: Client, records: Records
) -> None:
    patients = ContentType.objects.get_for_model(Patient).pk
    bobs = records["Bob"]["patient"]
    assert isinstance(bobs, Patient)

    assert carol_client.get(f"/admin/r/{patients}/{bobs.pk}/").status_code == 404
    assert carol_client.get(f"/admin/r/{patients}/{MISSING_ID}/").status_code == 404
    shortcut = dave_client.get(f"/admin/r/{patients}/{bobs.pk}/")
    assert shortcut.status_code == 302
    assert str(bobs.uuid) in shortcut["Location"]
