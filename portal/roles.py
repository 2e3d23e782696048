"""The Clinicians group and what it may do, kept in step after every migrate and flush."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

CLINICIANS = "Clinicians"
CLINICIAN_PERMISSIONS: dict[str, list[str]] = {
    "monographs": [
        f"{action}_{model}"
        for model in (
            "medicine",
            "reference",
            "section",
            "dosingregimen",
            "sideeffect",
            "safetywarning",
            "interaction",
            "contraindication",
            "labrule",
            "injectionsite",
        )
        for action in ("add", "change", "delete", "view")
    ],
    "tracking": [
        # The care team sets up patients and who acts for them (guardians), in admin.
        "add_patient",
        "change_patient",
        "view_patient",
        "add_carerelationship",
        "change_carerelationship",
        "view_carerelationship",
        "add_weight",
        "change_weight",
        "view_weight",
        "delete_weight",
        "add_therapy",
        "change_therapy",
        "view_therapy",
        "view_doselog",
        "view_sideeffectreport",
        "change_sideeffectreport",
        "view_labresult",
        "view_sideeffectreportitem",
        "change_labresult",
        "view_reminderdelivery",
        "view_patientpreferences",
    ],
    "portal": ["view_user"],
}


def ensure_clinician_group(**kwargs: Any) -> None:
    """Create the Clinicians group with exactly its permissions (idempotent).

    Runs on post_migrate, so a fresh database, a deploy and a test flush all get it.
    """
    for label in CLINICIAN_PERMISSIONS:
        # Permissions are normally made by auth's own post_migrate; make sure they exist.
        create_permissions(apps.get_app_config(label), verbosity=0)
    wanted = Q()
    for label, codenames in CLINICIAN_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=label, codename__in=codenames)
    group, _ = Group.objects.get_or_create(name=CLINICIANS)
    group.permissions.set(Permission.objects.filter(wanted))
