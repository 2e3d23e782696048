"""The web process as the Procfile starts it: gunicorn with gunicorn.conf.py."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    """The test database, for a process that reads DATABASE_URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _get(port: int, path: str) -> http.client.HTTPResponse:
    deadline = time.monotonic() + 20
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            return conn.getresponse()
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_gunicorn_serves_healthz_without_naming_itself_and_logs_one_line_per_request(
    db: None, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": _database_url(),
        "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
    }
    # Our own interpreter and arguments, no shell.
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        response = _get(port, "/healthz?email=alice%40example.com")
        body = response.read()
        _get(port, "/labs/calendar/s3cret-token.ics").read()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)

    assert response.status == 200, output
    assert json.loads(body) == {"status": "ok"}
    assert response.getheader("Server") is None
    assert "gunicorn" not in str(response.headers).lower()
    access_lines = [line for line in output.splitlines() if line.startswith("{")]
    health, calendar = [json.loads(line) for line in access_lines]
    assert health["method"] == "GET"
    assert health["path"] == "/healthz"  # the query string is not logged
    assert health["status"] == 200
    assert calendar["path"] == "/labs/calendar/…"  # nor a feed's secret token
    assert "alice" not in output
    assert not any("s3cret" in line for line in access_lines)
