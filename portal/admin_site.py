"""The admin site the care team and content staff work in."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class PortalAdminSite(admin.AdminSite):
    site_header = "Kineret Portal: care team"
    site_title = "Kineret Portal admin"


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
