"""Changing the sign-in address: the account page sends a link to the new address (and a
notice to the old one); the address changes when the link is opened and confirmed, once,
within 24 hours, by the account that asked, if no other account has the address."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from portal.log_filters import redact
from portal.models import User
from tests.pages import attr, field_errors, is_login_redirect, select_one, words
from tests.world import NOW, PASSWORD

pytestmark = pytest.mark.usefixtures("clock")

URL = "/account/email/"
ACCOUNT = "/account/"
NEW = "alice.new@example.com"
SENT = (
    f"We sent a link to {NEW}. Open it within 24 hours to sign in with that address from "
    "then on. Until then, keep signing in with alice@example.com."
)
LINK = re.compile(r"http://testserver(/account/email/confirm/[^/\s]+/)")


def _ask(client: Client, new: str = NEW, password: str = PASSWORD) -> None:
    response = client.post(URL, {"new_email": new, "current_password": password})
    assert response.status_code == 302
    assert response["Location"] == ACCOUNT


def _link(to: str) -> str:
    [message] = [message for message in mail.outbox if message.to == [to]]
    found = LINK.search(str(message.body))
    assert found, message.body
    return found.group(1)


def _email(account: User) -> str:
    account.refresh_from_db()
    return account.email


# --- asking --------------------------------------------------------------------------------


def test_the_account_page_has_the_form(alice_client: Client) -> None:
    section = select_one(alice_client.get(ACCOUNT), 'section[aria-labelledby="email-heading"]')

    form = select_one(section, "form")
    assert (attr(form, "method"), attr(form, "action")) == ("post", URL)
    assert words(select_one(form, 'label[for="id_new_email"]')) == "New email address:"
    assert words(select_one(form, 'label[for="id_current_password"]')) == (
        "Your current password:"
    )
    assert attr(select_one(form, "#id_current_password"), "type") == "password"


def test_asking_sends_a_link_to_the_new_address_and_a_notice_to_the_old(
    alice_client: Client, alice: User
) -> None:
    response = alice_client.post(
        URL, {"new_email": "Alice.New@Example.COM", "current_password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [(ACCOUNT, 302)]
    assert SENT in words(select_one(response, ".messages"))
    assert _email(alice) == "alice@example.com"  # nothing changes before the link is opened
    assert sorted(message.to[0] for message in mail.outbox) == [
        "alice.new@example.com",
        alice.email,
    ]
    link = _link(NEW)
    assert "within 24 hours" in str(mail.outbox[0].body)
    [notice] = [message for message in mail.outbox if message.to == [alice.email]]
    # The old inbox is told, but not where the account is going.
    assert NEW not in str(notice.body) and NEW not in notice.subject
    assert "/account/email/confirm/" not in str(notice.body)
    assert "change your password" in str(notice.body)
    # The log files never show the link's token.
    assert redact(f"Not Found: {link}") == "Not Found: /account/email/confirm/[hidden]/"


def test_an_address_of_another_account_gets_the_same_answer_and_no_link(
    alice_client: Client, alice: User, bob: User
) -> None:
    free = alice_client.post(URL, {"new_email": NEW, "current_password": PASSWORD})
    taken = alice_client.post(URL, {"new_email": "Bob@Example.com", "current_password": PASSWORD})

    assert (free.status_code, free["Location"]) == (taken.status_code, taken["Location"])
    messages = words(select_one(alice_client.get(ACCOUNT), ".messages"))
    assert "We sent a link to bob@example.com." in messages
    [to_bob] = [message for message in mail.outbox if message.to == [bob.email]]
    assert "already belongs to an account, so nothing changed" in str(to_bob.body)
    assert "/account/email/confirm/" not in str(to_bob.body)
    assert len([message for message in mail.outbox if message.to == [alice.email]]) == 2
    assert _email(bob) == "bob@example.com"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"new_email": NEW, "current_password": "wrong-one"},
            "current_password",
            "That is not your current password. Check it and try again.",
        ),
        (
            {"new_email": NEW, "current_password": ""},
            "current_password",
            "This field is required.",
        ),
        (
            {"new_email": "ALICE@example.com", "current_password": PASSWORD},
            "new_email",
            "That is already your email address.",
        ),
        (
            {"new_email": "not an address", "current_password": PASSWORD},
            "new_email",
            "Enter a valid email address.",
        ),
    ],
    ids=["wrong password", "no password", "the same address", "not an address"],
)
def test_bad_input_re_renders_the_account_page_and_sends_nothing(
    alice_client: Client, alice: User, data: dict[str, str], field: str, message: str
) -> None:
    response = alice_client.post(URL, data)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert select_one(response, "h1").get_text() == "Your account"
    assert mail.outbox == []
    assert _email(alice) == "alice@example.com"


def test_asking_needs_sign_in_and_a_post(client: Client, alice_client: Client) -> None:
    assert is_login_redirect(client.post(URL, {"new_email": NEW}), URL)
    assert alice_client.get(URL).status_code == 405


# --- the link ------------------------------------------------------------------------------


def test_the_link_shows_the_change_and_the_button_makes_it(
    alice_client: Client, alice: User
) -> None:
    _ask(alice_client)
    link = _link(NEW)

    page = alice_client.get(link)

    assert page.status_code == 200
    assert words(select_one(page, "h1")) == f"Sign in with {NEW} from now on?"
    form = select_one(page, "main form")
    assert (attr(form, "method"), attr(form, "action")) == ("post", link)
    assert _email(alice) == "alice@example.com"  # opening the link alone changes nothing

    done = alice_client.post(link, follow=True)

    assert done.redirect_chain == [(ACCOUNT, 302)]
    assert f"Done: you now sign in with {NEW}." in words(select_one(done, ".messages"))
    assert _email(alice) == NEW
    assert alice_client.get(ACCOUNT).status_code == 200  # still signed in
    fresh = Client()
    fresh.post("/accounts/login/", {"username": NEW, "password": PASSWORD})
    assert fresh.get(ACCOUNT).status_code == 200


def test_the_link_works_once(alice_client: Client, alice: User) -> None:
    _ask(alice_client)
    link = _link(NEW)
    alice_client.post(link)

    for again in (alice_client.get(link), alice_client.post(link)):
        assert again.status_code == 404
        assert "This link has been used already" in words(again)
    assert _email(alice) == NEW


def test_an_older_link_stops_working_once_a_newer_one_is_used(
    alice_client: Client, alice: User
) -> None:
    _ask(alice_client, "first@example.com")
    _ask(alice_client, "second@example.com")
    alice_client.post(_link("second@example.com"))

    response = alice_client.post(_link("first@example.com"))

    assert response.status_code == 404
    assert _email(alice) == "second@example.com"


def test_the_link_expires_after_24_hours(
    alice_client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    _ask(alice_client)
    link = _link(NEW)
    clock.move_to(NOW + datetime.timedelta(hours=24, seconds=1))
    alice_client.force_login(alice)  # the old session has long been signed out as idle

    for response in (alice_client.get(link), alice_client.post(link)):
        assert response.status_code == 404, response
        assert "This link is more than 24 hours old." in words(response)
    assert _email(alice) == "alice@example.com"


def test_a_link_cut_short_or_changed_does_nothing(alice_client: Client, alice: User) -> None:
    _ask(alice_client)
    link = _link(NEW)
    token = link.split("/")[-2]

    for broken in (token[:-3], token[:10] + "x" + token[11:], "nonsense"):
        response = alice_client.post(f"/account/email/confirm/{broken}/")
        assert response.status_code == 404
        assert "This link is not complete." in words(response)
    assert _email(alice) == "alice@example.com"


def test_another_account_cannot_use_the_link(
    alice_client: Client, alice: User, bob_client: Client, bob: User
) -> None:
    _ask(alice_client)
    link = _link(NEW)

    response = bob_client.post(link)

    assert response.status_code == 404
    assert "This link was sent for another account." in words(response)
    assert (_email(alice), _email(bob)) == ("alice@example.com", "bob@example.com")


def test_an_address_taken_since_the_link_was_sent_is_refused(
    alice_client: Client, alice: User
) -> None:
    _ask(alice_client)
    link = _link(NEW)
    User.objects.create_user(NEW, PASSWORD)

    for response in (alice_client.get(link), alice_client.post(link)):
        assert response.status_code == 404
        assert f"Another account uses {NEW}" in words(response)
    assert _email(alice) == "alice@example.com"


def test_opening_the_link_signed_out_asks_to_sign_in_first(
    alice_client: Client, client: Client, alice: User
) -> None:
    _ask(alice_client)
    link = _link(NEW)

    response = client.get(link)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/account/email/confirm/")
    signed_in = client.post(
        "/accounts/login/", {"username": alice.email, "password": PASSWORD, "next": link}
    )
    assert signed_in["Location"] == link
    assert client.post(link).status_code == 302
    assert _email(alice) == NEW
