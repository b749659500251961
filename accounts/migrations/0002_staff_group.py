from django.db import migrations

GROUP_NAME = "Corporate Account Services"
PERMISSIONS = {
    "accounts": ["view_user", "add_user", "change_user", "view_companyaccount", "add_companyaccount",
                 "change_companyaccount", "view_invoicerecipient", "add_invoicerecipient", "change_invoicerecipient",
                 "delete_invoicerecipient", "view_request", "change_request", "view_auditentry"],
    "post_office": ["view_email", "change_email", "view_log", "view_attachment"],
}


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; create them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    for app_label, codenames in PERMISSIONS.items():
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("post_office", "__latest__"),
        ("contenttypes", "__latest__"),
        ("auth", "__latest__"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
