import django.db.models.deletion
from django.db import migrations, models

GROUP_NAME = "Corporate Account Services"
# The e-mail log is read-only for the group and attachments are no longer shown to it: editing a sent
# e-mail's recipients and queueing it again would send a live sign-in link to any address.
# `add_user` stays: new billing contacts are created without a password and set it through the welcome link.
WITHDRAWN = {"post_office": ["change_email", "view_attachment"]}


def withdraw_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is None:
        return
    for app_label, codenames in WITHDRAWN.items():
        group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def restore_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is None:
        return
    for app_label, codenames in WITHDRAWN.items():
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_audit_entry_indexes"),
        ("post_office", "__latest__"),
        ("auth", "__latest__"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="account",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="audit_entries",
                to="accounts.companyaccount", verbose_name="company account",
            ),
        ),
        migrations.RunPython(withdraw_permissions, restore_permissions),
    ]
