"""/caregivers/: who acts for the patient, inviting someone by email, and ending access.

The adult patient and a parent or guardian manage who helps; another caregiver only
reads the list. Ending access takes effect at once, and a patient always keeps someone.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from portal.models import User
from tests.pages import field_errors, is_login_redirect, select, select_one, words
from tests.world import NOW, PASSWORD, LogDose, ended_caregiver, new_york, own_patient
from tracking.models import CaregiverInvitation, CareRelationship, DoseLog, Patient, Therapy

pytestmark = pytest.mark.usefixtures("clock")

INVITE = {"email": "Gran@Example.com", "role": CareRelationship.Role.CAREGIVER}


def _url(patient: Patient) -> str:
    return f"/p/{patient.uuid}/caregivers/"


def _end_url(care: CareRelationship) -> str:
    return f"/p/{care.patient.uuid}/caregivers/{care.pk}/end/"


def _care(patient: Patient, account: User) -> CareRelationship:
    return CareRelationship.objects.get(patient=patient, account=account, ended_at=None)


def _people(client: Client, patient: Patient) -> list[str]:
    response = client.get(_url(patient))
    assert response.status_code == 200
    return [words(entry) for entry in select(response, "#people-heading ~ ul .entry")]


# --- the list ------------------------------------------------------------------------------


def test_a_guardian_sees_who_acts_for_the_child_and_may_end_their_access(
    sam_client: Client, sam: User, una: User, mia: Patient
) -> None:
    response = sam_client.get(_url(mia))

    assert response.status_code == 200
    assert words(select_one(response, "h1")) == "Who helps Mia"
    entries = [words(entry) for entry in select(response, "#people-heading ~ ul .entry")]
    assert entries == [
        "Sam (you): parent or guardian, since 18 November 2026. End access of Sam",
        "Una: other caregiver, since 18 November 2026. End access of Una",
    ]
    assert select(response, f'a[href="{_end_url(_care(mia, una))}"]')
    assert select(response, f'form[action="{_url(mia)}"] input[name="email"]')


def test_the_adult_patient_sees_themself_and_may_invite(
    alice_client: Client, alice_patient: Patient
) -> None:
    response = alice_client.get("/caregivers/")

    assert response.status_code == 200
    assert _people(alice_client, alice_patient) == [
        "Alice (you): the patient, since 18 November 2026."
    ]
    # The only person who acts for her: nothing to end.
    assert select(response, 'a[href*="/end/"]') == []
    assert select(response, f'form[action="{_url(alice_patient)}"] input[name="email"]')


def test_another_caregiver_sees_the_list_but_cannot_invite_or_end(
    una_client: Client, mia: Patient
) -> None:
    response = una_client.get(_url(mia))

    assert response.status_code == 200
    assert "Sam: parent or guardian" in words(response)
    assert "Una (you): other caregiver" in words(response)
    assert select(response, 'input[name="email"]') == []
    assert select(response, 'a[href*="/end/"]') == []
    assert "Invite someone to help" not in words(response)


def test_the_page_lists_invitations_not_yet_accepted(sam_client: Client, mia: Patient) -> None:
    sam_client.post(_url(mia), INVITE)

    assert "Invited, not yet accepted: gran@example.com." in words(sam_client.get(_url(mia)))


def test_an_expired_invitation_is_no_longer_listed_as_waiting(
    sam_client: Client, mia: Patient
) -> None:
    sam_client.post(_url(mia), INVITE)
    CaregiverInvitation.objects.update(created_at=NOW - CaregiverInvitation.VALID_FOR)

    assert "not yet accepted" not in words(sam_client.get(_url(mia)))


def test_the_page_runs_a_fixed_number_of_queries(
    sam_client: Client, mia: Patient, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for number in range(5):
        helper = User.objects.create_user(f"helper{number}@example.com", PASSWORD)
        CareRelationship.objects.create(
            patient=mia, account=helper, role=CareRelationship.Role.CAREGIVER
        )
        sam_client.post(_url(mia), {**INVITE, "email": f"invited{number}@example.com"})
    sam_client.get(_url(mia))  # the messages of the invitations are read

    # session, user, the account's care relationships (the middleware), the people who
    # act for mia with their accounts, the invitations still open.
    with django_assert_max_num_queries(5):
        response = sam_client.get(_url(mia))

    assert len(select(response, "#people-heading ~ ul .entry")) == 7


# --- inviting ------------------------------------------------------------------------------


def test_a_guardian_invites_someone_by_email_with_a_signed_link(
    sam_client: Client, sam: User, mia: Patient
) -> None:
    response = sam_client.post(_url(mia), INVITE)

    assert response.status_code == 302
    assert response["Location"] == _url(mia)
    invitation = CaregiverInvitation.objects.get()
    assert (invitation.patient, invitation.email, invitation.role, invitation.invited_by) == (
        mia,
        "gran@example.com",
        CareRelationship.Role.CAREGIVER,
        sam,
    )
    assert (invitation.accepted_at, invitation.cancelled_at) == (None, None)
    [email] = mail.outbox
    assert email.to == ["gran@example.com"]
    assert email.subject == "Sam invited you to Kineret Portal"
    assert "Sam has invited you to help Mia on Kineret Portal, as other caregiver." in email.body
    assert "within 7 days" in email.body
    [link] = re.findall(r"https?://\S+", str(email.body))
    # The link holds the invitation's signed token, and opens the invitation's page.
    assert link == f"http://testserver/invitations/{invitation.token()}/"
    assert CaregiverInvitation.from_token(invitation.token()) == invitation
    followed = words(sam_client.get(response["Location"]))
    assert "An invitation is on its way to gran@example.com" in followed
    assert "The link works once, for 7 days." in followed
    page = sam_client.get(link)
    assert page.status_code == 200
    assert "Sam invited gran@example.com to help Mia" in words(page)


def test_a_guardian_may_invite_another_guardian(sam_client: Client, mia: Patient) -> None:
    sam_client.post(_url(mia), {"email": "pat@example.com", "role": "guardian"})

    invitation = CaregiverInvitation.objects.get()
    assert invitation.role == CareRelationship.Role.GUARDIAN
    assert "as parent or guardian" in mail.outbox[0].body


def test_the_adult_patient_invites_someone(alice_client: Client, alice_patient: Patient) -> None:
    response = alice_client.post("/caregivers/", INVITE)

    assert response["Location"] == _url(alice_patient)
    assert CaregiverInvitation.objects.get().patient == alice_patient
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"email": "not an address", "role": "caregiver"},
            "email",
            "Enter a valid email address.",
        ),
        ({"email": "", "role": "caregiver"}, "email", "This field is required."),
        (
            {"email": "gran@example.com", "role": "self"},
            "role",
            "Select a valid choice. self is not one of the available choices.",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_sent(
    sam_client: Client, mia: Patient, data: dict[str, str], field: str, message: str
) -> None:
    response = sam_client.post(_url(mia), data)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert CaregiverInvitation.objects.count() == 0
    assert mail.outbox == []


def test_another_caregiver_cannot_invite(una_client: Client, mia: Patient) -> None:
    response = una_client.post(_url(mia), INVITE)

    assert response.status_code == 404
    assert CaregiverInvitation.objects.count() == 0
    assert mail.outbox == []


# --- ending access -------------------------------------------------------------------------


def test_ending_access_asks_first(sam_client: Client, una: User, mia: Patient) -> None:
    care = _care(mia, una)

    response = sam_client.get(_end_url(care))

    assert response.status_code == 200
    assert words(select_one(response, "h1")) == "End Una’s access to Mia?"
    form = select_one(response, f'form[action="{_end_url(care)}"]')
    assert "Yes, end access" in words(form)
    assert select(form, f'a[href="{_url(mia)}"]')  # "No, keep it"
    care.refresh_from_db()
    assert care.ended_at is None


def test_ended_access_takes_effect_at_once(
    sam_client: Client,
    una_client: Client,
    una: User,
    mia: Patient,
    mia_therapy: Therapy,
    log_dose: LogDose,
) -> None:
    dose = log_dose(mia_therapy, new_york(2026, 11, 18, 8), by=una)
    care = _care(mia, una)
    assert una_client.get(f"/p/{mia.uuid}/").status_code == 200

    response = sam_client.post(_end_url(care))

    assert response.status_code == 302
    assert response["Location"] == _url(mia)
    care.refresh_from_db()
    assert care.ended_at == NOW
    assert "Una no longer has access to Mia." in words(sam_client.get(response["Location"]))
    assert _people(sam_client, mia) == ["Sam (you): parent or guardian, since 18 November 2026."]
    # Her very next request for mia, by the patient's address or by any id, is a 404.
    for url in (
        f"/p/{mia.uuid}/",
        f"/p/{mia.uuid}/doses/",
        f"/p/{mia.uuid}/doses/{dose.uuid}/edit/",
        f"/doses/{dose.uuid}/edit/",
    ):
        assert una_client.get(url).status_code == 404, url
    # What she logged stays in mia's record, and still says who logged it.
    assert DoseLog.objects.get(pk=dose.pk).entered_by == una


def test_the_last_person_acting_for_a_patient_cannot_be_removed(
    sam_client: Client, sam: User, leo: Patient
) -> None:
    care = _care(leo, sam)
    assert select(sam_client.get(_url(leo)), 'a[href*="/end/"]') == []

    response = sam_client.post(_end_url(care), follow=True)

    assert response.status_code == 200
    assert (
        "This is the only person who acts for this patient, so it cannot be ended. "
        "Ask the care team if that needs to change."
    ) in words(response)
    assert response.redirect_chain == [(_url(leo), 302)]
    care.refresh_from_db()
    assert care.ended_at is None
    assert sam_client.get(f"/p/{leo.uuid}/").status_code == 200


def test_the_adult_patient_cannot_remove_themself_when_alone(
    alice_client: Client, alice: User, alice_patient: Patient
) -> None:
    care = _care(alice_patient, alice)

    response = alice_client.post(_end_url(care), follow=True)

    assert "This is the only person who acts for this patient" in words(response)
    care.refresh_from_db()
    assert care.ended_at is None


def test_a_guardian_may_end_their_own_access_when_someone_else_remains(
    sam_client: Client, sam: User, mia: Patient
) -> None:
    care = _care(mia, sam)

    response = sam_client.post(_end_url(care))

    assert response["Location"] == "/account/"
    care.refresh_from_db()
    assert care.ended_at == NOW
    assert sam_client.get(f"/p/{mia.uuid}/").status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_caregiver_cannot_end_anyones_access(
    una_client: Client, sam: User, mia: Patient, method: str
) -> None:
    care = _care(mia, sam)

    response = getattr(una_client, method)(_end_url(care))

    assert response.status_code == 404
    care.refresh_from_db()
    assert care.ended_at is None


@pytest.mark.usefixtures("leo")
def test_a_care_of_another_patient_is_a_404(
    sam_client: Client, una: User, mia: Patient, leo: Patient
) -> None:
    """Sam manages both children, but leo's page cannot end access to mia."""
    care = _care(mia, una)

    response = sam_client.post(f"/p/{leo.uuid}/caregivers/{care.pk}/end/")

    assert response.status_code == 404
    care.refresh_from_db()
    assert care.ended_at is None


def test_an_access_already_ended_is_a_404(sam_client: Client, una: User, mia: Patient) -> None:
    care = _care(mia, una)
    sam_client.post(_end_url(care))

    assert sam_client.get(_end_url(care)).status_code == 404
    assert sam_client.post(_end_url(care)).status_code == 404


# --- who may ask ---------------------------------------------------------------------------


@pytest.mark.usefixtures("bob_therapy")
def test_bob_gets_404_for_the_family_pages(
    bob_client: Client, bob: User, una: User, mia: Patient
) -> None:
    care = _care(mia, una)
    bobs = own_patient(bob)

    for method, url in [
        ("get", _url(mia)),
        ("post", _url(mia)),
        ("get", _end_url(care)),
        ("post", _end_url(care)),
        # His own patient's address, or the short path, with a care of mia's.
        ("post", f"/p/{bobs.uuid}/caregivers/{care.pk}/end/"),
        ("post", f"/caregivers/{care.pk}/end/"),
    ]:
        assert getattr(bob_client, method)(url, INVITE).status_code == 404, (method, url)
    care.refresh_from_db()
    assert care.ended_at is None
    assert CaregiverInvitation.objects.count() == 0


def test_a_caregiver_whose_access_ended_gets_404(client: Client, mia: Patient, una: User) -> None:
    client.force_login(ended_caregiver(mia))
    care = _care(mia, una)

    assert client.get(_url(mia)).status_code == 404
    assert client.post(_url(mia), INVITE).status_code == 404
    assert client.post(_end_url(care)).status_code == 404
    care.refresh_from_db()
    assert care.ended_at is None
    assert CaregiverInvitation.objects.count() == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_not_allowed(
    sam_client: Client, una: User, mia: Patient, method: str
) -> None:
    assert getattr(sam_client, method)(_url(mia)).status_code == 405
    assert getattr(sam_client, method)(_end_url(_care(mia, una))).status_code == 405
    assert _care(mia, una).ended_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, una: User, mia: Patient) -> None:
    care = _care(mia, una)

    for url in ("/caregivers/", _url(mia), _end_url(care)):
        assert is_login_redirect(client.get(url), url), url
        assert is_login_redirect(client.post(url, INVITE), url), url
    assert CaregiverInvitation.objects.count() == 0
    care.refresh_from_db()
    assert care.ended_at is None
