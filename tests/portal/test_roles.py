"""The staff roles: each group holds exactly the permissions written here, after migrate.

A change to portal/roles.py must change this list too: the list is the review of what
each role may do. No role both edits medicine content and reads patient records.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.models import User
from portal.roles import CARE_TEAM, CONTENT_EDITORS, CONTENT_REVIEWERS

EXPECTED = {
    CONTENT_EDITORS: {
        "monographs.add_contraindication",
        "monographs.change_contraindication",
        "monographs.delete_contraindication",
        "monographs.view_contraindication",
        "monographs.add_dosingregimen",
        "monographs.change_dosingregimen",
        "monographs.delete_dosingregimen",
        "monographs.view_dosingregimen",
        "monographs.add_injectionsite",
        "monographs.change_injectionsite",
        "monographs.delete_injectionsite",
        "monographs.view_injectionsite",
        "monographs.add_interaction",
        "monographs.change_interaction",
        "monographs.delete_interaction",
        "monographs.view_interaction",
        "monographs.add_labrule",
        "monographs.change_labrule",
        "monographs.delete_labrule",
        "monographs.view_labrule",
        "monographs.add_medicine",
        "monographs.change_medicine",
        "monographs.delete_medicine",
        "monographs.view_medicine",
        "monographs.add_reference",
        "monographs.change_reference",
        "monographs.delete_reference",
        "monographs.view_reference",
        "monographs.add_safetywarning",
        "monographs.change_safetywarning",
        "monographs.delete_safetywarning",
        "monographs.view_safetywarning",
        "monographs.add_section",
        "monographs.change_section",
        "monographs.delete_section",
        "monographs.view_section",
        "monographs.add_sideeffect",
        "monographs.change_sideeffect",
        "monographs.delete_sideeffect",
        "monographs.view_sideeffect",
    },
    CONTENT_REVIEWERS: {
        "monographs.publish_medicine",
        "monographs.view_contraindication",
        "monographs.view_dosingregimen",
        "monographs.view_injectionsite",
        "monographs.view_interaction",
        "monographs.view_labrule",
        "monographs.view_medicine",
        "monographs.view_reference",
        "monographs.view_safetywarning",
        "monographs.view_section",
        "monographs.view_sideeffect",
    },
    CARE_TEAM: {
        "portal.view_accountdeletionrequest",
        "tracking.view_patient",
        "tracking.view_carerelationship",
        "tracking.view_weight",
        "tracking.view_therapy",
        "tracking.view_doselog",
        "tracking.view_sideeffectreport",
        "tracking.change_sideeffectreport",
        "tracking.view_sideeffectreportitem",
        "tracking.view_labresult",
        "tracking.change_labresult",
        "tracking.view_reminderdelivery",
    },
}


def _permissions(group: Group) -> set[str]:
    return {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.select_related("content_type")
    }


def test_each_role_has_exactly_its_permissions(db: None) -> None:
    groups = {group.name: _permissions(group) for group in Group.objects.all()}

    assert groups == EXPECTED


def test_no_role_both_edits_content_and_reads_patients(db: None) -> None:
    for group in Group.objects.all():
        permissions = _permissions(group)
        edits = {p for p in permissions if p.startswith(("monographs.add_", "monographs.change_"))}
        reads = {p for p in permissions if p.startswith(("tracking.", "portal."))}
        assert not (edits and reads), group.name


def test_someone_given_both_roles_may_do_both(erin: User) -> None:
    erin.groups.add(Group.objects.get(name=CARE_TEAM))
    both = User.objects.get(pk=erin.pk)  # permissions are cached on the instance

    assert both.has_perm("monographs.change_section")
    assert both.has_perm("tracking.view_doselog")
    assert not both.has_perm("tracking.change_patient")
    assert not both.has_perm("monographs.publish_medicine")


@pytest.mark.django_db(transaction=True)
def test_the_old_clinicians_move_to_the_care_team() -> None:
    before = [("portal", "0002_access_log_and_sessions")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    old_group = old.get_model("auth", "Group")
    old_user = old.get_model("portal", "User")
    clinicians = old_group.objects.create(name="Clinicians")
    nurse = old_user.objects.create(email="nurse@example.com", is_staff=True)
    nurse.groups.add(clinicians)
    old_group.objects.get(name=CARE_TEAM).permissions.clear()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert not Group.objects.filter(name="Clinicians").exists()
    care_team = Group.objects.get(name=CARE_TEAM)
    assert list(care_team.user_set.values_list("email", flat=True)) == ["nurse@example.com"]
    assert _permissions(care_team) == EXPECTED[CARE_TEAM]
