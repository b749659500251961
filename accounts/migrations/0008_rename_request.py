from django.db import migrations

# Permissions are named after the model: the staff group's grants follow the new name.
OLD, NEW = "request", "accountrequest"


def rename_permissions(old: str, new: str):
    def rename(apps, schema_editor):
        Permission = apps.get_model("auth", "Permission")
        for permission in Permission.objects.filter(content_type__app_label="accounts", codename__endswith=f"_{old}"):
            codename = permission.codename.removesuffix(old) + new
            # One created under the new name (by an earlier post-migrate run) holds no grants: the old row wins.
            Permission.objects.filter(content_type_id=permission.content_type_id, codename=codename).delete()
            permission.codename = codename
            permission.save(update_fields=["codename"])

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_ascii_digits"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RenameModel("Request", "AccountRequest"),
        migrations.RunPython(rename_permissions(OLD, NEW), rename_permissions(NEW, OLD)),
    ]
