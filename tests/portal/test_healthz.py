"""The health check an operator's host polls."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections
from django.test import Client


def test_healthz_answers_ok_when_the_database_answers(client: Client, db: None) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_needs_no_sign_in_and_no_trailing_slash(client: Client, db: None) -> None:
    response = client.get("/healthz/")

    assert response.status_code == 404


def test_healthz_is_get_only(client: Client, db: None) -> None:
    response = client.post("/healthz")

    assert response.status_code == 405


def test_healthz_reports_an_unreachable_database(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    # Patched on the wrapper class and only around the request: the test database's
    # own teardown needs a working cursor.
    with monkeypatch.context() as patch:
        patch.setattr(type(connections["default"]), "cursor", refuse)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "database unavailable"}
