"""The readiness check: the database and the job storage both answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import OperationalError, connections
from django.test import Client
from huey.contrib.djhuey import HUEY
from huey.storage import PostgresStorage, SqliteStorage


@pytest.fixture
def real_job_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real SQLite job storage, not the tests' in-memory one."""
    monkeypatch.setattr(HUEY, "storage", SqliteStorage(HUEY.name, filename=tmp_path / "jobs.db"))


@pytest.mark.usefixtures("real_job_storage")
def test_ready_when_the_database_and_the_job_storage_answer(client: Client, db: None) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"ready\n"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "unreachable",
    [
        # A SQLite file in a folder that does not exist, and a PostgreSQL server that
        # is not there: nothing listens on port 1.
        lambda: SqliteStorage(HUEY.name, filename="/nonexistent/jobs.db", create_tables=False),
        lambda: PostgresStorage(
            HUEY.name, dsn="postgresql://127.0.0.1:1/jobs", create_tables=False, connect_timeout=2
        ),
    ],
    ids=["sqlite", "postgresql"],
)
def test_not_ready_when_the_job_storage_does_not_answer(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch, unreachable: object
) -> None:
    assert callable(unreachable)
    monkeypatch.setattr(HUEY, "storage", unreachable())

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"job storage unavailable\n"


@pytest.mark.usefixtures("real_job_storage")
def test_not_ready_when_the_database_does_not_answer(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    # Only around the request: the test database's own teardown needs a working cursor.
    with monkeypatch.context() as patch:
        patch.setattr(type(connections["default"]), "cursor", refuse)
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content == b"database unavailable\n"


def test_readyz_needs_no_sign_in_and_is_get_only(client: Client, db: None) -> None:
    assert client.get("/readyz").status_code == 200
    assert client.post("/readyz").status_code == 405
    assert client.get("/readyz/").status_code == 404


def test_healthz_stays_liveness_when_the_job_storage_is_down(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = SqliteStorage(HUEY.name, filename="/nonexistent/jobs.db", create_tables=False)
    monkeypatch.setattr(HUEY, "storage", down)

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
