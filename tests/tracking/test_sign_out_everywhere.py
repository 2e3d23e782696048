"""Ending the other sessions of an account: "Sign out everywhere" on the account page (with
a confirmation page), and a password change, which keeps only the session that made it."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.models import User
from tests.pages import attr, is_login_redirect, select, select_one, words
from tests.world import PASSWORD

URL = "/account/sign-out-everywhere/"
ACCOUNT = "/account/"
NEW_PASSWORD = "plum-orchard-lantern-42"


def _another_browser(account: User) -> Client:
    client = Client()
    client.force_login(account)
    return client


def _signed_in(client: Client) -> bool:
    response = client.get(ACCOUNT)
    if response.status_code == 200:
        return True
    assert is_login_redirect(response, ACCOUNT)
    return False


def test_the_account_page_offers_it_and_the_password_change(alice_client: Client) -> None:
    response = alice_client.get(ACCOUNT)

    security = select_one(response, 'section[aria-labelledby="security-heading"]')
    assert {attr(link, "href") for link in security.select("a")} == {
        "/accounts/password_change/",
        "/accounts/two-factor/setup/",
        URL,
    }
    assert "It also signs you out on your other devices." in words(security)


def test_the_confirmation_page_says_what_happens_and_changes_nothing(
    alice_client: Client, alice: User
) -> None:
    phone = _another_browser(alice)

    response = alice_client.get(URL)

    assert response.status_code == 200
    assert words(select_one(response, "h1")) == "Sign out on every device?"
    form = select_one(response, "main form")
    assert (attr(form, "method"), attr(form, "action")) == ("post", URL)
    assert select(form, 'input[name="csrfmiddlewaretoken"]')
    assert "Yes, sign out everywhere" in words(form)
    assert _signed_in(alice_client)
    assert _signed_in(phone)


def test_confirming_signs_out_every_session_of_the_account(
    alice_client: Client, alice: User, bob_client: Client
) -> None:
    phone = _another_browser(alice)
    laptop = _another_browser(alice)

    response = alice_client.post(URL, follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "You are signed out on every device and browser, this one too." in words(
        select_one(response, ".messages")
    )
    assert not _signed_in(alice_client)
    assert not _signed_in(phone)
    assert not _signed_in(laptop)
    assert _signed_in(bob_client)  # someone else's sessions are left alone
    alice.refresh_from_db()
    assert alice.session_generation == 1


def test_signing_in_again_afterwards_works(alice_client: Client, alice: User) -> None:
    alice_client.post(URL)

    again = Client()
    response = again.post("/accounts/login/", {"username": alice.email, "password": PASSWORD})

    assert response.status_code == 302
    assert _signed_in(again)


def test_it_needs_sign_in(client: Client, db: None) -> None:
    assert is_login_redirect(client.get(URL), URL)
    assert is_login_redirect(client.post(URL), URL)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_it_answers_get_and_post_only(alice_client: Client, method: str) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


# --- a new password ------------------------------------------------------------------------


def test_a_new_password_signs_out_the_other_sessions_and_keeps_this_one(
    alice_client: Client, alice: User
) -> None:
    phone = _another_browser(alice)

    response = alice_client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == "/accounts/password_change/done/"
    assert _signed_in(alice_client)
    assert not _signed_in(phone)


def test_a_refused_password_change_ends_no_session(alice_client: Client, alice: User) -> None:
    phone = _another_browser(alice)

    response = alice_client.post(
        "/accounts/password_change/",
        {
            "old_password": "not-it-at-all",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert _signed_in(alice_client)
    assert _signed_in(phone)
