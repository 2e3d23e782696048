from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import pwa, two_factor, views
from .forms import QueuedPasswordResetForm

urlpatterns = [
    path("accounts/login/", two_factor.SignInView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/two-factor/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", two_factor.two_factor_setup, name="two_factor_setup"),
    path(
        "accounts/two-factor/backup-codes/",
        two_factor.two_factor_backup_codes,
        name="two_factor_backup_codes",
    ),
    path(
        "accounts/two-factor/turn-off/", two_factor.two_factor_disable, name="two_factor_disable"
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # At the root, so the service worker's scope is the whole site.
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
    path("medicines/", include("monographs.urls")),
    path("", include("tracking.urls")),
]

handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
