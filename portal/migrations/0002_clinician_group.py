from django.contrib.auth.management import create_permissions
from django.db import migrations

MONOGRAPH_MODELS = [
    "medicine", "reference", "section", "dosingregimen", "sideeffect",
    "safetywarning", "interaction", "contraindication", "labrule", "injectionsite",
]


def create_clinician_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Clinicians")
    codenames = [
        f"{action}_{model}"
        for model in MONOGRAPH_MODELS
        for action in ("add", "change", "delete", "view")
    ]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="monographs", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("monographs", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_clinician_group, migrations.RunPython.noop)]
