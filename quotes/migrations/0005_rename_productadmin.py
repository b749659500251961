import django.db.models.deletion
from django.db import migrations, models

# Permissions are named after the model: the staff group's grants follow the new name.
OLD, NEW = "productadmin", "admincontact"


def rename_permissions(old: str, new: str):
    def rename(apps, schema_editor):
        Permission = apps.get_model("auth", "Permission")
        for permission in Permission.objects.filter(content_type__app_label="quotes", codename__endswith=f"_{old}"):
            codename = permission.codename.removesuffix(old) + new
            # One created under the new name (by an earlier post-migrate run) holds no grants: the old row wins.
            Permission.objects.filter(content_type_id=permission.content_type_id, codename=codename).delete()
            permission.codename = codename
            permission.save(update_fields=["codename"])

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("quotes", "0004_receipt_released_at"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RenameModel("ProductAdmin", "AdminContact"),
        migrations.AlterField(
            model_name="admincontact",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="admin_contacts",
                to="accounts.companyaccount",
                verbose_name="company account",
            ),
        ),
        migrations.RunPython(rename_permissions(OLD, NEW), rename_permissions(NEW, OLD)),
    ]
