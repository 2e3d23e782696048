"""Two-step sign-in: staff give a second factor before any admin page; patients may opt in.

Codes are computed the way an authenticator app does, from the device's key at the
frozen `clock`. django-otp throttles after a wrong code (1 s, then 2, 4, ...), so a
test that tries again after one moves the clock on first.
"""

from __future__ import annotations

import datetime
from base64 import b32decode
from urllib.parse import urlencode

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client, modify_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from monographs.models import Medicine
from portal.models import User
from tests.pages import attr, field_errors, select, select_one, words
from tests.world import PASSWORD

pytestmark = pytest.mark.usefixtures("clock")

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/"
SETUP = "/accounts/two-factor/setup/"
BACKUP_CODES = "/accounts/two-factor/backup-codes/"
TURN_OFF = "/accounts/two-factor/turn-off/"
WRONG = "That code is not right."


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def _password_only(user: User) -> Client:
    """Signed in with the password, no second factor given yet in this session."""
    client = Client()
    client.force_login(user)
    return client


def _app(user: User) -> TOTPDevice:
    """An authenticator app the account set up before."""
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return device


def _backup_codes(user: User, *codes: str) -> StaticDevice:
    device: StaticDevice = StaticDevice.objects.create(user=user, name="Backup", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=code)
    return device


def _code(device: TOTPDevice) -> str:
    """What the app shows now."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _alert(response: object) -> str:
    return words(select_one(response, '[role="alert"]'))  # type: ignore[arg-type]


def _admin_pages() -> list[str]:
    """Every page of the admin without an object id: the index, each app's index, each
    registered model's list and add page, and the admin's own password change."""
    pages = {reverse("admin:index"), reverse("admin:password_change")}
    for model in apps.get_models():
        if admin.site.is_registered(model):
            opts = model._meta
            pages.add(reverse("admin:app_list", kwargs={"app_label": opts.app_label}))
            pages.add(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
            pages.add(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    return sorted(pages)


def _is_verified(client: Client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


# --- staff: no admin page without the second factor ------------------------------------------


@pytest.mark.parametrize("who", ["carol", "root"])
def test_staff_without_an_app_cannot_open_any_admin_page(
    request: pytest.FixtureRequest, who: str
) -> None:
    client = _password_only(request.getfixturevalue(who))
    pages = _admin_pages()
    assert len(pages) > 20, "the walk reaches the registered models"

    for page in pages:
        response = client.get(page)

        assert response.status_code == 302, page
        assert response["Location"] == _with_next(SETUP, page)


@pytest.mark.parametrize("who", ["carol", "root"])
def test_staff_with_an_app_are_asked_for_a_code_before_any_admin_page(
    request: pytest.FixtureRequest, who: str
) -> None:
    user = request.getfixturevalue(who)
    _app(user)
    client = _password_only(user)

    for page in _admin_pages():
        response = client.get(page)

        assert response.status_code == 302, page
        assert response["Location"] == _with_next(VERIFY, page)


def test_the_admin_itself_refuses_an_unverified_session(carol: User) -> None:
    """Defence in depth: without the middleware, the admin site still asks for the code."""
    _app(carol)
    client = _password_only(carol)

    with modify_settings(MIDDLEWARE={"remove": ["portal.two_factor.TwoFactorMiddleware"]}):
        response = client.get("/admin/tracking/patient/")
        assert response["Location"] == "/admin/login/?next=/admin/tracking/patient/"
        sent_on = client.get(response["Location"])

    assert sent_on["Location"] == _with_next(VERIFY, "/admin/tracking/patient/")


def test_staff_owing_a_code_may_still_sign_out_and_read_public_pages(
    carol: User, anakinra: Medicine
) -> None:
    client = _password_only(carol)

    assert client.get("/medicines/").status_code == 200
    assert client.get("/medicines/anakinra/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 302
    assert client.get("/account/")["Location"] == _with_next(SETUP, "/account/")
    signed_out = client.post("/accounts/logout/")
    assert signed_out["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_a_draft_preview_is_closed_until_the_code_is_given(carol: User) -> None:
    # Under /medicines/ too, but only staff may preview: it is not a public page.
    client = _password_only(carol)

    response = client.get("/medicines/anakinra/preview/")

    assert response["Location"] == _with_next(SETUP, "/medicines/anakinra/preview/")


# --- enrolling an authenticator app ----------------------------------------------------------


def test_a_new_staff_member_signs_in_sets_up_the_app_and_reaches_the_admin(
    client: Client, carol: User
) -> None:
    signed_in = client.post(LOGIN, {"username": "carol@example.com", "password": PASSWORD})
    assert signed_in["Location"] == "/admin/"
    sent = client.get("/admin/")
    assert sent["Location"] == _with_next(SETUP, "/admin/")

    page = client.get(sent["Location"])

    assert page.status_code == 200
    assert "registration/two_factor_setup.html" in [t.name for t in page.templates]
    device = TOTPDevice.objects.get(user=carol)
    assert not device.confirmed
    key = words(select_one(page, "#setup-key"))
    assert b32decode(key.replace(" ", "")) == device.bin_key
    assert all(len(group) == 4 for group in key.split())
    session_before = client.session.session_key

    enrolled = client.post(SETUP, {"code": _code(device), "next": "/admin/"})

    assert enrolled.status_code == 302
    assert enrolled["Location"] == _with_next(BACKUP_CODES, "/admin/")
    device.refresh_from_db()
    assert device.confirmed
    assert client.session.session_key != session_before, "a new session key once verified"
    [backup] = StaticDevice.objects.filter(user=carol)
    stored = set(backup.token_set.values_list("token", flat=True))
    assert len(stored) == 10

    codes_page = client.get(enrolled["Location"])

    shown = [words(item) for item in select(codes_page, ".backup-codes li")]
    assert set(shown) == stored
    assert "You will not see these codes again" in words(codes_page)
    assert select_one(codes_page, "button[data-print]")
    [go_on] = [a for a in select(codes_page, "a.button") if "continue" in words(a)]
    assert attr(go_on, "href") == "/admin/"
    assert client.get("/admin/").status_code == 200
    again = client.get(BACKUP_CODES)
    assert select(again, ".backup-codes li") == [], "the codes are shown once"
    assert "You have 10 unused backup codes" in words(again)


def test_the_setup_page_draws_the_qr_code_without_inline_styles(carol: User) -> None:
    client = _password_only(carol)

    page = client.get(SETUP)

    svg = select_one(page, "figure svg")
    assert words(select_one(svg, "title")) == "QR code for your authenticator app"
    assert select(svg, "path")
    assert select(page, "[style]") == [], "the CSP forbids style attributes"
    assert select(page, "style") == []
    code = select_one(page, 'input[name="code"]')
    assert attr(code, "autocomplete") == "one-time-code"
    assert attr(code, "inputmode") == "numeric"
    label = select_one(page, f'label[for="{attr(code, "id")}"]')
    assert "6-digit code" in words(label)
    assert select_one(page, f'form[action="{SETUP}"] input[name="csrfmiddlewaretoken"]')


def test_setup_keeps_the_same_key_until_it_is_confirmed(carol: User) -> None:
    client = _password_only(carol)

    first = words(select_one(client.get(SETUP), "#setup-key"))
    second = words(select_one(client.get(SETUP), "#setup-key"))

    assert first == second
    assert TOTPDevice.objects.filter(user=carol).count() == 1


def test_a_wrong_code_at_setup_confirms_nothing(carol: User) -> None:
    client = _password_only(carol)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=carol)

    response = client.post(SETUP, {"code": _wrong(_code(device))})

    assert response.status_code == 200
    assert "That code is not right" in _alert(response)
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=carol).exists()
    assert not _is_verified(client)
    assert client.get("/admin/")["Location"] == _with_next(SETUP, "/admin/")


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1234567"])
def test_setup_asks_for_six_numbers(carol: User, typed: str) -> None:
    client = _password_only(carol)
    client.get(SETUP)

    response = client.post(SETUP, {"code": typed})

    assert response.status_code == 200
    expected = "Type the code." if typed == "" else "Type the 6 numbers the app shows"
    assert field_errors(response, "code")[0].startswith(expected)
    assert not TOTPDevice.objects.get(user=carol).confirmed


def test_a_password_alone_cannot_put_another_phone_on_the_account(carol: User) -> None:
    _app(carol)
    client = _password_only(carol)

    response = client.get(_with_next(SETUP, "/admin/"))

    assert response["Location"] == _with_next(VERIFY, "/admin/")
    assert TOTPDevice.objects.filter(user=carol).count() == 1


def test_setting_up_again_replaces_the_old_app_and_codes(
    carol_client: Client, carol: User, clock: time_machine.Traveller
) -> None:
    old_app = TOTPDevice.objects.get(user=carol)
    _backup_codes(carol, "oldcode1")

    page = carol_client.get(SETUP)
    assert "This replaces the app you use now" in words(page)
    new_app = TOTPDevice.objects.get(user=carol, confirmed=False)
    carol_client.post(SETUP, {"code": _code(new_app)})

    assert list(TOTPDevice.objects.filter(user=carol)) == [new_app]
    assert not StaticToken.objects.filter(token="oldcode1").exists()
    assert _is_verified(carol_client)
    assert carol_client.get("/admin/").status_code == 200
    assert old_app.pk != new_app.pk


# --- giving the code at sign-in --------------------------------------------------------------


def test_the_right_code_opens_the_admin(client: Client, carol: User) -> None:
    device = _app(carol)
    client.post(LOGIN, {"username": "carol@example.com", "password": PASSWORD})
    sent = client.get("/admin/")
    assert sent["Location"] == _with_next(VERIFY, "/admin/")
    page = client.get(sent["Location"])
    assert "registration/two_factor_verify.html" in [t.name for t in page.templates]
    assert attr(select_one(page, 'input[name="next"]'), "value") == "/admin/"
    assert attr(select_one(page, 'input[name="code"]'), "autocomplete") == "one-time-code"
    session_before = client.session.session_key

    response = client.post(VERIFY, {"code": _code(device), "next": "/admin/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session.session_key != session_before
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_and_signs_nothing_in(carol: User) -> None:
    device = _app(carol)
    client = _password_only(carol)

    response = client.post(VERIFY, {"code": _wrong(_code(device)), "next": "/admin/"})

    assert response.status_code == 200
    assert WRONG in _alert(response)
    assert attr(select_one(response, 'input[name="next"]'), "value") == "/admin/"
    assert not _is_verified(client)
    assert client.get("/admin/")["Location"] == _with_next(VERIFY, "/admin/")


def test_a_backup_code_works_once(carol: User, clock: time_machine.Traveller) -> None:
    _app(carol)
    _backup_codes(carol, "k3yc0de7", "s3c0ndcd")
    first = _password_only(carol)

    used = first.post(VERIFY, {"code": "K3YC 0DE7"})

    assert used["Location"] == "/admin/"
    admin_index = first.get("/admin/")
    assert admin_index.status_code == 200
    assert "You used a backup code; it will not work again. You have 1 left." in words(admin_index)
    clock.shift(datetime.timedelta(seconds=5))
    second = _password_only(carol)
    again = second.post(VERIFY, {"code": "k3yc0de7"})
    assert again.status_code == 200
    assert WRONG in _alert(again)
    assert not _is_verified(second)


def test_too_many_wrong_codes_are_refused_with_the_wait(
    carol: User, clock: time_machine.Traveller
) -> None:
    device = _app(carol)
    client = _password_only(carol)
    wrong = _wrong(_code(device))
    client.post(VERIFY, {"code": wrong})
    clock.shift(datetime.timedelta(seconds=1))
    client.post(VERIFY, {"code": wrong})

    # Two failures: the next try must wait 2 seconds, the right code included.
    refused = client.post(VERIFY, {"code": _code(device)})

    assert refused.status_code == 200
    assert _alert(refused) == "Too many wrong codes: wait 2 seconds, then try again."
    assert not _is_verified(client)
    clock.shift(datetime.timedelta(seconds=1))
    assert "wait 1 second," in _alert(client.post(VERIFY, {"code": _code(device)}))
    clock.shift(datetime.timedelta(seconds=1))
    assert client.post(VERIFY, {"code": _code(device)})["Location"] == "/admin/"


def test_the_code_page_keeps_a_safe_next_and_drops_one_on_another_site(carol: User) -> None:
    device = _app(carol)
    client = _password_only(carol)

    sent = client.get("/admin/portal/user/?q=bob")

    assert sent["Location"] == _with_next(VERIFY, "/admin/portal/user/?q=bob")
    page = client.get(sent["Location"])
    assert attr(select_one(page, 'input[name="next"]'), "value") == "/admin/portal/user/?q=bob"
    response = client.post(VERIFY, {"code": _code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_an_htmx_request_is_sent_to_the_code_page_as_a_whole_page(carol: User) -> None:
    _app(carol)
    client = _password_only(carol)

    response = client.get(
        "/doses/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/admin/tracking/doselog/",
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == _with_next(VERIFY, "/admin/tracking/doselog/")


def test_the_code_page_sends_staff_without_an_app_to_set_one_up(carol: User) -> None:
    client = _password_only(carol)

    response = client.get(_with_next(VERIFY, "/admin/"))

    assert response["Location"] == _with_next(SETUP, "/admin/")


def test_the_code_page_rejects_other_methods(carol: User) -> None:
    assert _password_only(carol).put(VERIFY).status_code == 405


def test_the_two_factor_pages_need_a_signed_in_account(client: Client, db: None) -> None:
    for page in (VERIFY, SETUP, BACKUP_CODES, TURN_OFF):
        assert client.get(page)["Location"] == f"{LOGIN}?next={page}"


# --- backup codes ----------------------------------------------------------------------------


def test_new_backup_codes_replace_the_old_ones(
    carol_client: Client, carol: User, clock: time_machine.Traveller
) -> None:
    _backup_codes(carol, "oldcode1", "oldcode2")
    page = carol_client.get(BACKUP_CODES)
    assert "You have 2 unused backup codes" in words(page)

    made = carol_client.post(BACKUP_CODES, {"confirm": "on"})

    assert made["Location"] == _with_next(BACKUP_CODES, "/admin/")
    shown = [
        words(item) for item in select(carol_client.get(made["Location"]), ".backup-codes li")
    ]
    assert len(shown) == 10
    assert set(StaticToken.objects.filter(device__user=carol).values_list("token", flat=True)) == (
        set(shown)
    )
    clock.shift(datetime.timedelta(seconds=5))
    old = _password_only(carol)
    assert WRONG in _alert(old.post(VERIFY, {"code": "oldcode1"}))
    clock.shift(datetime.timedelta(seconds=1))  # past the throttle that wrong code started
    new = _password_only(carol)
    assert new.post(VERIFY, {"code": shown[0]})["Location"] == "/admin/"


def test_new_backup_codes_need_the_box_ticked(carol_client: Client, carol: User) -> None:
    _backup_codes(carol, "oldcode1")

    response = carol_client.post(BACKUP_CODES, {})

    assert response.status_code == 200
    assert field_errors(response, "confirm") == ["Tick the box to make new backup codes."]
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["oldcode1"]


def test_a_session_verified_by_a_backup_code_stays_verified_with_new_codes(
    carol: User,
) -> None:
    _app(carol)
    _backup_codes(carol, "oldcode1")
    client = _password_only(carol)
    client.post(VERIFY, {"code": "oldcode1"})

    client.post(BACKUP_CODES, {"confirm": "on"})

    assert client.get("/admin/").status_code == 200


def test_backup_codes_need_the_code_first(carol: User) -> None:
    _app(carol)
    client = _password_only(carol)

    response = client.get(BACKUP_CODES)

    assert response["Location"] == _with_next(VERIFY, BACKUP_CODES)


# --- patients and caregivers: optional ------------------------------------------------------


def test_a_patient_without_two_step_sign_in_is_not_asked_for_a_code(
    client: Client, alice: User
) -> None:
    signed_in = client.post(LOGIN, {"username": "alice@example.com", "password": PASSWORD})

    assert signed_in["Location"] == "/"
    assert client.get("/account/").status_code == 200
    assert client.get(VERIFY)["Location"] == "/"


def test_a_patients_pages_ask_nothing_about_devices(alice_client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get("/account/")

    assert response.status_code == 200
    assert not [query for query in queries if "otp_" in query["sql"]]


def test_a_patient_who_turned_it_on_is_asked_for_a_code_at_the_next_sign_in(
    alice_client: Client, alice: User, anakinra: Medicine, clock: time_machine.Traveller
) -> None:
    alice_client.get(SETUP)
    device = TOTPDevice.objects.get(user=alice)
    enrolled = alice_client.post(SETUP, {"code": _code(device), "next": "/account/"})
    assert enrolled["Location"] == _with_next(BACKUP_CODES, "/account/")
    assert alice_client.get("/account/").status_code == 200

    clock.shift(datetime.timedelta(seconds=30))
    laptop = Client()
    laptop.post(LOGIN, {"username": "alice@example.com", "password": PASSWORD})

    assert laptop.get("/account/")["Location"] == _with_next(VERIFY, "/account/")
    assert laptop.get("/medicines/anakinra/").status_code == 200
    assert laptop.post(VERIFY, {"code": _code(device), "next": "/account/"})["Location"] == (
        "/account/"
    )
    assert laptop.get("/account/").status_code == 200


def test_a_patient_turns_it_off_only_with_a_code(
    alice_client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    alice_client.get(SETUP)
    device = TOTPDevice.objects.get(user=alice)
    alice_client.post(SETUP, {"code": _code(device)})
    clock.shift(datetime.timedelta(seconds=30))
    assert alice_client.get(TURN_OFF).status_code == 200

    refused = alice_client.post(TURN_OFF, {"code": _wrong(_code(device))})

    assert refused.status_code == 200
    assert WRONG in _alert(refused)
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    clock.shift(datetime.timedelta(seconds=30))
    turned_off = alice_client.post(TURN_OFF, {"code": _code(device)})
    assert turned_off["Location"] == "/account/"
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists()
    assert "Two-step sign-in is off" in words(alice_client.get("/account/"))
    laptop = Client()
    laptop.post(LOGIN, {"username": "alice@example.com", "password": PASSWORD})
    assert laptop.get("/account/").status_code == 200


def test_an_enrolled_patient_without_the_code_cannot_turn_it_off(alice: User) -> None:
    _app(alice)
    client = _password_only(alice)

    response = client.post(TURN_OFF, {"code": "000000"})

    assert response["Location"] == _with_next(VERIFY, TURN_OFF)
    assert TOTPDevice.objects.filter(user=alice).exists()


def test_a_session_from_before_it_was_turned_on_still_needs_the_code_for_its_pages(
    alice_client: Client, alice: User
) -> None:
    # Signed in here first, then turned on from another phone: this session has not
    # given a code, so the pages that change two-step sign-in ask for one.
    _app(alice)
    _backup_codes(alice, "oldcode1")

    assert alice_client.get(BACKUP_CODES)["Location"] == _with_next(VERIFY, BACKUP_CODES)
    assert alice_client.get(TURN_OFF)["Location"] == _with_next(VERIFY, TURN_OFF)
    assert alice_client.get(SETUP)["Location"] == _with_next(VERIFY, "/")
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_turning_off_when_it_is_not_on_says_so(alice_client: Client) -> None:
    response = alice_client.get(TURN_OFF, follow=True)

    assert response.redirect_chain == [("/account/", 302)]
    assert "Two-step sign-in is not on for your account." in words(response)


def test_staff_cannot_turn_it_off(carol_client: Client, carol: User) -> None:
    device = TOTPDevice.objects.get(user=carol)

    page = carol_client.get(TURN_OFF)
    posted = carol_client.post(TURN_OFF, {"code": _code(device)})

    assert page.status_code == 403
    assert "Staff accounts must keep two-step sign-in" in words(page)
    assert posted.status_code == 403
    assert TOTPDevice.objects.filter(user=carol).exists()


# --- the admin's sign-in and sign-out, and a lost phone -------------------------------------


def test_the_admin_sign_in_sends_to_the_portals(client: Client, db: None) -> None:
    response = client.get("/admin/login/?next=/admin/portal/user/")

    assert response["Location"] == f"{LOGIN}?next=/admin/portal/user/"
    assert client.get("/admin/login/")["Location"] == f"{LOGIN}?next=/admin/"


def test_a_patient_at_the_admin_is_told_it_is_for_the_care_team(alice_client: Client) -> None:
    sent = alice_client.get("/admin/")
    response = alice_client.get(sent["Location"])

    assert response.status_code == 403
    assert "This part of the portal is for the care team" in words(response)


def test_admin_sign_out_signs_out(carol_client: Client) -> None:
    response = carol_client.post("/admin/logout/")

    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in carol_client.session


def test_a_superuser_removes_a_lost_phone_and_its_owner_sets_up_again(
    root_client: Client, carol_client: Client, carol: User
) -> None:
    device = TOTPDevice.objects.get(user=carol)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert root_client.get(url).status_code == 200

    root_client.post(url, {"post": "yes"})

    assert not TOTPDevice.objects.filter(user=carol).exists()
    assert carol_client.get("/admin/")["Location"] == _with_next(SETUP, "/admin/")


def test_only_superusers_see_the_device_admin(carol_client: Client, carol: User) -> None:
    carol.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["otp_totp", "otp_static"])
    )

    assert carol_client.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert carol_client.get("/admin/otp_static/staticdevice/").status_code == 403
    assert "otp_totp" not in carol_client.get("/admin/").content.decode()
