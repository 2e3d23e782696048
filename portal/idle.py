"""Sign out after a while without activity, so a phone or laptop left open shows nothing.

Each request moves a deadline in the session forward, unless the deadline was moved less
than a minute ago: most requests then leave the session row alone. A request after the
deadline signs the account out and goes to the sign-in page. Pages read the deadline
(`request.session.idle_deadline`, in seconds since 1970) so static/js/idle.js can warn a
minute before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .http import PortalRequest
from .models import User

DEADLINE_KEY = "idle_deadline"
# A deadline moved less than this long ago is not written again.
WRITE_EVERY_SECONDS = 60

View = TypeVar("View", bound=Callable[..., HttpResponseBase])
_READ_ONLY_ON_GET: set[Callable[..., HttpResponseBase]] = set()


def reads_idle_time(view: View) -> View:
    """A GET of this view may tell the time left; it does not count as activity."""
    _READ_ONLY_ON_GET.add(view)
    return view


def idle_minutes(user: User) -> int:
    limit: int = (
        settings.STAFF_IDLE_SIGN_OUT_MINUTES if user.is_staff else settings.IDLE_SIGN_OUT_MINUTES
    )
    return limit


def _now() -> int:
    return int(timezone.now().timestamp())


def seconds_left(request: HttpRequest, user: User) -> int:
    deadline = request.session.get(DEADLINE_KEY)
    if deadline is None:
        return idle_minutes(user) * 60
    return max(0, int(deadline) - _now())


def keep_signed_in(request: HttpRequest, user: User) -> int:
    """Start the idle time again from now; returns the seconds it lasts."""
    limit = idle_minutes(user) * 60
    request.session[DEADLINE_KEY] = _now() + limit
    return limit


def start_idle_clock(
    sender: object, request: HttpRequest | None, user: User, **kwargs: object
) -> None:
    """Signing in starts the idle time (PortalConfig.ready connects this to
    user_logged_in), so the first page after it need not write the session again."""
    if request is not None and hasattr(request, "session"):
        keep_signed_in(request, user)


class IdleSignOutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: PortalRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User):
            deadline = request.session.get(DEADLINE_KEY)
            if deadline is not None and _now() > int(deadline):
                return self._sign_out(request, user)
        return self.get_response(request)

    def process_view(
        self,
        request: PortalRequest,
        view: Callable[..., HttpResponseBase],
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> None:
        user = request.user
        if not isinstance(user, User):
            return
        if request.method == "GET" and view in _READ_ONLY_ON_GET:
            return
        deadline = request.session.get(DEADLINE_KEY)
        limit = idle_minutes(user) * 60
        if deadline is None or _now() + limit - int(deadline) > WRITE_EVERY_SECONDS:
            request.session[DEADLINE_KEY] = _now() + limit

    def _sign_out(self, request: PortalRequest, user: User) -> HttpResponse:
        minutes = idle_minutes(user)
        logout(request)
        messages.info(
            request,
            f"You were signed out after {minutes} minutes without activity, "
            "to keep your information private.",
        )
        back_to = _page_to_come_back_to(request)
        return redirect_to_login(back_to) if back_to else redirect(settings.LOGIN_URL)


def _page_to_come_back_to(request: PortalRequest) -> str | None:
    """Where sign-in leads back: the page itself, or the page a form or an htmx call was
    sent from (a POST's own address may answer nothing to a GET: sign-out does not)."""
    if request.htmx:
        return request.htmx.current_url_abs_path
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return None
