"""Every request has an id: on its log lines, in the X-Request-ID header and on the
error page, so the reference a person reads out finds the log line. gunicorn's access
line carries it too (test_gunicorn.py)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from log_request_id.filters import RequestIDFilter

from portal.models import User
from tests.pages import select_one, words
from tracking.models import Therapy


def _console() -> logging.Handler:
    """The handler that writes the portal's log lines, in the format of settings.LOGGING."""
    (handler,) = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RequestIDFilter) for f in handler.filters)
    ]
    return handler


def _logged(caplog: pytest.LogCaptureFixture, message: str) -> logging.LogRecord:
    (record,) = [record for record in caplog.records if record.getMessage() == message]
    return record


@pytest.fixture
def failing_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's page fails with an error that names health data, as a bug might."""

    def broken(*args: object) -> None:
        raise RuntimeError("Alice's therapy could not be read")

    monkeypatch.setattr("tracking.views.today.therapies_for", broken)


@pytest.mark.usefixtures("failing_dashboard")
def test_an_error_page_shows_the_request_id_of_its_log_line(
    alice: User, alice_therapy: Therapy, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(alice)

    response = client.get("/")

    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    assert select_one(response, "main code").get_text() == request_id
    record = _logged(caplog, "Internal Server Error: /")
    assert record.levelname == "ERROR"
    assert record.exc_info is not None
    line = _console().format(record)
    assert f"ERROR django.request [{request_id}] Internal Server Error: /" in line
    assert "RuntimeError: Alice's therapy could not be read" in line


@pytest.mark.usefixtures("failing_dashboard")
def test_the_error_page_holds_no_traceback_and_no_health_data(
    alice: User, alice_therapy: Therapy
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(alice)

    response = client.get("/")

    text = words(response)
    assert "Something went wrong" in text
    assert "Nothing you typed was saved" in text
    for leak in ("Traceback", "RuntimeError", "therapy", "Alice", "anakinra", "today.py"):
        assert leak not in response.content.decode()


def test_a_missing_page_shows_the_request_id_of_its_log_line(
    client: Client, db: None, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    assert select_one(response, "main code").get_text() == request_id
    assert "Page not found" in words(response)
    record = _logged(caplog, "Not Found: /no-such-page/")
    assert f"WARNING django.request [{request_id}] Not Found" in _console().format(record)


def test_each_request_gets_its_own_id_whatever_the_client_sends(client: Client, db: None) -> None:
    # A made-up id would let anyone write misleading references into the logs.
    first = client.get("/healthz", headers={"X-Request-ID": "made-up"})
    second = client.get("/healthz", headers={"X-Request-ID": "made-up"})

    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert "made-up" not in (first["X-Request-ID"], second["X-Request-ID"])


def test_a_line_logged_outside_any_request_says_so(caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger("tracking.jobs").info("Sent %d reminder(s).", 0)

    line = _console().format(_logged(caplog, "Sent 0 reminder(s)."))
    assert "INFO tracking.jobs [none] Sent 0 reminder(s)." in line
