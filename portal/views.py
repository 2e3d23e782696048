from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from huey.contrib.djhuey import HUEY

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready for traffic: the database and the job storage both answer. Says which one
    does not, in plain words and nothing more."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return _not_ready("database unavailable")
    try:
        HUEY.storage.queue_size()
    except Exception:
        return _not_ready("job storage unavailable")
    return HttpResponse("ready\n", content_type="text/plain; charset=utf-8")


def _not_ready(reason: str) -> HttpResponse:
    logger.warning("Not ready: %s", reason, exc_info=True)
    return HttpResponse(f"{reason}\n", content_type="text/plain; charset=utf-8", status=503)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", {"request_id": getattr(request, "id", "")}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors beyond the request id: the error may have come from them.
    return HttpResponse(
        loader.render_to_string("500.html", {"request_id": getattr(request, "id", "")}),
        status=500,
    )
