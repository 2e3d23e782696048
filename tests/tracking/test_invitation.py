"""/invitations/<token>/: someone invited by email starts acting for the patient, once.

The page is public (the signed link is the key). An invitee with an account accepts,
signed in or after signing in; one without makes an account on the page. A used,
expired, forged or cancelled link shows one plain page, "does not work", as a 404.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from portal.models import User
from tests.pages import attr, field_errors, is_login_redirect, select, select_one, words
from tests.world import NOW, PASSWORD
from tracking.models import (
    CaregiverInvitation,
    CareRelationship,
    DoseLog,
    Patient,
    SideEffectReport,
    Therapy,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.usefixtures("clock")

DOES_NOT_WORK = "This invitation link does not work"
NEW_PASSWORD = "a-long-fresh-passphrase"


@pytest.fixture
def invitation(sam: User, mia: Patient) -> CaregiverInvitation:
    """Sam invites Gran to help with Mia."""
    return CaregiverInvitation.objects.create(
        patient=mia, invited_by=sam, email="gran@example.com", role=CareRelationship.Role.CAREGIVER
    )


@pytest.fixture
def gran(db: None) -> User:
    return User.objects.create_user("gran@example.com", PASSWORD, display_name="Gran")


def _url(invitation: CaregiverInvitation) -> str:
    return f"/invitations/{invitation.token()}/"


def _grans_care(mia: Patient) -> CareRelationship | None:
    return CareRelationship.objects.filter(
        patient=mia, account__email="gran@example.com", ended_at=None
    ).first()


def _assert_does_not_work(response: TestResponse) -> None:
    assert response.status_code == 404
    page = words(response)
    assert DOES_NOT_WORK in page
    assert "Ask the person who invited you to send a new one." in page


def _tap_log_now(client: Client, patient: Patient) -> None:
    """On Today, tap the first "Log the ... dose now" button."""
    today = client.get(f"/p/{patient.uuid}/")
    form = select(today, f'form[action="/p/{patient.uuid}/doses/quick/"]')[0]
    data = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    assert client.post(attr(form, "action"), data).status_code == 302


def _new_account(**changes: str) -> dict[str, str]:
    return {
        "display_name": "Gran",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
        **changes,
    }


# --- an account already, signed in ------------------------------------------------------


def test_a_signed_in_invitee_sees_who_invited_them_to_help_whom(
    client: Client, gran: User, invitation: CaregiverInvitation
) -> None:
    client.force_login(gran)

    response = client.get(_url(invitation))

    assert response.status_code == 200
    page = words(response)
    assert words(select_one(response, "h1")) == "Help Mia"
    assert "Sam invited gran@example.com to help Mia as other caregiver" in page
    assert "You are signed in as gran@example.com." in page
    form = select_one(response, f'form[action="{_url(invitation)}"]')
    assert "Accept the invitation" in words(form)
    assert _grans_care(invitation.patient) is None  # opening the link changes nothing


def test_accepting_makes_the_invitee_act_for_the_patient(
    client: Client, gran: User, invitation: CaregiverInvitation, mia: Patient
) -> None:
    client.force_login(gran)

    response = client.post(_url(invitation))

    assert response.status_code == 302
    assert response["Location"] == f"/p/{mia.uuid}/"
    care = _grans_care(mia)
    assert care is not None
    assert care.role == CareRelationship.Role.CAREGIVER
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.accepted_by) == (NOW, gran)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "You can now help Mia." in words(page)
    assert "Showing Mia" in words(page)


def test_the_invited_caregiver_then_logs_for_the_patient(
    client: Client, gran: User, invitation: CaregiverInvitation, mia: Patient, mia_therapy: Therapy
) -> None:
    client.force_login(gran)
    client.post(_url(invitation))

    # The morning dose, with one tap on Today, and the answer to the side-effect check.
    _tap_log_now(client, mia)
    dose = DoseLog.objects.get()
    client.post(f"/p/{mia.uuid}/side-effects/new/", {"none": "1", "dose": str(dose.uuid)})

    assert (dose.patient, dose.entered_by, dose.slot_time) == (mia, gran, datetime.time(8))
    report = SideEffectReport.objects.get()
    assert (report.patient, report.entered_by, report.dose) == (mia, gran, dose)
    assert "logged by Gran" in words(client.get(f"/p/{mia.uuid}/"))


def test_an_invited_guardian_may_invite_others_in_turn(
    client: Client, gran: User, sam: User, mia: Patient
) -> None:
    invitation = CaregiverInvitation.objects.create(
        patient=mia, invited_by=sam, email=gran.email, role=CareRelationship.Role.GUARDIAN
    )
    client.force_login(gran)
    client.post(_url(invitation))

    response = client.post(
        f"/p/{mia.uuid}/caregivers/", {"email": "aunt@example.com", "role": "caregiver"}
    )

    assert response.status_code == 302
    assert CaregiverInvitation.objects.filter(email="aunt@example.com", patient=mia).exists()


def test_someone_who_already_acts_for_the_patient_keeps_one_relationship(
    client: Client, una: User, sam: User, mia: Patient
) -> None:
    invitation = CaregiverInvitation.objects.create(patient=mia, invited_by=sam, email=una.email)
    client.force_login(una)

    response = client.post(_url(invitation))

    assert response["Location"] == f"/p/{mia.uuid}/"
    assert CareRelationship.objects.filter(patient=mia, account=una, ended_at=None).count() == 1


# --- an account already, not signed in --------------------------------------------------


def test_an_invitee_with_an_account_is_asked_to_sign_in_and_comes_back(
    client: Client, gran: User, invitation: CaregiverInvitation, mia: Patient
) -> None:
    response = client.get(_url(invitation))

    assert response.status_code == 200  # public: the signed link is the key
    assert "There is an account for gran@example.com. Sign in" in words(response)
    assert select(response, 'input[name="password_again"]') == []
    sign_in = attr(select_one(response, 'main a[href^="/accounts/login/"]'), "href")
    assert sign_in == f"/accounts/login/?next={quote(_url(invitation))}"

    signed_in = client.post(sign_in, {"username": "gran@example.com", "password": PASSWORD})
    assert signed_in["Location"] == _url(invitation)
    accepted = client.post(_url(invitation))

    assert accepted["Location"] == f"/p/{mia.uuid}/"
    assert _grans_care(mia) is not None


def test_a_post_without_signing_in_accepts_nothing(
    client: Client, gran: User, invitation: CaregiverInvitation, mia: Patient
) -> None:
    response = client.post(_url(invitation), _new_account())

    assert response.status_code == 200
    assert _grans_care(mia) is None
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert gran.check_password(PASSWORD)  # the account is not replaced either


def test_the_email_address_is_matched_whatever_its_case(
    client: Client, gran: User, sam: User, mia: Patient
) -> None:
    invitation = CaregiverInvitation.objects.create(
        patient=mia, invited_by=sam, email="GRAN@example.COM"
    )

    response = client.get(_url(invitation))

    assert "There is an account for" in words(response)
    assert select(response, 'input[name="password"]') == []


# --- no account yet --------------------------------------------------------------------------


def test_an_invitee_without_an_account_is_offered_one_for_the_invited_address(
    client: Client, invitation: CaregiverInvitation
) -> None:
    response = client.get(_url(invitation))

    assert response.status_code == 200
    assert "Make an account" in words(response)
    assert "Email address: gran@example.com" in words(response)
    form = select_one(response, f'main form[action="{_url(invitation)}"]')
    fields = {field["name"] for field in form.select("input[name]")}
    assert fields == {"csrfmiddlewaretoken", "display_name", "password", "password_again"}
    # The address is the invitation's: the form does not ask for one.
    assert select(form, 'input[name="email"]') == []


def test_making_an_account_accepts_and_signs_in(
    client: Client, invitation: CaregiverInvitation, mia: Patient
) -> None:
    response = client.post(_url(invitation), _new_account())

    assert response.status_code == 302
    assert response["Location"] == f"/p/{mia.uuid}/"
    user = User.objects.get(email="gran@example.com")
    assert user.display_name == "Gran"
    assert user.check_password(NEW_PASSWORD)
    care = _grans_care(mia)
    assert care is not None and care.account == user
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.accepted_by) == (NOW, user)
    # Signed in as the new account: Mia's pages open.
    assert client.get(f"/p/{mia.uuid}/doses/").status_code == 200


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "short1", "password_again": "short1"}, "password", "too short"),
        (
            {"password": "password123", "password_again": "password123"},
            "password",
            "This password is too common.",
        ),
        (
            {"password": "8394027561", "password_again": "8394027561"},
            "password",
            "This password is entirely numeric.",
        ),
        (
            {"password": "gran@example.com", "password_again": "gran@example.com"},
            "password",
            "The password is too similar to the email address.",
        ),
        ({"password_again": "something-else-entirely"}, "password_again", "not the same"),
        ({"display_name": ""}, "display_name", "This field is required."),
    ],
)
def test_a_password_the_validators_refuse_makes_no_account(
    client: Client,
    invitation: CaregiverInvitation,
    mia: Patient,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client.post(_url(invitation), _new_account(**changes))

    assert response.status_code == 200
    assert any(message in error for error in field_errors(response, field))
    assert not User.objects.filter(email="gran@example.com").exists()
    assert _grans_care(mia) is None
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    # Still open: the form is there to try again.
    assert select(response, 'input[name="password"]')


# --- links that do not work ---------------------------------------------------------------


def test_a_link_works_once(
    client: Client, gran: User, una: User, invitation: CaregiverInvitation
) -> None:
    client.force_login(gran)
    client.post(_url(invitation))

    _assert_does_not_work(client.get(_url(invitation)))
    # Nor for anyone else who has the link: una, or someone without an account.
    client.force_login(una)
    _assert_does_not_work(client.post(_url(invitation)))
    client.logout()
    _assert_does_not_work(client.post(_url(invitation), _new_account(display_name="Someone")))
    assert CareRelationship.objects.filter(patient=invitation.patient).count() == 3
    invitation.refresh_from_db()
    assert invitation.accepted_by == gran


def test_a_link_opened_twice_before_accepting_still_accepts_once(
    client: Client, gran: User, una: User, invitation: CaregiverInvitation
) -> None:
    """Two tabs showed the page; the second "Accept" finds the link used."""
    client.force_login(gran)
    first_tab = client.get(_url(invitation))
    assert first_tab.status_code == 200
    client.post(_url(invitation))

    _assert_does_not_work(client.post(_url(invitation)))
    assert CareRelationship.objects.filter(account=gran).count() == 1


def test_a_link_expires_after_its_valid_days(
    client: Client, gran: User, invitation: CaregiverInvitation, clock: time_machine.Traveller
) -> None:
    url = _url(invitation)
    client.force_login(gran)

    clock.move_to(NOW + CaregiverInvitation.VALID_FOR - datetime.timedelta(minutes=1))
    assert client.get(url).status_code == 200
    clock.move_to(NOW + CaregiverInvitation.VALID_FOR + datetime.timedelta(minutes=1))

    _assert_does_not_work(client.get(url))
    _assert_does_not_work(client.post(url))
    assert _grans_care(invitation.patient) is None


def test_a_cancelled_link_does_not_work(
    client: Client, gran: User, invitation: CaregiverInvitation
) -> None:
    invitation.cancelled_at = timezone.now()
    invitation.save()
    client.force_login(gran)

    _assert_does_not_work(client.get(_url(invitation)))
    _assert_does_not_work(client.post(_url(invitation)))
    assert _grans_care(invitation.patient) is None


def _forged_tokens(invitation: CaregiverInvitation) -> list[str]:
    token = invitation.token()
    value, _, signature = token.rpartition(":")
    return [
        # The signature changed by one character.
        f"{value}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        # The bare id, unsigned.
        str(invitation.uuid),
        # Signed, but not by this feature (another salt).
        signing.TimestampSigner(salt="something.else").sign(str(invitation.uuid)),
        # Signed, but naming no invitation.
        signing.TimestampSigner(salt=CaregiverInvitation.SALT).sign(
            "00000000-0000-0000-0000-000000000000"
        ),
        # Signed, but not an id at all.
        signing.TimestampSigner(salt=CaregiverInvitation.SALT).sign("nonsense"),
        "nonsense",
    ]


@pytest.mark.parametrize("forgery", range(6))
def test_a_forged_link_does_not_work(
    client: Client, gran: User, invitation: CaregiverInvitation, forgery: int
) -> None:
    url = f"/invitations/{_forged_tokens(invitation)[forgery]}/"
    client.force_login(gran)

    _assert_does_not_work(client.get(url))
    _assert_does_not_work(client.post(url))
    assert _grans_care(invitation.patient) is None


def test_a_forged_link_shows_an_anonymous_visitor_the_same_page(
    client: Client, invitation: CaregiverInvitation
) -> None:
    _assert_does_not_work(client.get(f"/invitations/{_forged_tokens(invitation)[0]}/"))
    _assert_does_not_work(client.post(f"/invitations/{str(invitation.uuid)}/", _new_account()))
    assert not User.objects.filter(email="gran@example.com").exists()


# --- the whole way, from the email ----------------------------------------------------------


def test_from_the_guardians_invitation_to_the_new_caregivers_first_dose(
    sam_client: Client, client: Client, mia: Patient, mia_therapy: Therapy
) -> None:
    sams, grans = sam_client, client
    sams.post(f"/p/{mia.uuid}/caregivers/", {"email": "gran@example.com", "role": "caregiver"})
    [email] = mail.outbox
    [link] = re.findall(r"https?://\S+", str(email.body))

    made = grans.post(link, _new_account())
    _tap_log_now(grans, mia)

    assert made["Location"] == f"/p/{mia.uuid}/"
    dose = DoseLog.objects.get()
    assert (dose.patient, dose.entered_by.email if dose.entered_by else None) == (
        mia,
        "gran@example.com",
    )
    people = words(sams.get(f"/p/{mia.uuid}/caregivers/"))
    assert "Gran: other caregiver, since 18 November 2026." in people
    assert "not yet accepted" not in people


# --- methods --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_not_allowed(
    client: Client, gran: User, invitation: CaregiverInvitation, method: str
) -> None:
    client.force_login(gran)

    assert getattr(client, method)(_url(invitation)).status_code == 405
    assert _grans_care(invitation.patient) is None


def test_the_page_is_not_behind_sign_in(client: Client, invitation: CaregiverInvitation) -> None:
    response = client.get(_url(invitation))

    assert not is_login_redirect(response, _url(invitation))
    assert response.status_code == 200
