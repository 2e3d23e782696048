"""Settings for Kineret Portal, read from the environment.

Defaults run a fresh checkout on SQLite with DEBUG on. Production sets
DJANGO_ENV=production and must supply SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL;
every variable is listed in README.md.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    for item in items:
        if any(char.isspace() or char == ";" for char in item):
            raise ImproperlyConfigured(f"{name} must separate items with commas, not {raw!r}")
    return items


def env_secret(name: str, *, required: bool, dev_default: str) -> str:
    value = os.environ.get(name, "")
    if value:
        return value
    if required:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return dev_default


DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env_secret(
    "SECRET_KEY",
    required=PRODUCTION,
    dev_default="django-insecure-development-only-key-never-used-in-production",
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")
# A warning is not enough for these two: each one alone exposes patient data.
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production: unset DEBUG")
if PRODUCTION and "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's hosts in production, not *")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal",
    "monographs",
    "tracking",
    "portal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "template_partials",
    "simple_history",
    "csp",
    "axes",
    "huey.contrib.djhuey",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "log_request_id.middleware.RequestIDMiddleware",
    # Before whitenoise, which answers static files itself: those need these headers too.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tracking.access.PatientMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "portal.middleware.SignedInResponsesMiddleware",
    "portal.idle.IdleSignOutMiddleware",
    "portal.two_factor.TwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

FORM_RENDERER = "portal.forms.PortalFormRenderer"

# SQLite by default: WAL lets readers work while one writer writes, the busy
# timeout waits instead of failing, and IMMEDIATE takes the write lock at BEGIN so
# two writers never deadlock upgrading a read lock.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": env_int("SQLITE_TIMEOUT_SECONDS", 20),
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if PRODUCTION and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must be set in production")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "db.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,
            # A file, not memory, so threads in a test share it the way requests do;
            # one per process, so two test runs in one checkout never collide.
            "TEST": {"NAME": BASE_DIR / f"test-db-{os.getpid()}.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every web instance and worker: Redis when REDIS_URL is set, otherwise a
# table in the database (`createcachetable`). Sessions are rows in the database, read
# through the cache when there is Redis.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kineret",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }

# Background jobs (huey). One variable picks the storage, JOBS_URL: postgres://...,
# redis://... or sqlite:///path. Unset, jobs live where the data does: in the PostgreSQL database
# itself, or in a SQLite file next to the SQLite database (so `make run` needs no
# other service).
_jobs_url = env_str("JOBS_URL", "")
JOBS_URL = _jobs_url or DATABASE_URL
_jobs_scheme = JOBS_URL.partition("://")[0] if JOBS_URL else "sqlite"
if _jobs_scheme in {"postgres", "postgresql"}:
    HUEY: dict[str, Any] = {
        "huey_class": "huey.PostgresHuey",
        "dsn": JOBS_URL,
        # The tables come from `create_huey_tables` at release, not at import: every
        # process (collectstatic at build time too) would otherwise connect at start.
        "create_tables": False,
        "connect_timeout": 5,
    }
elif _jobs_scheme == "sqlite":
    _jobs_file = (
        _jobs_url.removeprefix("sqlite:///")  # sqlite:////absolute or sqlite:///relative
        if _jobs_url
        else f"{DATABASES['default']['NAME']}-jobs"
    )
    HUEY = {"huey_class": "huey.SqliteHuey", "filename": str(_jobs_file)}
elif _jobs_scheme in {"redis", "rediss"}:
    HUEY = {"huey_class": "huey.RedisHuey", "url": JOBS_URL}
else:
    raise ImproperlyConfigured(
        f"JOBS_URL must be postgres://..., redis://... or sqlite:///..., not {_jobs_scheme}://..."
    )
HUEY["name"] = "kineret-portal"
# Never inside the request, whatever DEBUG says (huey's Django default follows it):
# `make run` starts a consumer, and the tests switch huey to immediate mode themselves.
HUEY["immediate"] = False
HUEY["consumer"] = {"workers": env_int("JOBS_WORKERS", 2), "worker_type": "thread"}

AUTH_USER_MODEL = "portal.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock sign-in for an email address from one address after repeated wrong passwords.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# Sign-in ignores the email's case, so the failure count must too.
AXES_USERNAME_CALLABLE = "portal.lockout.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# No email addresses in the log files; each sign-in and sign-out is recorded in the
# database (axes' access log, read in admin), where only staff can see it.
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tracking:dashboard"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
# Signed out after this long without a request, with a warning a minute before.
IDLE_SIGN_OUT_MINUTES = env_int("IDLE_SIGN_OUT_MINUTES", 30)
STAFF_IDLE_SIGN_OUT_MINUTES = env_int("STAFF_IDLE_SIGN_OUT_MINUTES", 15)
# Staff must use a second factor before anything else; the app shows this name.
OTP_TOTP_ISSUER = "Kineret Portal"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kineret Portal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Web Push (VAPID). Without keys the portal sends no push messages (email still goes):
# `manage.py generate_vapid_keys` prints a pair for the environment.
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:care-team@localhost")
PUSH_TIMEOUT_SECONDS = env_int("PUSH_TIMEOUT_SECONDS", 10)

# Security. check --deploy is clean when DJANGO_ENV=production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The portal uses no device features: a page (or anything injected into one) gets none.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
# preload only marks consent: listing still needs a deliberate submission for the domain.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No inline script or style anywhere: behaviour lives in static/js, htmx is
# configured from a <meta> tag, and its indicator styles are off.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# Every request gets an id: it is on each log line, in the X-Request-ID header (and so
# in gunicorn's access line) and on the error page, so a person's report finds the log.
REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"
LOG_REQUESTS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "log_request_id.filters.RequestIDFilter"},
        "secrets": {"()": "portal.log_filters.RedactSecretsFilter"},
    },
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} [{request_id}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Request lines carry URLs only; the URL map holds no health data (ids are UUIDs).
    "loggers": {
        "django.db.backends": {"level": "INFO", "handlers": [], "propagate": True},
        # Given a handler here, the job worker adds none of its own (no doubled lines).
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Django's own handlers (its console while DEBUG is on, mail to ADMINS,
        # runserver's) lack the filters above: their lines go to the root's instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "py.warnings": {"handlers": [], "propagate": True},
    },
}
