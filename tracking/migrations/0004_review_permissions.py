from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant_review(apps, schema_editor):
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
                "view_sideeffectreport", "change_sideeffectreport",
                "view_labresult", "change_labresult",
                "view_reminderdelivery", "view_patientpreferences",
            ],
        )
    )


class Migration(migrations.Migration):
    dependencies = [("tracking", "0003_safety")]

    operations = [migrations.RunPython(grant_review, migrations.RunPython.noop)]
