"""What makes the portal an installable web app: its service worker and offline page."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# What the offline page needs; other static files are kept as they are fetched.
OFFLINE_ASSETS = ["css/portal.css", "img/favicon.svg", "img/icon-192.png"]


@require_GET
# The browser checks for a new worker on every visit; it must never run a stale one.
@cache_control(no_cache=True, max_age=0)
def service_worker(request: HttpRequest) -> HttpResponse:
    assets = [static(path) for path in OFFLINE_ASSETS]
    # Hashed names change with their content, so a new set of files is a new cache.
    version = hashlib.sha256("\n".join(assets).encode()).hexdigest()[:12]
    body = render_to_string(
        "portal/sw.js",
        {"assets": assets, "version": version, "static_prefix": settings.STATIC_URL},
    )
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "offline.html")
