"""/doses/<uuid>/edit/ and /doses/<uuid>/delete/: corrections that keep every version."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from pytest_django.asserts import assertContains

from monographs.models import InjectionSite
from portal.models import User
from tests.pages import (
    FUTURE,
    attr,
    field_errors,
    form_data,
    over_max,
    radios,
    second_in_slot,
    select,
    select_one,
    words,
)
from tests.world import BulkDoses, LogDose, end_access, new_york
from tracking.models import DoseLog, Patient, Therapy

Area = InjectionSite.BodyArea
NO_SITE = "Choose where the injection was given."


@pytest.fixture
def dose(alice_therapy: Therapy, sites: dict[str, InjectionSite], log_dose: LogDose) -> DoseLog:
    """Alice's dose this morning: 100 mg in the left thigh at 08:15 New York time."""
    return log_dose(
        alice_therapy,
        new_york(2026, 11, 18, 8, 15),
        site=sites[Area.LEFT_THIGH],
        note="before breakfast",
    )


@pytest.fixture
def mias_dose(
    mia_therapy: Therapy, sam: User, sites: dict[str, InjectionSite], log_dose: LogDose
) -> DoseLog:
    """Mia's dose this morning, given and logged by Sam: 16 mg in the left arm at 08:10."""
    return log_dose(
        mia_therapy,
        new_york(2026, 11, 18, 8, 10),
        site=sites[Area.LEFT_ARM],
        note="with breakfast",
        by=sam,
    )


def _edit_url(dose: DoseLog) -> str:
    return f"/doses/{dose.uuid}/edit/"


def _delete_url(dose: DoseLog) -> str:
    return f"/doses/{dose.uuid}/delete/"


def _named_edit_url(dose: DoseLog) -> str:
    return f"/p/{dose.patient.uuid}/doses/{dose.uuid}/edit/"


def _named_delete_url(dose: DoseLog) -> str:
    return f"/p/{dose.patient.uuid}/doses/{dose.uuid}/delete/"


ADDRESSES = [_edit_url, _delete_url, _named_edit_url, _named_delete_url]
ADDRESS_IDS = ["edit", "delete", "edit naming the patient", "delete naming the patient"]


def _data(site: InjectionSite | None, /, **changes: str) -> dict[str, str]:
    data = {
        "status": "taken",
        "slot": "2026-11-18T08:00",
        "taken_at": "2026-11-18T08:15",
        "dose_mg": "100",
        "site": str(site.pk) if site else "",
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
        dose.slot_time,
        dose.dose_mg,
        dose.site_id,
        dose.note,
        dose.skip_reason,
        dose.entered_by_id,
    )


# --- edit ---------------------------------------------------------------------------------


def test_edit_form_shows_the_entry_in_the_patients_time(
    alice_client: Client, dose: DoseLog
) -> None:
    response = alice_client.get(_edit_url(dose))

    assert response.status_code == 200
    assertContains(response, "<h1>Edit dose entry</h1>", html=True)
    form = select_one(response, "form#dose-form")
    assert attr(form, "action") == _named_edit_url(dose)
    assert attr(select_one(form, 'input[name="taken_at"]'), "value") == "2026-11-18T08:15"
    [slot] = select(form, 'select[name="slot"] option[selected]')
    assert (attr(slot, "value"), words(slot)) == ("2026-11-18T08:00", "Wed 18 Nov, 8:00 AM")
    assert Decimal(attr(select_one(form, 'input[name="dose_mg"]'), "value")) == Decimal("100")
    [checked] = [radio for radio in radios(form, "site") if radio.checked]
    assert checked.label == "Front of left thigh"
    assert words(select_one(form, 'textarea[name="note"]')) == "before breakfast"
    delete = select_one(form, f'a[href="{_named_delete_url(dose)}"]')
    assert words(delete) == "Delete this entry"


def test_edit_saves_the_change_and_keeps_the_earlier_version(
    alice_client: Client,
    alice: User,
    alice_patient: Patient,
    dose: DoseLog,
    sites: dict[str, InjectionSite],
) -> None:
    response = alice_client.post(
        _edit_url(dose),
        _data(sites[Area.RIGHT_ABDOMEN], dose_mg="80", taken_at="2026-11-18T08:45", note="fixed"),
    )

    assert response.status_code == 302
    assert response["Location"] == f"/p/{alice_patient.uuid}/doses/"
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
    assert "The changes are saved. The earlier version is kept." in words(
        alice_client.get(response["Location"])
    )


def test_edit_moving_a_dose_to_yesterdays_slot_moves_its_day(
    alice_client: Client, dose: DoseLog, sites: dict[str, InjectionSite]
) -> None:
    response = alice_client.post(
        _edit_url(dose),
        _data(sites[Area.LEFT_THIGH], slot="2026-11-17T08:00", taken_at="2026-11-17T23:30"),
    )

    assert response.status_code == 302
    dose.refresh_from_db()
    assert (dose.local_date, dose.slot_time) == (datetime.date(2026, 11, 17), datetime.time(8))
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC)


def test_edit_making_it_an_extra_dose_takes_the_day_from_its_time(
    alice_client: Client, dose: DoseLog, sites: dict[str, InjectionSite]
) -> None:
    response = alice_client.post(
        _edit_url(dose), _data(sites[Area.LEFT_THIGH], slot="", taken_at="2026-11-17T23:30")
    )

    assert response.status_code == 302
    dose.refresh_from_db()
    assert (dose.local_date, dose.slot_time) == (datetime.date(2026, 11, 17), None)


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


def test_editing_the_slots_only_dose_is_not_a_second_dose(
    alice_client: Client, dose: DoseLog
) -> None:
    # The entry being edited does not count against itself: 100 mg stays within 100 mg.
    form = alice_client.get(_edit_url(dose))
    response = alice_client.post(
        _edit_url(dose), {**form_data(form, "dose-form"), "note": "again"}
    )

    assert response.status_code == 302
    dose.refresh_from_db()
    assert dose.note == "again"


def test_an_old_entry_keeps_its_own_slot_on_offer(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    old = log_dose(alice_therapy, new_york(2026, 11, 2, 8, 20), note="two weeks ago")

    form = alice_client.get(_edit_url(old))
    options = [
        (attr(option, "value"), option.has_attr("selected"))
        for option in select(form, 'select[name="slot"] option')
    ]
    response = alice_client.post(_edit_url(old), {**form_data(form, "dose-form"), "note": "ok"})

    assert options == [
        ("2026-11-02T08:00", True),
        ("2026-11-17T08:00", False),
        ("2026-11-18T08:00", False),
        ("", False),
    ]
    assert response.status_code == 302
    old.refresh_from_db()
    assert (old.local_date, old.note) == (datetime.date(2026, 11, 2), "ok")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dose_mg": "150"}, "dose_mg", over_max(150, 100)),
        ({"dose_mg": "0"}, "dose_mg", "The dose must be more than 0 mg."),
        ({"taken_at": "2026-11-18T12:00"}, "taken_at", FUTURE),
        ({"site": ""}, "site", NO_SITE),
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
    # Yesterday's 40 mg moved onto today's slot, beside this morning's 100 mg.
    yesterday = log_dose(alice_therapy, new_york(2026, 11, 17, 8), dose_mg="40")
    before = _snapshot(yesterday)

    response = alice_client.post(
        _edit_url(yesterday), _data(sites[Area.RIGHT_THIGH], dose_mg="40")
    )

    assert field_errors(response, "dose_mg") == [over_max(140, 100)]
    assert _snapshot(yesterday) == before


def test_an_edit_into_a_slot_already_filled_asks_first_then_saves_when_confirmed(
    sam_client: Client,
    mia: Patient,
    mia_therapy: Therapy,
    mias_dose: DoseLog,
    log_dose: LogDose,
    sites: dict[str, InjectionSite],
) -> None:
    # Last night's dose, put by mistake in this morning's slot, which already has one.
    evening = log_dose(mia_therapy, new_york(2026, 11, 17, 20, 5))
    data = _data(
        sites[Area.RIGHT_ARM],
        dose_mg="16",
        taken_at="2026-11-17T20:05",
        helper_injecting="on",
    )

    question = sam_client.post(_edit_url(evening), data)

    assert question.status_code == 200
    assert second_in_slot("8:00 AM") in words(select_one(question, "#confirm-second"))
    evening.refresh_from_db()
    assert (evening.local_date, evening.slot_time) == (
        datetime.date(2026, 11, 17),
        datetime.time(20),
    )

    confirmed = sam_client.post(_edit_url(evening), form_data(question, "dose-form"))

    assert confirmed.status_code == 302
    evening.refresh_from_db()
    assert (evening.local_date, evening.slot_time) == (
        datetime.date(2026, 11, 18),
        datetime.time(8),
    )


# --- a family: the other caregiver corrects an entry -----------------------------------


def test_una_corrects_the_entry_sam_logged_and_it_still_says_who_logged_it(
    una_client: Client,
    una: User,
    sam: User,
    mia: Patient,
    mias_dose: DoseLog,
    sites: dict[str, InjectionSite],
) -> None:
    form = una_client.get(_named_edit_url(mias_dose))
    assert "Did Mia get this dose?" in words(form)

    response = una_client.post(
        _named_edit_url(mias_dose), {**form_data(form, "dose-form"), "note": "with yoghurt"}
    )

    assert response["Location"] == f"/p/{mia.uuid}/doses/"
    mias_dose.refresh_from_db()
    assert (mias_dose.note, mias_dose.entered_by) == ("with yoghurt", sam)
    assert mias_dose.history.first().history_user == una


def test_the_weekly_tablets_entry_is_edited_without_any_site(
    alice_client: Client,
    alice_pill: Therapy,
    log_dose: LogDose,
) -> None:
    entry = log_dose(alice_pill, new_york(2026, 11, 18, 9, 5))

    form = alice_client.get(_edit_url(entry))
    assert (radios(form, "site"), select(form, ".body-map")) == ([], [])
    response = alice_client.post(
        _edit_url(entry), {**form_data(form, "dose-form"), "dose_mg": "10"}
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.dose_mg, entry.site, entry.slot_time) == (Decimal("10"), None, datetime.time(9))


# --- delete -------------------------------------------------------------------------------


def test_delete_asks_first_and_deletes_nothing_on_get(alice_client: Client, dose: DoseLog) -> None:
    response = alice_client.get(_delete_url(dose))

    assert response.status_code == 200
    assertContains(response, "<h1>Delete this dose entry?</h1>", html=True)
    page = words(response)
    assert "Taken on Wednesday 18 November 2026 at 8:15 AM: 100 mg, Front of left thigh." in page
    assert "It will no longer count in your history or adherence." in page
    form = select_one(response, f'form[action="{_named_delete_url(dose)}"]')
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


def test_delete_confirmation_for_a_caregiver_names_the_patient(
    una_client: Client, mias_dose: DoseLog
) -> None:
    page = words(una_client.get(_named_delete_url(mias_dose)))

    assert "It will no longer count in Mia’s history or adherence." in page


def test_delete_removes_the_entry_and_keeps_a_copy_in_history(
    alice_client: Client, alice: User, alice_patient: Patient, dose: DoseLog
) -> None:
    response = alice_client.post(_delete_url(dose))

    assert response.status_code == 302
    assert response["Location"] == f"/p/{alice_patient.uuid}/doses/"
    assert not DoseLog.objects.filter(pk=dose.pk).exists()
    # Time stands still in these tests, so the newest version is the highest history_id.
    deleted = DoseLog.history.filter(id=dose.pk).latest("history_id")
    assert deleted.history_type == "-"
    assert deleted.history_user == alice
    assert deleted.dose_mg == Decimal("100")
    assert deleted.note == "before breakfast"
    assert DoseLog.history.filter(id=dose.pk).count() == 2
    listing = alice_client.get(response["Location"])
    assert "The entry is deleted. A copy is kept in the record's history." in words(listing)
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


def test_una_deletes_an_entry_of_mias_and_the_history_names_her(
    una_client: Client, una: User, mias_dose: DoseLog
) -> None:
    response = una_client.post(_named_delete_url(mias_dose))

    assert response.status_code == 302
    assert not DoseLog.objects.filter(pk=mias_dose.pk).exists()
    assert DoseLog.history.filter(id=mias_dose.pk).latest("history_id").history_user == una


# --- who may touch whose entries ----------------------------------------------------------


def _try(client: Client, address: str, method: str, site: InjectionSite) -> int:
    if method == "get":
        return client.get(address).status_code
    return client.post(address, _data(site, dose_mg="10")).status_code


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", ADDRESSES, ids=ADDRESS_IDS)
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


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", ADDRESSES, ids=ADDRESS_IDS)
def test_another_familys_account_gets_404_for_the_childs_entry(
    alice_client: Client,
    alice_therapy: Therapy,
    mias_dose: DoseLog,
    sites: dict[str, InjectionSite],
    url: Callable[[DoseLog], str],
    method: str,
) -> None:
    before = _snapshot(mias_dose)

    assert _try(alice_client, url(mias_dose), method, sites[Area.RIGHT_THIGH]) == 404
    assert _snapshot(mias_dose) == before
    assert mias_dose.history.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", ADDRESSES, ids=ADDRESS_IDS)
def test_una_gets_404_for_mias_entries_once_her_access_ended(
    una_client: Client,
    una: User,
    mia: Patient,
    mias_dose: DoseLog,
    sites: dict[str, InjectionSite],
    url: Callable[[DoseLog], str],
    method: str,
) -> None:
    before = _snapshot(mias_dose)
    end_access(una, mia)

    assert _try(una_client, url(mias_dose), method, sites[Area.RIGHT_THIGH]) == 404
    assert _snapshot(mias_dose) == before
    assert mias_dose.history.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_entry_of_one_child_is_404_on_the_other_childs_address(
    sam_client: Client,
    leo: Patient,
    leo_therapy: Therapy,
    mias_dose: DoseLog,
    sites: dict[str, InjectionSite],
    method: str,
) -> None:
    before = _snapshot(mias_dose)

    for address in (
        f"/p/{leo.uuid}/doses/{mias_dose.uuid}/edit/",
        f"/p/{leo.uuid}/doses/{mias_dose.uuid}/delete/",
    ):
        assert _try(sam_client, address, method, sites[Area.RIGHT_THIGH]) == 404
    assert _snapshot(mias_dose) == before


@pytest.mark.parametrize("make_url", [_edit_url, _delete_url], ids=["edit", "delete"])
def test_an_unknown_entry_is_404(
    alice_client: Client, alice_therapy: Therapy, make_url: Callable[[DoseLog], str]
) -> None:
    missing = DoseLog(uuid=uuid.uuid4())

    assert alice_client.get(make_url(missing)).status_code == 404


# --- queries stay the same however long the history -------------------------------------


@pytest.mark.parametrize("count", [10, 1000])
def test_edit_and_delete_query_counts_do_not_grow_with_the_log(
    alice_client: Client,
    alice_therapy: Therapy,
    dose: DoseLog,
    make_bulk_doses: BulkDoses,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    make_bulk_doses(alice_therapy, count)

    # 1 session, 2 user, 3 the account's patients, 4 the entry with its site, therapy
    # and who logged it; the patient's therapies: 5 with regimen and medicine, 6
    # injection sites, 7 lab rules, 8 weights; 9 the doses of the days whose slots the
    # form offers, 10 last use of each site, 11 the sites to choose from.
    with django_assert_max_num_queries(11):
        edit = alice_client.get(_edit_url(dose))
    # The first four, and nothing more.
    with django_assert_max_num_queries(4):
        delete = alice_client.get(_delete_url(dose))

    assert (edit.status_code, delete.status_code) == (200, 200)


# --- the checklist ------------------------------------------------------------------------


@pytest.mark.parametrize("make_url", [_edit_url, _delete_url], ids=["edit", "delete"])
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_edit_and_delete_reject_other_methods(
    alice_client: Client, dose: DoseLog, make_url: Callable[[DoseLog], str], method: str
) -> None:
    response = getattr(alice_client, method)(make_url(dose))

    assert response.status_code == 405
    assert DoseLog.objects.filter(pk=dose.pk).exists()


@pytest.mark.parametrize("make_url", ADDRESSES, ids=ADDRESS_IDS)
def test_edit_and_delete_send_anonymous_visitors_to_sign_in(
    client: Client, dose: DoseLog, make_url: Callable[[DoseLog], str]
) -> None:
    address = make_url(dose)

    assert client.get(address)["Location"] == f"/accounts/login/?next={address}"
    assert client.post(address, {})["Location"] == f"/accounts/login/?next={address}"
    assert DoseLog.objects.filter(pk=dose.pk).exists()
