"""/labs/calendar/<token>.ics: a private iCalendar feed of the blood tests still to do.

Calendar apps fetch it without signing in, so the token is the only key: a wrong or
replaced token is a plain 404, and the events say nothing about health.
"""

from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING

import icalendar
import pytest
from dateutil.relativedelta import relativedelta
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from monographs.models import LabRule, Medicine
from portal.models import User
from tests.pages import medicine_names_in
from tests.world import BOB_STARTED, DIRA, NOMID, RA, MakeTherapy, end_access, new_result
from tracking.models import Patient, PatientPreferences, Therapy

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.usefixtures("clock")
ALL_MONTHS = [0, 1, 2, 3, 6, 9, 12]


def _feed_url(account: User) -> str:
    """The account's own feed: the token belongs to the account, not to a patient."""
    preferences, _ = PatientPreferences.objects.get_or_create(account=account)
    return f"/labs/calendar/{preferences.calendar_token}.ics"


def _events(response: TestResponse) -> list[icalendar.Component]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return calendar.walk("VEVENT")


def _dates(response: TestResponse) -> list[datetime.date]:
    return sorted(event.decoded("dtstart") for event in _events(response))


def _schedule(therapy: Therapy, months: list[int]) -> list[datetime.date]:
    return [therapy.start_date + relativedelta(months=month) for month in months]


def _patients_in(response: TestResponse) -> list[str]:
    """Whose test each event is, by the patient's id its uid starts with."""
    return sorted(str(event["uid"])[:36] for event in _events(response))


def test_the_feed_holds_each_test_still_to_do_as_an_all_day_event(
    client: Client, alice: User, alice_therapy: Therapy, anc_rule: LabRule
) -> None:
    new_result(alice, anc_rule, month=0, value=2500, taken_on=alice_therapy.start_date)

    response = client.get(_feed_url(alice))  # no sign-in: a calendar app fetches it

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert _dates(response) == _schedule(alice_therapy, [1, 2, 3, 6, 9, 12])
    events = _events(response)
    for event in events:
        assert str(event["summary"]) == "Blood test due"
        assert event.decoded("dtend") - event.decoded("dtstart") == datetime.timedelta(days=1)
    assert len({str(event["uid"]) for event in events}) == len(events)


def test_the_feed_names_no_medicine_test_or_patient(
    client: Client, alice: User, alice_therapy: Therapy, anakinra: Medicine, anc_rule: LabRule
) -> None:
    body = client.get(_feed_url(alice)).content.decode()

    assert medicine_names_in(body, anakinra) == []
    secrets_ = [anc_rule.short_name, "neutrophil", alice.email, alice.display_name, RA]
    for secret in [*secrets_, alice_therapy.patient.name]:
        assert secret.lower() not in body.lower()


def test_a_caregivers_feed_holds_the_tests_of_every_patient_they_act_for(
    client: Client,
    sam: User,
    una: User,
    mia: Patient,
    leo: Patient,
    mia_therapy: Therapy,
    alice_patient: Patient,
    make_therapy: MakeTherapy,
    anc_rule: LabRule,
) -> None:
    # Three different start dates, so a test of someone else's would show in the dates.
    leo_therapy = make_therapy(
        leo, DIRA, "1", weight_kg="22", start_date=BOB_STARTED, someone_else_injects=True
    )
    alice_therapy = make_therapy(alice_patient, start_date=datetime.date(2026, 9, 1))
    new_result(leo, anc_rule, month=0, value=2500, taken_on=BOB_STARTED)
    new_result(alice_patient, anc_rule, month=0, value=2500, taken_on=alice_therapy.start_date)

    sams = client.get(_feed_url(sam))
    unas = client.get(_feed_url(una))

    assert sams.status_code == unas.status_code == 200
    assert _dates(sams) == sorted(
        _schedule(mia_therapy, ALL_MONTHS) + _schedule(leo_therapy, ALL_MONTHS[1:])
    )
    assert _patients_in(sams) == sorted([str(mia.uuid)] * 7 + [str(leo.uuid)] * 6)
    # Una helps with Mia only.
    assert _dates(unas) == _schedule(mia_therapy, ALL_MONTHS)
    assert _patients_in(unas) == [str(mia.uuid)] * 7
    body = sams.content.decode() + unas.content.decode()
    assert str(alice_patient.uuid) not in body
    for name in ["Mia", "Leo", "Alice", "Sam", "Una", NOMID, DIRA]:
        assert name.lower() not in body.lower()


def test_a_caregiver_whose_access_ended_gets_none_of_the_patients_tests(
    client: Client, una: User, mia: Patient, mia_therapy: Therapy
) -> None:
    url = _feed_url(una)
    assert len(_events(client.get(url))) == 7
    end_access(una, mia)

    response = client.get(url)

    assert response.status_code == 200
    assert _events(response) == []
    assert str(mia.uuid) not in response.content.decode()


@pytest.mark.usefixtures("alice_therapy")
def test_the_feed_of_a_deactivated_account_is_a_404(client: Client, alice: User) -> None:
    url = _feed_url(alice)
    alice.is_active = False
    alice.save()

    assert client.get(url).status_code == 404


def test_moving_the_start_date_moves_the_events(
    client: Client, alice: User, alice_therapy: Therapy
) -> None:
    url = _feed_url(alice)
    alice_therapy.start_date = datetime.date(2026, 10, 1)
    alice_therapy.save()

    dates = _dates(client.get(url))

    assert dates == _schedule(alice_therapy, ALL_MONTHS)
    assert dates[1] == datetime.date(2026, 11, 1)


@pytest.mark.parametrize("has_patient", [False, True])
def test_an_account_without_a_therapy_gets_an_empty_calendar(
    client: Client,
    alice: User,
    anakinra: Medicine,
    request: pytest.FixtureRequest,
    has_patient: bool,
) -> None:
    if has_patient:
        request.getfixturevalue("alice_patient")  # her own record, with no therapy

    response = client.get(_feed_url(alice))

    assert response.status_code == 200
    assert _events(response) == []


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize("token", ["not-the-token", "x" * 43, "", "..%2F..%2Fetc%2Fpasswd", "%00"])
def test_a_wrong_token_is_a_404_that_reveals_nothing(
    client: Client, alice: User, token: str
) -> None:
    real = client.get(_feed_url(alice))

    response = client.get(f"/labs/calendar/{token}.ics")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert alice.email not in body
    assert "VEVENT" not in body
    assert real.status_code == 200


@pytest.mark.parametrize("token", ["%00", "a b", "x" * 200])
def test_a_token_of_the_wrong_shape_never_reaches_the_database(
    client: Client, db: None, django_assert_num_queries: DjangoAssertNumQueries, token: str
) -> None:
    # A NUL byte in a query makes PostgreSQL raise: the shape is checked first.
    with django_assert_num_queries(0):
        response = client.get(f"/labs/calendar/{token}.ics")

    assert response.status_code == 404


@pytest.mark.usefixtures("alice_therapy")
def test_bob_signed_in_still_gets_404_without_alices_token(
    bob_client: Client, alice: User, bob: User, bob_therapy: Therapy, anakinra: Medicine
) -> None:
    alices_url = _feed_url(alice)
    bobs_url = _feed_url(bob)

    guessed = bob_client.get(f"/labs/calendar/{secrets.token_urlsafe(32)}.ics")
    own = bob_client.get(bobs_url)

    assert guessed.status_code == 404
    assert alices_url != bobs_url
    # Bob's feed is his schedule (he started 100 days ago), not alice's.
    assert _dates(own) == _schedule(bob_therapy, ALL_MONTHS)


def test_a_new_link_from_the_account_page_ends_the_old_one(
    alice_client: Client, alice: User, alice_therapy: Therapy
) -> None:
    old_url = _feed_url(alice)
    assert alice_client.get(old_url).status_code == 200

    response = alice_client.post("/account/calendar-link/")

    assert response.status_code == 302
    new_url = _feed_url(alice)
    assert new_url != old_url
    assert alice_client.get(old_url).status_code == 404
    assert alice_client.get(new_url).status_code == 200


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_not_allowed(client: Client, alice: User, method: str) -> None:
    assert getattr(client, method)(_feed_url(alice)).status_code == 405
