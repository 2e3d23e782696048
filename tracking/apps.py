from __future__ import annotations

from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "Patient tracking"

    def ready(self) -> None:
        # The job worker finds its tasks by importing them: huey's own discovery looks
        # only for modules named tasks.py.
        from . import jobs  # noqa: F401
