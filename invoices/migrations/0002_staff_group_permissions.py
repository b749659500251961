from django.db import migrations

GROUP_NAME = "Corporate Account Services"
# Staff issue, resend, mark paid, void and correct invoices; nobody deletes an issued one (the admin allows drafts only).
CODENAMES = [
    "view_invoice", "add_invoice", "change_invoice", "delete_invoice",
    "view_invoiceline", "add_invoiceline", "change_invoiceline", "delete_invoiceline",
    "view_invoicedelivery",
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; create them now so the group can hold them.
    app_config = apps.get_app_config("invoices")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="invoices", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="invoices", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0001_initial"),
        ("accounts", "0002_staff_group"),
        ("contenttypes", "__latest__"),
        ("auth", "__latest__"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
