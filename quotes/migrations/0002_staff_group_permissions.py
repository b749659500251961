from django.db import migrations

GROUP_NAME = "Corporate Account Services"
MODELS = ["product", "quote", "quoteline", "serviceorder", "productadmin", "seatassignment"]
# Staff edit draft quotes and their lines (removing a line included); carts belong to the contacts.
PERMISSIONS = [f"{action}_{model}" for model in MODELS for action in ("view", "add", "change")] + ["delete_quoteline", "view_cart"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; create this app's now so the group can hold them.
    app_config = apps.get_app_config("quotes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="quotes", codename__in=PERMISSIONS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="quotes", codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [
        ("quotes", "0001_initial"),
        ("accounts", "0002_staff_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
