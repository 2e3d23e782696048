"""record-views/: which care-team members opened the patient's record, and when, from the
staff access log. Every account acting for the patient sees it; nobody else does."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from portal.models import StaffAccess, User
from tests.pages import attr, is_login_redirect, patient_url, select, select_one, words
from tests.world import NOW, ended_caregiver
from tracking.models import Patient

pytestmark = pytest.mark.usefixtures("clock")

URL = "/record-views/"
Action = StaffAccess.Action


def _access(
    staff: User,
    patient: Patient,
    action: str = Action.VIEW,
    record_type: str = "tracking.doselog",
    *,
    minutes_ago: int = 0,
) -> StaffAccess:
    return StaffAccess.objects.create(
        staff=staff,
        patient=patient,
        action=action,
        record_type=record_type,
        record_id="17",
        path="/admin/tracking/doselog/17/change/",
        address="10.0.0.8",
        at=NOW - datetime.timedelta(minutes=minutes_ago),
    )


def _entries(client: Client, url: str = URL) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return [words(entry) for entry in select(response, "#views-heading ~ ul .entry")]


def test_the_patient_sees_who_opened_what_and_when_newest_first(
    alice_client: Client, alice_patient: Patient, carol: User, root: User
) -> None:
    _access(carol, alice_patient, Action.LIST, "tracking.labresult", minutes_ago=60 * 24)
    _access(carol, alice_patient, Action.VIEW, "tracking.doselog", minutes_ago=90)
    _access(root, alice_patient, Action.CHANGE, "tracking.therapy", minutes_ago=30)
    _access(carol, alice_patient, Action.SEARCH, "", minutes_ago=20)
    _access(carol, alice_patient, Action.EXPORT, "tracking.sideeffectreport", minutes_ago=10)
    _access(carol, alice_patient, Action.VIEW, "", minutes_ago=0)

    response = alice_client.get(URL)

    assert words(select_one(response, "h1")) == "Who on the care team opened your record"
    # Times on alice's clock in New York, where NOW is 10:00.
    assert _entries(alice_client) == [
        "Wed 18 Nov 2026, 10:00 AM EST: Carol (care team). Opened the record.",
        "Wed 18 Nov 2026, 9:50 AM EST: Carol (care team). Exported side-effect reports.",
        "Wed 18 Nov 2026, 9:40 AM EST: Carol (care team). Searched patients.",
        "Wed 18 Nov 2026, 9:30 AM EST: Root (care team). Changed a therapy.",
        "Wed 18 Nov 2026, 8:30 AM EST: Carol (care team). Opened a dose entry.",
        "Tue 17 Nov 2026, 10:00 AM EST: Carol (care team). Listed blood test results.",
    ]
    page = words(response)
    # What staff see of the log and the patient does not need: paths, addresses.
    assert "/admin/" not in page and "10.0.0.8" not in page


def test_before_anyone_opened_it_the_page_says_so(
    alice_client: Client, alice_patient: Patient
) -> None:
    response = alice_client.get(URL)

    assert "No one on the care team has opened your record yet." in words(response)


def test_only_the_patients_own_entries_are_listed(
    alice_client: Client, alice_patient: Patient, dave: User, carol: User
) -> None:
    _access(dave, Patient.objects.create(name="Bob"), Action.VIEW)
    # A search that matched no patient belongs to no one's page.
    StaffAccess.objects.create(staff=carol, action=Action.SEARCH, path="/admin/", search="Zed")
    _access(carol, alice_patient, Action.CHANGE)

    assert _entries(alice_client) == [
        "Wed 18 Nov 2026, 10:00 AM EST: Carol (care team). Changed a dose entry."
    ]


@pytest.mark.usefixtures("leo")
def test_every_caregiver_of_the_child_sees_it_under_the_childs_address(
    sam_client: Client, una_client: Client, mia: Patient, carol: User
) -> None:
    _access(carol, mia, Action.VIEW, "tracking.labresult")

    for client in (sam_client, una_client):
        response = client.get(patient_url(mia, URL))
        assert words(select_one(response, "h1")) == "Who on the care team opened Mia’s record"
        assert _entries(client, patient_url(mia, URL)) == [
            "Wed 18 Nov 2026, 10:00 AM EST: Carol (care team). Opened a blood test result."
        ]


def test_another_patient_gets_404(
    bob_client: Client, bob: User, alice_patient: Patient, mia: Patient, carol: User
) -> None:
    _access(carol, alice_patient)

    assert bob_client.get(patient_url(alice_patient, URL)).status_code == 404
    assert bob_client.get(patient_url(mia, URL)).status_code == 404


def test_a_caregiver_whose_access_ended_gets_404(client: Client, mia: Patient) -> None:
    client.force_login(ended_caregiver(mia))

    assert client.get(patient_url(mia, URL)).status_code == 404
    # With no one to act for, the short address goes to setting up the portal.
    assert client.get(URL)["Location"] == "/setup/"


def test_the_account_page_links_to_each_patients_page(
    sam_client: Client, mia: Patient, leo: Patient
) -> None:
    section = select_one(
        sam_client.get("/account/"), 'section[aria-labelledby="record-views-heading"]'
    )

    assert [attr(link, "href") for link in section.select("a")] == [
        patient_url(leo, URL),
        patient_url(mia, URL),
    ]
    assert "Who opened Mia’s record" in words(section)


def test_it_needs_sign_in(client: Client, alice_patient: Patient) -> None:
    assert is_login_redirect(client.get(URL), URL)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_is_read_only(alice_client: Client, alice_patient: Patient, method: str) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


# --- many entries --------------------------------------------------------------------------


def _many(staff: User, patient: Patient, count: int) -> None:
    StaffAccess.objects.bulk_create(
        StaffAccess(
            staff=staff,
            patient=patient,
            action=Action.VIEW,
            record_type="tracking.doselog",
            path="/admin/",
            at=NOW - datetime.timedelta(minutes=number),
        )
        for number in range(count)
    )


def test_fifty_entries_a_page(alice_client: Client, alice_patient: Patient, carol: User) -> None:
    _many(carol, alice_patient, 51)

    first = alice_client.get(URL)
    assert len(select(first, "#views-heading ~ ul .entry")) == 50
    assert "Page 1 of 2" in words(select_one(first, ".pagination"))
    assert attr(select_one(first, ".pagination a"), "href") == "?page=2"
    # The oldest entry, 50 minutes before NOW.
    assert _entries(alice_client, f"{URL}?page=2") == [
        "Wed 18 Nov 2026, 9:10 AM EST: Carol (care team). Opened a dose entry."
    ]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999", "1e9", ""])
def test_a_page_number_that_does_not_exist_shows_a_page(
    alice_client: Client, alice_patient: Patient, carol: User, page: str
) -> None:
    _many(carol, alice_patient, 51)

    assert len(_entries(alice_client, f"{URL}?page={page}")) in {1, 50}


@pytest.mark.parametrize("history", [5, 300])
def test_queries_do_not_grow_with_the_log(
    alice_client: Client,
    alice_patient: Patient,
    carol: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    history: int,
) -> None:
    _many(carol, alice_patient, history)

    # session, user, the account's care relationships with their patients (the
    # middleware), the count of entries, one page of entries with their staff.
    with django_assert_max_num_queries(5):
        response = alice_client.get(URL)

    assert len(select(response, "#views-heading ~ ul .entry")) == min(history, 50)
