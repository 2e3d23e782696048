from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect


class SignedInResponsesMiddleware:
    """Keep signed-in pages out of every cache, and send expired htmx calls to sign in.

    A signed-in page can hold health data, so no browser or proxy may store it.
    When a session has expired, an htmx request would otherwise follow the redirect
    and swap the sign-in form into a fragment of the page; HX-Redirect makes htmx
    load the sign-in page as a whole page instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True, max_age=0)
        if getattr(request, "htmx", False) and response.status_code in (301, 302):
            location = response.get("Location", "")
            if urlsplit(location).path == resolve_url(settings.LOGIN_URL):
                return HttpResponseClientRedirect(location)
        return response
