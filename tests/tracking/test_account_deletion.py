"""/account/delete/: what deleting the account means and what is kept, asking for it (the
care team completes it), and withdrawing the request from the account page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from portal.models import AccountDeletionRequest, User
from tests.pages import (
    attr,
    field_errors,
    is_login_redirect,
    section_words,
    select,
    select_one,
    words,
)
from tests.world import NOW

pytestmark = pytest.mark.usefixtures("clock")

URL = "/account/delete/"
WITHDRAW = "/account/delete/withdraw/"
ACCOUNT = "/account/"
SENT = "Your request is with the care team."
CONFIRM = {"confirm": "on", "reason": "I moved to another clinic."}


def _open_requests(account: User) -> list[AccountDeletionRequest]:
    return list(AccountDeletionRequest.objects.filter(account=account, completed_at=None))


# --- the page ------------------------------------------------------------------------------


@pytest.mark.usefixtures("alice_patient")
def test_the_page_says_what_happens_and_what_is_kept(alice_client: Client) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 200
    happens = section_words(response, "happens-heading")
    assert "The care team completes your request." in happens
    assert "you can no longer sign in" in happens
    kept = section_words(response, "kept-heading")
    assert "doses, side-effect reports and blood test results" in kept
    assert "part of the medical record the clinic must keep, so they are not deleted" in kept
    assert "Your account can no longer reach them." in kept
    assert "Your record: no one else acts for you in the portal." in kept
    form = select_one(response, 'section[aria-labelledby="ask-heading"] form')
    assert (attr(form, "method"), attr(form, "action")) == ("post", URL)
    assert words(select_one(form, 'label[for="id_confirm"]')).startswith("I understand")
    assert words(select_one(form, 'label[for="id_reason"]')).startswith(
        "Why are you closing your account? (optional)"
    )


@pytest.mark.usefixtures("mia", "leo")
def test_a_parent_is_told_who_keeps_access_to_each_child(sam_client: Client) -> None:
    kept = section_words(sam_client.get(URL), "kept-heading")

    assert "Mia’s record: Una keeps access, as before." in kept
    assert (
        "Leo’s record: no one else acts for Leo in the portal. The care team can invite someone."
        in kept
    )


def test_the_account_page_links_to_it(alice_client: Client) -> None:
    section = select_one(alice_client.get(ACCOUNT), 'section[aria-labelledby="delete-heading"]')

    assert [attr(link, "href") for link in section.select("a")] == [URL]
    assert select(section, "form") == []


# --- asking --------------------------------------------------------------------------------


def test_asking_saves_the_request_and_the_account_page_shows_it(
    alice_client: Client, alice: User
) -> None:
    response = alice_client.post(URL, CONFIRM, follow=True)

    assert response.redirect_chain == [(ACCOUNT, 302)]
    assert SENT in words(select_one(response, ".messages"))
    [request] = _open_requests(alice)
    assert (request.reason, request.requested_at) == ("I moved to another clinic.", NOW)
    section = select_one(response, 'section[aria-labelledby="delete-heading"]')
    assert "Deletion requested on 18 November 2026." in words(section)
    form = select_one(section, "form")
    assert (attr(form, "method"), attr(form, "action")) == ("post", WITHDRAW)
    assert "Withdraw the request" in words(form)
    assert alice_client.get(ACCOUNT).status_code == 200  # the account works until completed


def test_the_reason_may_be_left_out(alice_client: Client, alice: User) -> None:
    alice_client.post(URL, {"confirm": "on"})

    assert [request.reason for request in _open_requests(alice)] == [""]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"reason": "Just because"},
            "confirm",
            "Tick the box to confirm, or go back to your account.",
        ),
        (
            {"confirm": "on", "reason": "x" * 2001},
            "reason",
            "Ensure this value has at most 2000 characters (it has 2001).",
        ),
    ],
    ids=["not confirmed", "reason too long"],
)
def test_bad_input_re_renders_and_saves_nothing(
    alice_client: Client, alice: User, data: dict[str, str], field: str, message: str
) -> None:
    response = alice_client.post(URL, data)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert _open_requests(alice) == []


def test_asking_twice_keeps_one_request_and_answers_the_same(
    alice_client: Client, alice: User
) -> None:
    first = alice_client.post(URL, CONFIRM)
    second = alice_client.post(URL, {"confirm": "on", "reason": "second click"})

    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert [request.reason for request in _open_requests(alice)] == ["I moved to another clinic."]


def test_the_page_after_asking_shows_the_request_instead_of_the_form(
    alice_client: Client,
) -> None:
    alice_client.post(URL, CONFIRM)

    response = alice_client.get(URL)

    assert select(response, 'section[aria-labelledby="ask-heading"]') == []
    assert "You asked for your account to be deleted on 18 November 2026." in section_words(
        response, "request-heading"
    )


def test_a_completed_request_is_history_and_a_new_one_may_follow(
    alice_client: Client, alice: User, root: User
) -> None:
    AccountDeletionRequest.objects.create(
        account=alice, completed_at=timezone.now(), completed_by=root
    )

    assert "Deletion requested" not in section_words(alice_client.get(ACCOUNT), "delete-heading")
    alice_client.post(URL, CONFIRM)
    assert len(_open_requests(alice)) == 1


def test_asking_needs_sign_in(client: Client, db: None) -> None:
    assert is_login_redirect(client.get(URL), URL)
    assert is_login_redirect(client.post(URL, CONFIRM), URL)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_page_answers_get_and_post_only(alice_client: Client, method: str) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


# --- withdrawing ---------------------------------------------------------------------------


def test_withdrawing_removes_the_open_request(alice_client: Client, alice: User) -> None:
    alice_client.post(URL, CONFIRM)

    response = alice_client.post(WITHDRAW, follow=True)

    assert response.redirect_chain == [(ACCOUNT, 302)]
    assert "Your request is withdrawn. Your account stays open." in words(
        select_one(response, ".messages")
    )
    assert _open_requests(alice) == []
    assert "Deletion requested" not in section_words(response, "delete-heading")


def test_withdrawing_with_nothing_open_changes_nothing(alice_client: Client) -> None:
    response = alice_client.post(WITHDRAW)

    assert (response.status_code, response["Location"]) == (302, ACCOUNT)


def test_bob_cannot_withdraw_alices_request(
    alice_client: Client, alice: User, bob_client: Client
) -> None:
    alice_client.post(URL, CONFIRM)

    bob_client.post(WITHDRAW)

    assert len(_open_requests(alice)) == 1


def test_withdrawing_is_a_post_by_a_signed_in_account(
    client: Client, alice_client: Client
) -> None:
    assert alice_client.get(WITHDRAW).status_code == 405
    assert is_login_redirect(client.post(WITHDRAW), WITHDRAW)
