"""/doses/<uuid>/edit/ and /doses/<uuid>/delete/: corrections that keep every version."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from pytest_django.asserts import assertContains

from monographs.models import InjectionSite
from portal.models import User
from tests.pages import FUTURE, attr, field_errors, over_max, radios, select_one, words
from tests.world import LogDose, new_york
from tracking.models import DoseLog, Therapy

Area = InjectionSite.BodyArea


@pytest.fixture
def dose(alice_therapy: Therapy, sites: dict[str, InjectionSite], log_dose: LogDose) -> DoseLog:
    """Alice's dose this morning: 100 mg in the left thigh at 08:15 New York time."""
    return log_dose(
        alice_therapy,
        new_york(2026, 11, 18, 8, 15),
        site=sites[Area.LEFT_THIGH],
        note="before breakfast",
    )


def _edit_url(dose: DoseLog) -> str:
    return f"/doses/{dose.uuid}/edit/"


def _delete_url(dose: DoseLog) -> str:
    return f"/doses/{dose.uuid}/delete/"


def _data(site: InjectionSite, /, **changes: str) -> dict[str, str]:
    data = {
        "status": "taken",
        "taken_at": "2026-11-18T08:15",
        "dose_mg": "100",
        "site": str(site.pk),
        "skip_reason": "",
        "note": "before breakfast",
        "submission_id": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


def _snapshot(dose: DoseLog) -> tuple[object, ...]:
    dose.refresh_from_db()
    return (
        dose.status,
        dose.taken_at,
        dose.local_date,
        dose.dose_mg,
        dose.site_id,
        dose.note,
        dose.skip_reason,
    )


# --- edit ---------------------------------------------------------------------------------


def test_edit_form_shows_the_entry_in_the_patients_time(
    alice_client: Client, dose: DoseLog
) -> None:
    response = alice_client.get(_edit_url(dose))

    assert response.status_code == 200
    assertContains(response, "<h1>Edit dose entry</h1>", html=True)
    form = select_one(response, "form.dose-form")
    assert attr(form, "action") == _edit_url(dose)
    assert attr(select_one(form, 'input[name="taken_at"]'), "value") == "2026-11-18T08:15"
    assert Decimal(attr(select_one(form, 'input[name="dose_mg"]'), "value")) == Decimal("100")
    [checked] = [radio for radio in radios(form, "site") if radio.checked]
    assert checked.label == "Front of left thigh"
    assert words(select_one(form, 'textarea[name="note"]')) == "before breakfast"
    delete = select_one(form, f'a[href="{_delete_url(dose)}"]')
    assert words(delete) == "Delete this entry"


def test_edit_saves_the_change_and_keeps_the_earlier_version(
    alice_client: Client, alice: User, dose: DoseLog, sites: dict[str, InjectionSite]
) -> None:
    response = alice_client.post(
        _edit_url(dose),
        _data(sites[Area.RIGHT_ABDOMEN], dose_mg="80", taken_at="2026-11-18T08:45", note="fixed"),
    )

    assert response.status_code == 302
    assert response["Location"] == "/doses/"
    dose.refresh_from_db()
    assert dose.dose_mg == Decimal("80")
    assert dose.site == sites[Area.RIGHT_ABDOMEN]
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 13, 45, tzinfo=datetime.UTC)
    assert dose.note == "fixed"
    assert DoseLog.objects.count() == 1
    newest, oldest = dose.history.all()  # newest first
    assert (oldest.history_type, oldest.dose_mg, oldest.site_id, oldest.note) == (
        "+",
        Decimal("100"),
        sites[Area.LEFT_THIGH].pk,
        "before breakfast",
    )
    assert (newest.history_type, newest.dose_mg, newest.site_id, newest.note) == (
        "~",
        Decimal("80"),
        sites[Area.RIGHT_ABDOMEN].pk,
        "fixed",
    )
    assert newest.history_user == alice
    assert "Your changes are saved. The earlier version is kept." in words(
        alice_client.get("/doses/")
    )


def test_edit_moving_a_dose_to_another_day_moves_its_local_date(
    alice_client: Client, dose: DoseLog, sites: dict[str, InjectionSite]
) -> None:
    response = alice_client.post(
        _edit_url(dose), _data(sites[Area.LEFT_THIGH], taken_at="2026-11-17T23:30")
    )

    assert response.status_code == 302
    dose.refresh_from_db()
    assert dose.local_date == datetime.date(2026, 11, 17)
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC)


def test_edit_to_skipped_clears_the_dose_and_site(
    alice_client: Client, dose: DoseLog, sites: dict[str, InjectionSite]
) -> None:
    response = alice_client.post(
        _edit_url(dose),
        _data(sites[Area.LEFT_THIGH], status="skipped", skip_reason="Logged by mistake"),
    )

    assert response.status_code == 302
    dose.refresh_from_db()
    assert dose.status == DoseLog.Status.SKIPPED
    assert dose.dose_mg is None
    assert dose.site is None
    assert dose.skip_reason == "Logged by mistake"


def test_editing_the_days_only_dose_is_not_a_second_dose(
    alice_client: Client, dose: DoseLog, sites: dict[str, InjectionSite]
) -> None:
    # The entry being edited does not count against itself: 100 mg stays within 100 mg.
    response = alice_client.post(_edit_url(dose), _data(sites[Area.LEFT_THIGH], note="again"))

    assert response.status_code == 302
    dose.refresh_from_db()
    assert dose.note == "again"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dose_mg": "150"}, "dose_mg", over_max(150, 100)),
        ({"dose_mg": "0"}, "dose_mg", "The dose must be more than 0 mg."),
        ({"taken_at": "2026-11-18T12:00"}, "taken_at", FUTURE),
        ({"site": ""}, "site", "Choose where you injected."),
    ],
    ids=["above the max", "dose zero", "future", "no site"],
)
def test_a_refused_edit_re_renders_with_the_message_and_changes_nothing(
    alice_client: Client,
    dose: DoseLog,
    sites: dict[str, InjectionSite],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = _snapshot(dose)

    response = alice_client.post(_edit_url(dose), _data(sites[Area.LEFT_THIGH], **changes))

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert _snapshot(dose) == before
    assert dose.history.count() == 1


def test_an_edit_that_takes_the_day_over_the_max_is_refused(
    alice_client: Client,
    alice_therapy: Therapy,
    dose: DoseLog,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    # Yesterday's 40 mg moved onto today, beside this morning's 100 mg.
    yesterday = log_dose(alice_therapy, new_york(2026, 11, 17, 8), dose_mg="40")
    before = _snapshot(yesterday)

    response = alice_client.post(
        _edit_url(yesterday), _data(sites[Area.RIGHT_THIGH], dose_mg="40")
    )

    assert field_errors(response, "dose_mg") == [over_max(140, 100)]
    assert _snapshot(yesterday) == before


# --- delete -------------------------------------------------------------------------------


def test_delete_asks_first_and_deletes_nothing_on_get(alice_client: Client, dose: DoseLog) -> None:
    response = alice_client.get(_delete_url(dose))

    assert response.status_code == 200
    assertContains(response, "<h1>Delete this dose entry?</h1>", html=True)
    assert "Taken on Wednesday 18 November 2026 at 8:15 AM: 100 mg, Front of left thigh." in (
        words(response)
    )
    form = select_one(response, f'form[action="{_delete_url(dose)}"]')
    assert attr(form, "method") == "post"
    assert words(select_one(form, "button")) == "Yes, delete it"
    assert DoseLog.objects.filter(pk=dose.pk).exists()


def test_delete_confirmation_describes_a_skipped_entry(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    skipped = log_dose(
        alice_therapy, new_york(2026, 11, 17, 9), status="skipped", skip_reason="Unwell"
    )

    page = words(alice_client.get(_delete_url(skipped)))

    assert "Skipped on Tuesday 17 November 2026: Unwell." in page


def test_delete_removes_the_entry_and_keeps_a_copy_in_history(
    alice_client: Client, alice: User, dose: DoseLog
) -> None:
    response = alice_client.post(_delete_url(dose))

    assert response.status_code == 302
    assert response["Location"] == "/doses/"
    assert not DoseLog.objects.filter(pk=dose.pk).exists()
    # Time stands still in these tests, so the newest version is the highest history_id.
    deleted = DoseLog.history.filter(id=dose.pk).latest("history_id")
    assert deleted.history_type == "-"
    assert deleted.history_user == alice
    assert deleted.dose_mg == Decimal("100")
    assert deleted.note == "before breakfast"
    assert DoseLog.history.filter(id=dose.pk).count() == 2
    listing = alice_client.get("/doses/")
    assert "The entry is deleted. A copy is kept in your record's history." in words(listing)
    assert "before breakfast" not in listing.content.decode()


def test_an_edit_then_a_delete_keep_all_three_versions(
    alice_client: Client, alice: User, dose: DoseLog, sites: dict[str, InjectionSite]
) -> None:
    alice_client.post(_edit_url(dose), _data(sites[Area.LEFT_THIGH], dose_mg="90"))
    alice_client.post(_delete_url(dose))

    versions = DoseLog.history.filter(id=dose.pk).order_by("history_date", "history_id")
    assert [(v.history_type, v.dose_mg) for v in versions] == [
        ("+", Decimal("100")),
        ("~", Decimal("90")),
        ("-", Decimal("90")),
    ]
    assert [v.history_user for v in versions][1:] == [alice, alice]


# --- bob may not touch alice's entries ----------------------------------------------------


@pytest.mark.parametrize(
    ("url", "method"),
    [
        (_edit_url, "get"),
        (_edit_url, "post"),
        (_delete_url, "get"),
        (_delete_url, "post"),
    ],
    ids=["edit GET", "edit POST", "delete GET", "delete POST"],
)
def test_bob_gets_404_for_alices_entry_and_it_stays_as_it_was(
    bob_client: Client,
    bob_therapy: Therapy,
    dose: DoseLog,
    sites: dict[str, InjectionSite],
    url: Callable[[DoseLog], str],
    method: str,
) -> None:
    before = _snapshot(dose)
    address = url(dose)

    if method == "get":
        response = bob_client.get(address)
    else:
        response = bob_client.post(address, _data(sites[Area.RIGHT_THIGH], dose_mg="10"))

    assert response.status_code == 404
    assert "before breakfast" not in response.content.decode()
    assert _snapshot(dose) == before
    assert dose.history.count() == 1
    assert not DoseLog.objects.for_patient(bob_therapy.patient).exists()


@pytest.mark.parametrize("make_url", [_edit_url, _delete_url], ids=["edit", "delete"])
def test_an_unknown_entry_is_404(
    alice_client: Client, alice_therapy: Therapy, make_url: Callable[[DoseLog], str]
) -> None:
    missing = DoseLog(uuid=uuid.uuid4())

    assert alice_client.get(make_url(missing)).status_code == 404


# --- the checklist ------------------------------------------------------------------------


@pytest.mark.parametrize("make_url", [_edit_url, _delete_url], ids=["edit", "delete"])
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_edit_and_delete_reject_other_methods(
    alice_client: Client, dose: DoseLog, make_url: Callable[[DoseLog], str], method: str
) -> None:
    response = getattr(alice_client, method)(make_url(dose))

    assert response.status_code == 405
    assert DoseLog.objects.filter(pk=dose.pk).exists()


@pytest.mark.parametrize("make_url", [_edit_url, _delete_url], ids=["edit", "delete"])
def test_edit_and_delete_send_anonymous_visitors_to_sign_in(
    client: Client, dose: DoseLog, make_url: Callable[[DoseLog], str]
) -> None:
    address = make_url(dose)

    assert client.get(address)["Location"] == f"/accounts/login/?next={address}"
    assert client.post(address, {})["Location"] == f"/accounts/login/?next={address}"
    assert DoseLog.objects.filter(pk=dose.pk).exists()
