"""The web process as the Procfile starts it: gunicorn with gunicorn.conf.py.

The helpers here start real processes against the test run's own database; the other
modules that need a running server (test_security, test_two_instances) use them too.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
# What each kind of secret link looks like, with a token no log line may ever show.
SECRET_LINKS = [
    "/labs/calendar/s3cret-calendar-token.ics",
    "/invitations/s3cret-invitation-token/",
    "/accounts/reset/MQ/s3cret-reset-token/",
    "/account/email/confirm/s3cret-email-token/",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    """The test database, for a process that reads DATABASE_URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def environ(**overrides: str) -> dict[str, str]:
    """This process's environment on the test database, with the overrides."""
    return {**os.environ, "DATABASE_URL": database_url(), **overrides}


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def fetch(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: str | None = None,
) -> Answer:
    """One request, retried until the server listens. Its worker may take a while to
    boot on a busy machine; the request waits for it."""
    deadline = time.monotonic() + 20
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read())
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            conn.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def start_gunicorn(env: Mapping[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A web instance with one worker process, writing its output to log, and its port."""
    port = free_port()
    with log.open("wb") as output:
        # Our own interpreter and arguments, no shell.
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi"],
            cwd=ROOT,
            env={**env, "PORT": str(port), "WEB_CONCURRENCY": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return server, port


@contextmanager
def gunicorn(env: Mapping[str, str], log: Path) -> Iterator[int]:
    """A web instance, up and answering; yields its port."""
    server, port = start_gunicorn(env, log)
    try:
        fetch(port, "/healthz")
        yield port
    finally:
        stop(server)


def access_lines(log: Path) -> list[dict[str, object]]:
    lines = log.read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _send_raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(request)
        return raw.recv(4096)


def test_gunicorn_serves_healthz_without_naming_itself_and_logs_one_line_per_request(
    db: None, tmp_path: Path
) -> None:
    log = tmp_path / "web.log"
    with gunicorn(environ(JOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}"), log) as port:
        response = fetch(port, "/healthz?email=alice%40example.com")

    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok"}
    assert response.headers["Server"] is None
    assert "gunicorn" not in str(response.headers).lower()
    health = access_lines(log)[-1]
    assert health["method"] == "GET"
    assert health["path"] == "/healthz"  # the query string is not logged
    assert health["status"] == 200
    assert health["request_id"] == response.headers["X-Request-ID"]
    assert "alice" not in log.read_text()


def test_no_secret_link_reaches_the_logs(db: None, tmp_path: Path) -> None:
    # In development (DEBUG on): Django's own handlers print there too.
    log = tmp_path / "web.log"
    with gunicorn(environ(JOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}"), log) as port:
        answers = {path: fetch(port, path) for path in SECRET_LINKS}
        posted = fetch(port, SECRET_LINKS[1], method="POST")  # no CSRF token: a warning
        bad_line = _send_raw(port, b"GET /labs/calendar/s3cret-raw.ics\r\n\r\n")
    output = log.read_text()

    assert all(answer.status < 500 for answer in answers.values())
    assert posted.status == 403
    assert bad_line.startswith(b"HTTP/1.1 400")
    assert "s3cret" not in output
    # The lines were written, masked: the test would notice if nothing were logged.
    assert "Not Found: /labs/calendar/[hidden]" in output
    assert "Forbidden (CSRF cookie not set.): /invitations/[hidden]/" in output
    assert "Invalid request from ip=127.0.0.1: Invalid HTTP request line" in output
    paths = {line["path"] for line in access_lines(log)}
    assert {
        "/labs/calendar/[hidden]",
        "/invitations/[hidden]/",
        "/accounts/reset/[hidden]",
        "/account/email/confirm/[hidden]/",
    } <= paths


def test_every_request_is_logged_with_the_id_of_its_answer(db: None, tmp_path: Path) -> None:
    log = tmp_path / "web.log"
    with gunicorn(environ(JOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}"), log) as port:
        # An id a client makes up is not the one logged: the portal gives its own.
        answers = [fetch(port, path, headers={"X-Request-ID": "made-up"}) for path in ("/", "/x")]

    ids = [answer.headers["X-Request-ID"] for answer in answers]
    assert len(set(ids)) == 2
    assert "made-up" not in ids
    logged = {line["path"]: line["request_id"] for line in access_lines(log)}
    assert [logged["/"], logged["/x"]] == ids
