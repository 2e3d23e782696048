"""Signed out after a while without a request: patients and caregivers after 30 minutes,
staff after 15. /account/session/ tells the page how long is left (GET) and keeps the
session going ("Stay signed in", POST)."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.test import Client

from portal.idle import DEADLINE_KEY
from portal.models import User
from tests.pages import attr, is_login_redirect, select, select_one, words
from tests.world import NOW, PASSWORD
from tracking.models import PatientPreferences

pytestmark = pytest.mark.usefixtures("clock")

PAGE = "/account/"
SESSION = "/account/session/"
SIGNED_OUT = (
    "You were signed out after 30 minutes without activity, to keep your information private."
)


def _at(clock: time_machine.Traveller, **after: float) -> None:
    clock.move_to(NOW + datetime.timedelta(**after))


def _seconds_left(client: Client, method: str = "get") -> int:
    response = getattr(client, method)(SESSION)
    assert response.status_code == 200
    left: int = json.loads(response.content)["seconds_left"]
    return left


# --- signing out -------------------------------------------------------------------------


def test_a_patient_is_signed_out_after_30_minutes_without_a_request(
    alice_client: Client, clock: time_machine.Traveller
) -> None:
    assert alice_client.get(PAGE).status_code == 200

    _at(clock, minutes=30)
    assert alice_client.get(PAGE).status_code == 200  # not yet: the limit is not exceeded

    _at(clock, minutes=60, seconds=1)
    response = alice_client.get(PAGE)

    assert is_login_redirect(response, PAGE)
    assert "_auth_user_id" not in alice_client.session
    login = alice_client.get(response["Location"])
    assert SIGNED_OUT in words(select_one(login, ".messages"))


def test_each_request_starts_the_idle_time_again(
    alice_client: Client, clock: time_machine.Traveller
) -> None:
    for minutes in (0, 25, 50, 75, 100):
        _at(clock, minutes=minutes)
        assert alice_client.get(PAGE).status_code == 200

    _at(clock, minutes=130, seconds=1)
    assert is_login_redirect(alice_client.get(PAGE), PAGE)


def test_staff_are_signed_out_after_15_minutes(
    carol_client: Client, alice_client: Client, clock: time_machine.Traveller
) -> None:
    carol_client.get(PAGE)
    alice_client.get(PAGE)

    _at(clock, minutes=15, seconds=1)
    carols = carol_client.get(PAGE)

    assert is_login_redirect(carols, PAGE)
    assert "after 15 minutes without activity" in words(carol_client.get(carols["Location"]))
    assert alice_client.get(PAGE).status_code == 200


def test_the_idle_time_starts_at_sign_in(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    client.post("/accounts/login/", {"username": alice.email, "password": PASSWORD})

    _at(clock, minutes=30, seconds=1)

    assert is_login_redirect(client.get(PAGE), PAGE)


def test_a_form_sent_after_the_limit_saves_nothing_and_comes_back_after_sign_in(
    alice_client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    alice_client.get(PAGE)
    _at(clock, minutes=31)

    response = alice_client.post(
        PAGE, {"email_lab_reminders": "on"}, HTTP_REFERER="http://testserver/account/"
    )

    assert is_login_redirect(response, PAGE)
    assert PatientPreferences.objects.get(account=alice).email_dose_reminders is True
    signed_in = alice_client.post(
        "/accounts/login/", {"username": alice.email, "password": PASSWORD, "next": PAGE}
    )
    assert signed_in["Location"] == PAGE


@pytest.mark.parametrize(
    ("referer", "location"),
    [
        ("http://testserver/doses/?page=2", "/accounts/login/?next=/doses/%3Fpage%3D2"),
        ("https://evil.example/", "/accounts/login/"),
        (None, "/accounts/login/"),
    ],
    ids=["from a page", "from another site", "from nowhere"],
)
def test_signing_out_after_the_limit_comes_back_to_the_page_it_was_done_from(
    alice_client: Client, clock: time_machine.Traveller, referer: str | None, location: str
) -> None:
    alice_client.get(PAGE)
    _at(clock, minutes=31)
    headers = {"Referer": referer} if referer else None

    # Sign-out answers only a POST: coming back to it after signing in would be a 405.
    response = alice_client.post("/accounts/logout/", headers=headers)

    assert (response.status_code, response["Location"]) == (302, location)
    assert SIGNED_OUT in words(alice_client.get("/accounts/login/"))


def test_the_session_is_written_at_most_once_a_minute(
    alice_client: Client, clock: time_machine.Traveller
) -> None:
    alice_client.get(PAGE)
    first = alice_client.session[DEADLINE_KEY]

    _at(clock, seconds=50)
    alice_client.get(PAGE)
    assert alice_client.session[DEADLINE_KEY] == first

    _at(clock, seconds=61)
    alice_client.get(PAGE)
    assert alice_client.session[DEADLINE_KEY] == first + 61


def test_an_htmx_request_after_the_limit_loads_the_sign_in_page_whole(
    alice_client: Client, clock: time_machine.Traveller
) -> None:
    alice_client.get(PAGE)
    _at(clock, minutes=31)

    response = alice_client.post(
        "/doses/quick/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/doses/?month=2026-11",
    )

    assert response.status_code == 200
    # Back to the page the call was made from, not to its fragment.
    assert response["HX-Redirect"] == "/accounts/login/?next=/doses/%3Fmonth%3D2026-11"
    assert "_auth_user_id" not in alice_client.session


# --- the page's view of it ---------------------------------------------------------------


def test_a_signed_in_page_carries_the_deadline_for_the_warning(alice_client: Client) -> None:
    response = alice_client.get(PAGE)

    dialog = select_one(response, "dialog#idle-warning")
    assert attr(dialog, "role") == "alertdialog"
    assert int(attr(dialog, "data-deadline")) - int(attr(dialog, "data-server-now")) == 30 * 60
    assert attr(dialog, "data-session-url") == SESSION
    assert words(select_one(dialog, "h2")) == "You’ll be signed out in 1 minute"
    assert select(response, 'script[src$="js/idle.js"]')


def test_a_page_for_someone_signed_out_has_no_warning(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")

    assert select(response, "dialog#idle-warning") == []
    assert select(response, 'script[src$="js/idle.js"]') == []


def test_asking_how_long_is_left_does_not_count_as_activity(
    alice_client: Client, clock: time_machine.Traveller
) -> None:
    alice_client.get(PAGE)

    _at(clock, minutes=10)
    assert _seconds_left(alice_client) == 20 * 60
    _at(clock, minutes=29, seconds=30)
    assert _seconds_left(alice_client) == 30

    _at(clock, minutes=30, seconds=1)
    # Past the deadline the answer is the sign-in page (idle.js then goes there).
    assert is_login_redirect(alice_client.get(SESSION), SESSION)


def test_stay_signed_in_starts_the_idle_time_again(
    alice_client: Client, clock: time_machine.Traveller
) -> None:
    alice_client.get(PAGE)

    _at(clock, minutes=29, seconds=30)
    response = alice_client.post(SESSION)

    assert response.status_code == 200
    assert json.loads(response.content) == {"signed_in": True, "seconds_left": 30 * 60}
    _at(clock, minutes=59)
    assert alice_client.get(PAGE).status_code == 200


def test_staff_stay_signed_in_for_15_minutes_at_a_time(carol_client: Client) -> None:
    assert _seconds_left(carol_client, "post") == 15 * 60


def test_stay_signed_in_needs_the_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    headers = json.loads(attr(select_one(client.get(PAGE), "body"), "hx-headers"))

    assert client.post(SESSION).status_code == 403
    assert client.post(SESSION, HTTP_X_CSRFTOKEN=headers["x-csrftoken"]).status_code == 200


def test_someone_signed_out_is_told_so(client: Client, db: None) -> None:
    for response in (client.get(SESSION), client.post(SESSION)):
        assert response.status_code == 401
        assert json.loads(response.content) == {"signed_in": False, "seconds_left": 0}


@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_session_address_answers_get_and_post_only(alice_client: Client, method: str) -> None:
    assert getattr(alice_client, method)(SESSION).status_code == 405
