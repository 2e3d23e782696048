"""The admin site the care team and content staff work in."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.signals import user_logged_in
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, resolve, reverse

# Like Django's own AdminSite, this module is imported while the app registry loads, so
# anything that needs models (the two-factor module, django-otp's admin) is imported
# where it is used.


class PortalAdminSite(admin.AdminSite):
    site_header = "Kineret Portal: care team"
    site_title = "Kineret Portal admin"

    def has_permission(self, request: HttpRequest) -> bool:
        # TwoFactorMiddleware already stops an unverified session; this holds without it.
        is_verified = getattr(request.user, "is_verified", None)
        return super().has_permission(request) and is_verified is not None and is_verified()

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """No sign-in page of its own: the portal's is the only one."""
        from django.contrib.auth.views import redirect_to_login

        from .two_factor import refuse_in_admin

        if request.user.is_authenticated:
            return refuse_in_admin(request)
        if request.method == "POST":
            # Credentials posted here still go through the portal's sign-in: its form,
            # its lockout count.
            return resolve(reverse("login")).func(request)
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        return redirect_to_login(next_url)

    def get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super().get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern) and pattern.name == "view_on_site":
                pattern.callback = self.admin_view(self.view_on_site)
        return urls

    def view_on_site(
        self, request: HttpRequest, content_type_id: int, object_id: str
    ) -> HttpResponse:
        """Django's shortcut answers for any record; this one only for a record the staff
        member's own admin shows, so another clinic's patient is not found."""
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.contenttypes.views import shortcut

        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist:
            raise Http404 from None
        model_admin = self._registry.get(model) if model is not None else None
        if model_admin is None or model_admin.get_object(request, object_id) is None:
            raise Http404
        return shortcut(request, content_type_id, object_id)


class SuperusersOnly(admin.ModelAdmin):
    """Put before a model admin: only a superuser sees or changes these rows, whatever
    permissions a group is given."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"

    def ready(self) -> None:
        super().ready()  # registers every app's admin
        from .two_factor import remember_whether_in_use

        user_logged_in.connect(remember_whether_in_use, dispatch_uid="two_factor_in_use")
        # django-otp's own admin for authenticator apps and backup codes: where a
        # superuser removes a lost phone so its owner sets up again.
        assert self.apps is not None  # the registry sets it before calling ready()
        for label in ("otp_totp.TOTPDevice", "otp_static.StaticDevice"):
            model = self.apps.get_model(label)
            if admin.site.is_registered(model):
                model_admin = type(admin.site.get_model_admin(model))
                admin.site.unregister(model)
                admin.site.register(
                    model,
                    type(
                        model_admin.__name__,
                        (SuperusersOnly, model_admin),
                        {"__module__": __name__},
                    ),
                )
