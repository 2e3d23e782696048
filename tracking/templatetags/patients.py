"""{% purl "tracking:dose-list" %}: a patient page's address for the patient shown."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from monographs.models import plain_number

from ..access import patient_reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def purl(context: dict[str, Any], name: str, **kwargs: object) -> str:
    return patient_reverse(context["request"], name, **kwargs)


@register.filter
def mg(value: Decimal | None) -> str:
    """A dose without trailing zeros: 100.00 reads "100", 1.50 reads "1.5"."""
    return "" if value is None else plain_number(value)
