"""Headers and markup that keep health data private and script out of the pages."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from django.http.response import HttpResponseBase
from django.test import Client
from pytest_django.fixtures import Settings

from monographs.models import Medicine
from portal.models import User
from tests.pages import Markup, attr, parse, select, select_one
from tests.portal.test_gunicorn import ROOT, environ, fetch, gunicorn
from tests.world import PASSWORD


def _csp(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/medicines/", "/medicines/anakinra/", "/healthz", "/no-such-page/"],
)
def test_every_response_forbids_inline_script(
    client: Client, anakinra: Medicine, path: str
) -> None:
    response = client.get(path)

    policy = _csp(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_signed_in_pages_carry_the_policy_too(alice_client: Client, anakinra: Medicine) -> None:
    response = alice_client.get("/", follow=True)

    assert response.status_code == 200
    assert _csp(response["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_pages_cannot_be_framed_or_sniffed(client: Client, anakinra: Medicine) -> None:
    response = client.get("/medicines/anakinra/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/medicines/", "/medicines/anakinra/"])
def test_signed_in_responses_are_never_stored(
    alice_client: Client, anakinra: Medicine, path: str
) -> None:
    response = alice_client.get(path)

    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control
    assert "private" in cache_control


def test_the_signed_in_home_page_is_never_stored(alice_client: Client) -> None:
    response = alice_client.get("/")

    assert "no-store" in response["Cache-Control"]


def test_an_anonymous_public_monograph_may_be_cached(client: Client, anakinra: Medicine) -> None:
    response = client.get("/medicines/anakinra/")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_an_htmx_call_without_a_session_is_sent_to_sign_in_as_a_whole_page(
    client: Client, db: None
) -> None:
    response = client.get("/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/"
    assert "Location" not in response


def test_a_plain_request_without_a_session_still_gets_a_redirect(client: Client, db: None) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    assert "HX-Redirect" not in response


def test_an_htmx_call_to_another_redirect_is_left_alone(client: Client, db: None) -> None:
    # Only the redirect to sign-in becomes HX-Redirect; a trailing-slash fix stays a redirect.
    response = client.get("/medicines", HTTP_HX_REQUEST="true")

    assert response.status_code == 301
    assert response["Location"] == "/medicines/"
    assert "HX-Redirect" not in response


def _htmx_config(page: Markup) -> dict[str, object]:
    config: dict[str, object] = json.loads(
        attr(select_one(page, 'meta[name="htmx-config"]'), "content")
    )
    return config


def test_htmx_is_configured_without_eval_inline_script_or_history_cache(
    client: Client, db: None
) -> None:
    config = _htmx_config(client.get("/accounts/login/"))

    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False
    # A shared computer must not be able to restore a signed-in page from htmx's cache.
    assert config["historyCacheSize"] == 0
    assert config["historyRestoreAsHxRequest"] is False


def _assert_no_inline_script_or_style(page: Markup) -> None:
    scripts = select(page, "script")
    assert scripts, "the page loads htmx and portal.js"
    for script in scripts:
        assert attr(script, "src").startswith("/static/"), script
        assert script.get_text().strip() == "", script
    tags = parse(page).find_all(True)
    assert [tag for tag in tags if tag.name == "style"] == []
    assert [tag for tag in tags if "style" in tag.attrs] == []
    assert [tag for tag in tags if any(name.startswith("on") for name in tag.attrs)] == []


def test_the_monograph_page_has_no_inline_script_or_style(
    client: Client, anakinra: Medicine
) -> None:
    response = client.get("/medicines/anakinra/")

    assert response.status_code == 200
    _assert_no_inline_script_or_style(response)


def test_the_sign_in_page_has_no_inline_script_or_style(client: Client, alice: User) -> None:
    # With a failed attempt, so the error markup is rendered too.
    response = client.post("/accounts/login/", {"username": "alice@example.com", "password": "x"})

    assert response.status_code == 200
    _assert_no_inline_script_or_style(response)


def test_the_signed_in_home_page_has_no_inline_script_or_style(
    alice_client: Client, anakinra: Medicine
) -> None:
    response = alice_client.get("/", follow=True)

    assert response.status_code == 200
    _assert_no_inline_script_or_style(response)


def test_the_checker_above_notices_inline_script_and_style() -> None:
    with pytest.raises(AssertionError):
        _assert_no_inline_script_or_style('<script src="/static/a.js"></script><p style="x">')
    with pytest.raises(AssertionError):
        _assert_no_inline_script_or_style('<script src="/static/a.js"></script><script>1</script>')


def test_sign_in_without_a_csrf_token_is_rejected(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/accounts/login/", {"username": "alice@example.com", "password": PASSWORD}
    )

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_sign_in_with_the_form_csrf_token_is_accepted(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = select_one(page, 'form input[type="hidden"][name="csrfmiddlewaretoken"]')

    response = client.post(
        "/accounts/login/",
        {
            "username": "alice@example.com",
            "password": PASSWORD,
            "csrfmiddlewaretoken": attr(token, "value"),
        },
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def _hx_headers(page: Markup) -> dict[str, str]:
    headers: dict[str, str] = json.loads(attr(select_one(page, "body"), "hx-headers"))
    return headers


def test_htmx_sends_the_csrf_token_from_the_body_tag(alice: User, anakinra: Medicine) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    headers = _hx_headers(client.get("/medicines/"))

    rejected = client.post("/accounts/logout/", HTTP_HX_REQUEST="true")
    accepted = client.post(
        "/accounts/logout/", HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=headers["x-csrftoken"]
    )

    assert set(headers) == {"x-csrftoken"}
    assert rejected.status_code == 403
    # Signed out, htmx is told to load the sign-in page as a whole page.
    assert accepted.status_code == 200
    assert accepted["HX-Redirect"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_the_admin_is_not_weakened_by_the_policy(carol_client: Client) -> None:
    # The admin renders its own templates; it must still get the headers.
    response = carol_client.get("/admin/")

    assert response.status_code == 200
    assert "'unsafe-inline'" not in _csp(response["Content-Security-Policy"])["script-src"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/accounts/login/", "/medicines/", "/no-such-page/"])
def test_every_response_type_denies_device_features(
    client: Client, anakinra: Medicine, path: str
) -> None:
    response = client.get(path)

    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_htmx_fragments_carry_the_same_headers(
    alice_client: Client, alice_therapy: object
) -> None:
    response = alice_client.get("/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "camera=()" in response["Permissions-Policy"]
    assert "script-src" in response["Content-Security-Policy"]


# --- the same headers on every kind of response ------------------------------------------

RESPONSE_KINDS = ["page", "htmx fragment", "static file", "404", "500", "admin"]
HSTS = "max-age=31536000; includeSubDomains; preload"


def _answer(kind: str, request: pytest.FixtureRequest) -> HttpResponseBase:
    """One response of that kind, over https as production serves them."""
    if kind == "page":
        request.getfixturevalue("anakinra")
        return Client().get("/medicines/anakinra/", secure=True)
    if kind == "htmx fragment":
        request.getfixturevalue("alice_therapy")
        client: Client = request.getfixturevalue("alice_client")
        response = client.get("/", headers={"HX-Request": "true"}, secure=True)
        assert b"<html" not in response.content
        return response
    if kind == "static file":
        return Client().get("/static/css/portal.css", secure=True)
    if kind == "404":
        return Client().get("/no-such-page/", secure=True)
    if kind == "500":
        request.getfixturevalue("alice_therapy")
        monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr("tracking.views.today.therapies_for", _broken)
        failing = Client(raise_request_exception=False)
        failing.force_login(request.getfixturevalue("alice"))
        return failing.get("/", secure=True)
    assert kind == "admin"
    admin: Client = request.getfixturevalue("carol_client")
    return admin.get("/admin/", secure=True)


def _broken(*args: object) -> None:
    raise RuntimeError("broken on purpose")


def assert_protective_headers(headers: Mapping[str, str]) -> None:
    policy = _csp(headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["Strict-Transport-Security"] == HSTS
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Referrer-Policy"] == "same-origin"
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in headers["Permissions-Policy"]


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
def test_every_kind_of_response_carries_every_protective_header(
    settings: Settings, request: pytest.FixtureRequest, kind: str
) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    # Static files from static/, as runserver serves them; production's come from
    # collectstatic (test_static_files_from_production_gunicorn_carry_them_too).
    settings.WHITENOISE_USE_FINDERS = True

    response = _answer(kind, request)

    assert response.status_code == {"404": 404, "500": 500}.get(kind, 200)
    assert_protective_headers(response.headers)


def test_static_files_from_production_gunicorn_carry_them_too(db: None, tmp_path: Path) -> None:
    env = environ(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        BEHIND_TLS_PROXY="on",
        STATIC_ROOT=str(tmp_path / "static"),
        JOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}",
    )
    # What the build step runs: hashed, compressed copies for whitenoise to serve.
    subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    https = {"X-Forwarded-Proto": "https"}
    with gunicorn(env, tmp_path / "web.log") as port:
        page = fetch(port, "/accounts/login/", headers=https)
        stylesheet = attr(select_one(page.body, 'link[href*="/portal."]'), "href")
        static = fetch(port, stylesheet, headers={**https, "Accept-Encoding": "gzip"})
        missing = fetch(port, "/no-such-page/", headers=https)

    assert (page.status, static.status, missing.status) == (200, 200, 404)
    assert re.fullmatch(r"/static/css/portal\.[0-9a-f]{12}\.css", stylesheet)
    assert static.headers["Content-Encoding"] == "gzip"
    assert "immutable" in static.headers["Cache-Control"]
    for answer in (page, static, missing):
        assert_protective_headers(dict(answer.headers))
