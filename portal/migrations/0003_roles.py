"""Staff roles: content editors, content reviewers and the care team replace Clinicians."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from portal.roles import apply_roles


def set_roles(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_access_log_and_sessions"),
        ("monographs", "0004_publish_permission"),
        ("tracking", "0007_care_teams"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(set_roles, migrations.RunPython.noop)]
