"""No secret in a link (calendar feed, invitation, password reset, email confirmation)
reaches a log line, through any logger or handler the portal configures.

gunicorn's own access and error logs are checked on a real server in test_gunicorn.py.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from portal.log_filters import RedactSecretsFilter, redact
from portal.models import User
from tests.portal.test_gunicorn import SECRET_LINKS
from tracking.models import PatientPreferences, Therapy


def _configured_handlers() -> dict[str, list[logging.Handler]]:
    """Every handler that writes, on every logger, by logger name, leaving out pytest's own
    (a library's NullHandler writes nothing)."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    found: dict[str, list[logging.Handler]] = {}
    for logger in loggers:
        if not isinstance(logger, logging.Logger):
            continue  # a placeholder for a logger nobody has asked for yet
        handlers = [
            h
            for h in logger.handlers
            if not type(h).__module__.startswith("_pytest") and type(h) is not logging.NullHandler
        ]
        if handlers:
            found[logger.name] = handlers
    return found


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What every configured stream handler writes, whichever logger it serves."""
    output = io.StringIO()
    swapped: list[tuple[logging.StreamHandler[Any], Any]] = []
    for handlers in _configured_handlers().values():
        for handler in handlers:
            if isinstance(handler, logging.StreamHandler):
                swapped.append((handler, handler.setStream(output)))
    yield output
    for handler, stream in swapped:
        if stream is not None:
            handler.setStream(stream)


def test_every_handler_of_every_logger_masks_secrets() -> None:
    # Django adds handlers of its own (the console while DEBUG is on, mail to ADMINS,
    # runserver's); any handler without the filter would print a token as it came.
    unfiltered = {
        name: [type(handler).__name__ for handler in handlers]
        for name, handlers in _configured_handlers().items()
        if any(
            not any(isinstance(f, RedactSecretsFilter) for f in handler.filters)
            for handler in handlers
        )
    }

    assert unfiltered == {}
    assert "huey" in _configured_handlers()  # the job worker keeps this one, adds none


@pytest.mark.parametrize("debug", [False, True], ids=["production", "development"])
@pytest.mark.parametrize("link", SECRET_LINKS)
def test_a_request_to_a_secret_link_is_logged_masked(
    db: None,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    log_output: io.StringIO,
    debug: bool,
    link: str,
) -> None:
    settings.DEBUG = debug
    # A POST without a CSRF token is always refused with a warning naming the path.
    response = Client(enforce_csrf_checks=True).post(link)
    Client().get(link)

    assert response.status_code in {403, 404}
    assert "s3cret" not in log_output.getvalue()
    assert "[hidden]" in log_output.getvalue()
    assert caplog.records
    assert not any("s3cret" in record.getMessage() for record in caplog.records)


def test_an_error_on_a_calendar_feed_is_logged_without_its_token(
    alice: User,
    alice_therapy: Therapy,
    monkeypatch: pytest.MonkeyPatch,
    log_output: io.StringIO,
) -> None:
    token = PatientPreferences.objects.get_or_create(account=alice)[0].calendar_token

    def broken(*args: object) -> None:
        raise RuntimeError("the feed broke")

    monkeypatch.setattr("tracking.views.labs.therapies_for", broken)
    client = Client(raise_request_exception=False)
    response = client.get(f"/labs/calendar/{token}.ics")

    assert response.status_code == 500
    output = log_output.getvalue()
    assert "Internal Server Error: /labs/calendar/[hidden]" in output
    assert "RuntimeError: the feed broke" in output  # the traceback is kept
    assert token not in output


@pytest.mark.parametrize(
    "logger_name", ["huey.consumer", "tracking.reminders", "django.server", "py.warnings"]
)
def test_lines_of_the_job_worker_and_others_are_masked_too(
    log_output: io.StringIO, logger_name: str
) -> None:
    logging.getLogger(logger_name).warning("Could not fetch %s", "/invitations/s3cret-token/")

    assert "Could not fetch /invitations/[hidden]/" in log_output.getvalue()
    assert "s3cret" not in log_output.getvalue()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Not Found: /labs/calendar/abc_DEF-123.ics", "Not Found: /labs/calendar/[hidden]"),
        ("GET /labs/calendar/a.b.ics?x=1 HTTP/1.1", "GET /labs/calendar/[hidden]?x=1 HTTP/1.1"),
        ('{"path": "/invitations/ab:cd:ef/"}', '{"path": "/invitations/[hidden]/"}'),
        ("<WSGIRequest: GET '/invitations/tok'>", "<WSGIRequest: GET '/invitations/[hidden]'>"),
        ("/accounts/reset/MQ/c4x-1234abcd/", "/accounts/reset/[hidden]"),
        ("/accounts/reset/MQ/set-password/ 200", "/accounts/reset/[hidden] 200"),
        ("/account/email/confirm/Ab.cd:ef/", "/account/email/confirm/[hidden]/"),
    ],
)
def test_redact_masks_the_secret_part_of_each_kind_of_link(text: str, masked: str) -> None:
    assert redact(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "GET /labs/ 200",
        "/p/4f9c1c3e-0000-4000-8000-000000000000/labs/results/1/",
        "/accounts/login/?next=/doses/",
        "/account/calendar-link/",
        "/medicines/anakinra/",
    ],
)
def test_redact_leaves_other_paths_alone(text: str) -> None:
    assert redact(text) == text


class _Request:
    def __str__(self) -> str:
        return "<Request GET '/account/email/confirm/s3cret/'>"


def _record(
    msg: str, args: tuple[object, ...] | dict[str, object], *, error: bool = False
) -> logging.LogRecord:
    exc_info = None
    if error:
        try:
            raise ValueError("no invitation /invitations/s3cret-token/")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("x", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_the_filter_masks_arguments_of_any_shape_and_the_traceback() -> None:
    records = [
        _record("Not Found: %s", ("/labs/calendar/s3cret.ics",)),
        _record("%(path)s answered %(status)d", {"path": "/invitations/s3cret/", "status": 404}),
        _record("Request %s failed", (_Request(),)),
        _record("Failed", (), error=True),
    ]
    formatter = logging.Formatter()

    for record in records:
        assert RedactSecretsFilter().filter(record) is True
    lines = [formatter.format(record) for record in records]

    assert lines[0] == "Not Found: /labs/calendar/[hidden]"
    assert lines[1] == "/invitations/[hidden]/ answered 404"
    assert lines[2] == "Request <Request GET '/account/email/confirm/[hidden]/'> failed"
    assert "ValueError: no invitation /invitations/[hidden]/" in lines[3]
    assert not any("s3cret" in line for line in lines)


def test_a_message_that_does_not_match_its_arguments_does_not_raise() -> None:
    record = _record("%s and %s", ("/labs/calendar/s3cret.ics",))

    assert RedactSecretsFilter().filter(record) is True
    assert record.getMessage() == "%s and %s"
