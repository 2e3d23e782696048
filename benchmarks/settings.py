"""The portal's settings for the benchmark server and its in-process tasks.

Everything as portal.settings reads it from the environment (run.py sets DJANGO_ENV
development, DEBUG off, the throwaway DATABASE_URL), plus what only a benchmark needs: a
bare view beside the portal's URLs, static files collected and compressed as in
production, and email that goes nowhere (the reminder sweep renders each message, then
drops it).
"""

from __future__ import annotations

import os
from pathlib import Path

from portal.settings import *  # noqa: F403
from portal.settings import BASE_DIR, STORAGES

ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
# run.py collects into a throwaway folder of its own.
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
