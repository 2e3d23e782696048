from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        # The job worker finds its tasks by importing them (huey looks for tasks.py).
        from . import jobs  # noqa: F401
        from .idle import start_idle_clock
        from .roles import apply_roles

        # Signing in starts the idle clock: the first page after it then writes nothing.
        user_logged_in.connect(start_idle_clock, dispatch_uid="portal.idle.start_idle_clock")

        assert self.apps is not None  # the registry sets it before calling ready()
        # The last of the project's apps, so every permission exists by then.
        post_migrate.connect(
            apply_roles, sender=self.apps.get_app_config("tracking"), dispatch_uid="roles"
        )
