"""The request types views receive, as the middleware and decorators leave them.

Django's own ``HttpRequest`` knows nothing of ``request.htmx`` (added by
django-htmx's middleware) and cannot know that ``login_required`` has let only a
signed-in account through. Views say which of the two they get.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    # Types only: this module must stay importable before the app registry is ready.
    from django.contrib.auth.models import AnonymousUser
    from django_htmx.middleware import HtmxDetails

    from portal.models import User
    from tracking.models import CareRelationship, Patient


class PortalRequest(HttpRequest):
    """Any request through the portal's middleware: the visitor may be anonymous."""

    htmx: HtmxDetails
    user: User | AnonymousUser
    # Set by tracking's PatientMiddleware: the patient this request shows, if any.
    patient: Patient | None
    care: CareRelationship | None
    care_list: list[CareRelationship]


class SignedInRequest(PortalRequest):
    """A request behind ``login_required`` (or ``with_therapy``): a signed-in account."""

    user: User
