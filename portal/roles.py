"""Staff roles as groups, and exactly what each may do.

A role is a Django group. Its permissions are set from ROLES by a migration (so a
deploy changes them in step with the code) and again after every migrate and flush (so a
test database or a new app's permissions never drift). No role both edits medicine
content and reads patient records: a person who does both is given both groups.
Superusers are not a group; they may do everything.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db.models import Q

CONTENT_EDITORS = "Content editors"
CONTENT_REVIEWERS = "Content reviewers"
CARE_TEAM = "Care team"

_MONOGRAPH_MODELS = (
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

ROLES: dict[str, dict[str, list[str]]] = {
    # Draft changes to medicine guides; never publish, never see a patient.
    CONTENT_EDITORS: {
        "monographs": [
            f"{action}_{model}"
            for model in _MONOGRAPH_MODELS
            for action in ("add", "change", "delete", "view")
        ],
    },
    # Read the drafts and publish them; never see a patient.
    CONTENT_REVIEWERS: {
        "monographs": [f"view_{model}" for model in _MONOGRAPH_MODELS] + ["publish_medicine"],
    },
    # Their clinics' patients, read-only, and the review queues (the review fields only);
    # the deletion requests of their patients' accounts, which a superuser completes.
    CARE_TEAM: {
        "portal": ["view_accountdeletionrequest"],
        "tracking": [
            "view_patient",
            "view_carerelationship",
            "view_weight",
            "view_therapy",
            "view_doselog",
            "view_sideeffectreport",
            "change_sideeffectreport",
            "view_sideeffectreportitem",
            "view_labresult",
            "change_labresult",
            "view_reminderdelivery",
        ],
    },
}

# Retired groups: their members move to the role that keeps them on the patients' side.
RENAMED = {"Clinicians": CARE_TEAM}


def apply_roles(apps: Apps = global_apps, **kwargs: Any) -> None:
    """Give each role exactly its permissions (idempotent); retire renamed groups."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for labels in ROLES.values():
        for label in labels:
            # Permissions are made by auth's own post_migrate; a migration runs before it.
            # The real app config says the app has models; `apps` gives the models as of
            # this migration.
            create_permissions(global_apps.get_app_config(label), verbosity=0, apps=apps)
    for name, by_app in ROLES.items():
        wanted = Q(pk__in=[])
        for label, codenames in by_app.items():
            wanted |= Q(content_type__app_label=label, codename__in=codenames)
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(permission_model.objects.filter(wanted))
    for old, new in RENAMED.items():
        retired = group_model.objects.filter(name=old).first()
        if retired is None:
            continue
        successor = group_model.objects.get(name=new)
        successor.user_set.add(*retired.user_set.all())
        retired.delete()
