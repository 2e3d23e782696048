"""What django-axes counts failed sign-ins against."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The typed email as sign-in reads it: Eve@… and eVe@… are one account, one count."""
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(typed).strip().lower()
