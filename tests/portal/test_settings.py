"""Settings come from the environment through strict helpers, and production is deploy-clean."""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from portal.settings import env_bool, env_int, env_list

BASE_DIR = Path(settings.BASE_DIR)
SETTINGS_FILE = BASE_DIR / "portal" / "settings.py"

# Everything the settings module reads that could leak in from the shell running the tests.
SETTINGS_VARIABLES = [
    "DJANGO_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "BEHIND_TLS_PROXY",
    "EMAIL_BACKEND",
    "REDIS_URL",
    "JOBS_URL",
    "IDLE_SIGN_OUT_MINUTES",
    "STAFF_IDLE_SIGN_OUT_MINUTES",
    "STATIC_ROOT",
]


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "tru"])
def test_env_bool_rejects_a_value_it_cannot_read(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("PORTAL_TEST_FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_FLAG"):
        env_bool("PORTAL_TEST_FLAG", default=False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), (" yes ", True), ("on", True)]
    + [("0", False), ("False", False), ("no", False), ("off", False)],
)
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("PORTAL_TEST_FLAG", raw)

    assert env_bool("PORTAL_TEST_FLAG", default=not expected) is expected


def test_env_bool_unset_or_empty_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_TEST_FLAG", raising=False)
    assert env_bool("PORTAL_TEST_FLAG", default=True) is True

    monkeypatch.setenv("PORTAL_TEST_FLAG", "")
    assert env_bool("PORTAL_TEST_FLAG", default=False) is False


@pytest.mark.parametrize("raw", ["twenty", "20s", "1.5", "1e3"])
def test_env_int_rejects_a_value_it_cannot_read(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("PORTAL_TEST_NUMBER", raw)

    with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_NUMBER"):
        env_int("PORTAL_TEST_NUMBER", default=5)


def test_env_int_reads_a_whole_number_or_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_TEST_NUMBER", "31536000")
    assert env_int("PORTAL_TEST_NUMBER", default=5) == 31536000

    monkeypatch.setenv("PORTAL_TEST_NUMBER", "")
    assert env_int("PORTAL_TEST_NUMBER", default=5) == 5


def test_env_list_splits_on_commas_and_trims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_TEST_LIST", " portal.example.org, www.example.org ,")

    assert env_list("PORTAL_TEST_LIST", ["fallback"]) == ["portal.example.org", "www.example.org"]


def test_env_list_unset_or_blank_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_TEST_LIST", raising=False)
    assert env_list("PORTAL_TEST_LIST", ["fallback"]) == ["fallback"]

    monkeypatch.setenv("PORTAL_TEST_LIST", "   ")
    assert env_list("PORTAL_TEST_LIST", ["fallback"]) == ["fallback"]


@pytest.mark.parametrize(
    "raw", ["portal.example.org www.example.org", "a.example.org;b.example.org"]
)
def test_env_list_rejects_items_not_separated_by_commas(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    # "a b" would otherwise become one host name that never matches, and every
    # request would fail with 400 instead of the deploy failing at start.
    monkeypatch.setenv("PORTAL_TEST_LIST", raw)

    with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_LIST"):
        env_list("PORTAL_TEST_LIST", [])


def _production_environ(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    environ = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    environ.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    for name, value in overrides.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return environ


def _manage(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "shared",
    [
        {},
        {
            "REDIS_URL": "redis://cache.example.org:6379/0",
            "JOBS_URL": "redis://cache.example.org:6379/1",
        },
    ],
    ids=["database only", "with redis"],
)
def test_check_deploy_is_clean_with_production_settings(
    tmp_path: Path, shared: dict[str, str]
) -> None:
    result = _manage(
        _production_environ(tmp_path, **shared), "check", "--deploy", "--fail-level", "WARNING"
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_a_weak_secret_key(tmp_path: Path) -> None:
    # Proves the check above can fail: Django's own security checks are running.
    result = _manage(
        _production_environ(tmp_path, SECRET_KEY="too-short"),
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )

    assert result.returncode != 0
    assert "security.W009" in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_a_required_variable(
    tmp_path: Path, missing: str
) -> None:
    result = _manage(_production_environ(tmp_path, **{missing: None}), "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set in production" in result.stderr


def _load_settings(monkeypatch: pytest.MonkeyPatch, **environ: str | None) -> dict[str, Any]:
    """Run portal/settings.py afresh under this environment, leaving the loaded one alone."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_production_without_secret_key_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set in production"):
        _load_settings(
            monkeypatch,
            DJANGO_ENV="production",
            ALLOWED_HOSTS="portal.example.org",
            DATABASE_URL="sqlite:////tmp/x.sqlite3",
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must name the site's hosts in production, not *"),
        ({"ALLOWED_HOSTS": "portal.example.org,*"}, "not \\*"),
    ],
    ids=["debug on", "any host", "any host among others"],
)
def test_production_refuses_debug_and_any_host_at_start_up(
    monkeypatch: pytest.MonkeyPatch, overrides: dict[str, str], message: str
) -> None:
    environ = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": "sqlite:////tmp/x.sqlite3",
        **overrides,
    }
    with pytest.raises(ImproperlyConfigured, match=message):
        _load_settings(monkeypatch, **environ)


def test_an_unknown_environment_name_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ENV"):
        _load_settings(monkeypatch, DJANGO_ENV="prod")


def test_production_settings_are_secure(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = _load_settings(
        monkeypatch,
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL="postgres://portal@db.example.org:5432/portal",
    )

    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["portal.example.org"]
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SECURE_HSTS_SECONDS"] >= 31536000
    assert loaded["SECURE_HSTS_PRELOAD"] is True
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_a_fresh_checkout_runs_on_sqlite_with_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = _load_settings(monkeypatch)

    assert loaded["DEBUG"] is True
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]


@pytest.mark.django_db
def test_the_database_connection_is_configured_for_concurrent_use() -> None:
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            # CI also runs the suite on PostgreSQL via DATABASE_URL.
            assert connection.vendor == "postgresql"
            cursor.execute("SHOW TIMEZONE")
            assert cursor.fetchone()[0] == "UTC"
            return
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == settings.DATABASES["default"]["OPTIONS"]["timeout"] * 1000


def test_without_redis_the_cache_is_a_database_table_and_sessions_are_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = _load_settings(monkeypatch)

    assert loaded["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "portal_cache",  # made by `createcachetable` in the release step
    }
    assert "SESSION_ENGINE" not in loaded  # Django's default: the database


def test_with_redis_the_cache_is_redis_and_sessions_are_read_through_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = _load_settings(monkeypatch, REDIS_URL="redis://cache.example.org:6379/2")

    assert loaded["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["CACHES"]["default"]["LOCATION"] == "redis://cache.example.org:6379/2"
    # Rows still: a Redis restart signs nobody out.
    assert loaded["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"DATABASE_URL": "postgres://portal@db.example.org:5432/portal"},
            {
                "huey_class": "huey.PostgresHuey",
                "dsn": "postgres://portal@db.example.org:5432/portal",
            },
        ),
        (
            {"JOBS_URL": "redis://cache.example.org:6379/1"},
            {"huey_class": "huey.RedisHuey", "url": "redis://cache.example.org:6379/1"},
        ),
        (
            {"JOBS_URL": "sqlite:////var/lib/portal/jobs.sqlite3"},
            {"huey_class": "huey.SqliteHuey", "filename": "/var/lib/portal/jobs.sqlite3"},
        ),
    ],
    ids=["postgres, the data's own database", "redis", "sqlite"],
)
def test_jobs_url_picks_where_the_job_queue_lives(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: dict[str, str]
) -> None:
    huey = _load_settings(monkeypatch, **environ)["HUEY"]

    assert {key: huey[key] for key in expected} == expected
    assert huey["immediate"] is False


def test_an_unknown_jobs_url_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="JOBS_URL must be"):
        _load_settings(monkeypatch, JOBS_URL="amqp://queue.example.org/")


def test_idle_sign_out_times_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = _load_settings(monkeypatch)
    chosen = _load_settings(
        monkeypatch, IDLE_SIGN_OUT_MINUTES="20", STAFF_IDLE_SIGN_OUT_MINUTES="5"
    )

    assert (defaults["IDLE_SIGN_OUT_MINUTES"], defaults["STAFF_IDLE_SIGN_OUT_MINUTES"]) == (30, 15)
    assert (chosen["IDLE_SIGN_OUT_MINUTES"], chosen["STAFF_IDLE_SIGN_OUT_MINUTES"]) == (20, 5)
