"""Signing in with an email address, signing out, and resetting or changing a password."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client

from portal.models import User
from tests.pages import attr, select, select_one, words
from tests.world import PASSWORD

LOGIN_URL = "/accounts/login/"
NEW_PASSWORD = "plum-orchard-lantern-42"
NO_MATCH = "That email address and password do not match an account"


def _is_signed_in_as(client: Client, user: User) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


def test_sign_in_with_email_in_any_case(client: Client, alice: User) -> None:
    response = client.post(LOGIN_URL, {"username": "Alice@Example.COM", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _is_signed_in_as(client, alice)
    assert client.get("/accounts/password_change/").status_code == 200


def test_sign_in_follows_a_safe_next_url(client: Client, alice: User) -> None:
    response = client.post(
        LOGIN_URL, {"username": "alice@example.com", "password": PASSWORD, "next": "/medicines/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/medicines/"


def test_sign_in_ignores_a_next_url_on_another_site(client: Client, alice: User) -> None:
    response = client.post(
        LOGIN_URL,
        {"username": "alice@example.com", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("email", "password"),
    [("alice@example.com", "wrong-password-123"), ("nobody@example.com", PASSWORD)],
    ids=["wrong password", "unknown email"],
)
def test_failed_sign_in_re_renders_with_a_plain_message(
    client: Client, alice: User, email: str, password: str
) -> None:
    response = client.post(LOGIN_URL, {"username": email, "password": password})

    # The same words for both cases, so the page does not reveal who has an account.
    assert response.status_code == 200
    [alert] = select(response, '[role="alert"]')
    assert NO_MATCH in words(alert), "the message is announced"
    email_input = select_one(response, 'input[name="username"]')
    assert attr(email_input, "value") == email
    assert attr(email_input, "type") == "email"
    assert "_auth_user_id" not in client.session


def test_sign_in_page_uses_our_templates(client: Client, db: None) -> None:
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    names = [template.name for template in response.templates]
    assert "registration/login.html" in names
    assert "_base.html" in names
    assert not any(name.startswith("admin/") for name in names if name)
    assert words(select_one(response, 'label[for="id_username"]')).startswith("Email address")


def test_a_signed_in_user_visiting_sign_in_goes_to_the_dashboard(alice_client: Client) -> None:
    response = alice_client.get(LOGIN_URL)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_out_is_post_only(alice_client: Client, alice: User) -> None:
    response = alice_client.get("/accounts/logout/")

    assert response.status_code == 405
    assert _is_signed_in_as(alice_client, alice)


def test_sign_out_ends_the_session(alice_client: Client, alice: User) -> None:
    response = alice_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert not _is_signed_in_as(alice_client, alice)
    assert alice_client.get("/")["Location"] == f"{LOGIN_URL}?next=/"


def _reset_link_path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", body)
    assert match, body
    return match.group(1)


def test_password_reset_emails_a_link_that_sets_a_new_password(
    client: Client, alice: User
) -> None:
    response = client.post("/accounts/password_reset/", {"email": "Alice@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Kineret Portal" in message.subject

    link = client.get(_reset_link_path(str(message.body)))
    # Django swaps the token out of the address before showing the form.
    assert link.status_code == 302
    form_page = client.get(link["Location"])
    assert form_page.status_code == 200
    assert "registration/password_reset_confirm.html" in [t.name for t in form_page.templates]
    assert select_one(form_page, 'input[name="new_password1"]')

    done = client.post(
        link["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    signed_in = client.post(
        "/accounts/login/", {"username": "alice@example.com", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_a_reset_link_works_only_once(client: Client, alice: User) -> None:
    client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    path = _reset_link_path(str(mail.outbox[0].body))
    form_url = client.get(path)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    second = client.get(path, follow=True)

    assert second.status_code == 200
    assert "This link has already been used or has expired" in words(second)
    assert select(second, 'input[name="new_password1"]') == []


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client: Client, alice: User
) -> None:
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_password_change_for_a_signed_in_user(alice_client: Client, alice: User) -> None:
    page = alice_client.get("/accounts/password_change/")
    assert page.status_code == 200
    assert "registration/password_change_form.html" in [t.name for t in page.templates]

    response = alice_client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # Still signed in: changing the password must not end this session.
    assert _is_signed_in_as(alice_client, alice)
    assert alice_client.get("/accounts/password_change/").status_code == 200


def test_password_change_with_a_wrong_old_password_changes_nothing(
    alice_client: Client, alice: User
) -> None:
    response = alice_client.post(
        "/accounts/password_change/",
        {"old_password": "not-it-at-all", "new_password1": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in words(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_needs_sign_in(client: Client, db: None) -> None:
    response = client.get("/accounts/password_change/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/accounts/password_change/"


@pytest.mark.parametrize(
    ("path", "template"),
    [
        (LOGIN_URL, "registration/login.html"),
        ("/accounts/password_reset/", "registration/password_reset_form.html"),
        ("/accounts/password_reset/done/", "registration/password_reset_done.html"),
        ("/accounts/reset/done/", "registration/password_reset_complete.html"),
        ("/accounts/reset/MQ/not-a-token/", "registration/password_reset_confirm.html"),
    ],
)
def test_account_pages_use_the_portal_templates_not_the_admin_ones(
    client: Client, db: None, path: str, template: str
) -> None:
    response = client.get(path)

    assert response.status_code == 200
    names = [t.name for t in response.templates]
    assert template in names
    assert "_base.html" in names
    # django.contrib.admin ships templates with the same names; ours must win.
    assert "admin/base_site.html" not in names


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/accounts/password_change/", "registration/password_change_form.html"),
        ("/accounts/password_change/done/", "registration/password_change_done.html"),
    ],
)
def test_signed_in_account_pages_use_the_portal_templates(
    alice_client: Client, path: str, template: str
) -> None:
    response = alice_client.get(path)

    assert response.status_code == 200
    names = [t.name for t in response.templates]
    assert template in names
    assert "admin/base_site.html" not in names


def test_users_are_stored_with_a_lower_cased_email(db: None) -> None:
    user = User.objects.create_user("Dana.Smith@Example.ORG", PASSWORD)

    user.refresh_from_db()
    assert user.email == "dana.smith@example.org"
    assert str(user) == "dana.smith@example.org"


def test_the_database_rejects_the_same_email_in_another_case(alice: User) -> None:
    # Bypasses the manager, which would lower-case it: the constraint must hold anyway.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ALICE@example.com")

    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def test_creating_a_user_with_a_taken_email_in_another_case_fails(alice: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("Alice@Example.com", PASSWORD)
