from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant_care_team(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Clinicians")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tracking",
            codename__in=[
                "add_therapy", "change_therapy", "view_therapy", "view_doselog",
            ],
        )
    )
    view_users = Permission.objects.filter(content_type__app_label="portal", codename="view_user")
    group.permissions.add(*view_users)


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0001_initial"),
        ("portal", "0002_clinician_group"),
    ]

    operations = [migrations.RunPython(grant_care_team, migrations.RunPython.noop)]
