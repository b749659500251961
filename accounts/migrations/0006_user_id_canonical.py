import unicodedata

import accounts.identity
from django.db import migrations, models


def canonical(value):
    # Frozen copy of accounts.identity.canonical_user_id as of this migration.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", (value or "").strip()).casefold())


def fill_username_key(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = list(User.objects.only("pk", "username"))
    for user in users:
        user.username_key = canonical(user.username)
    # Two existing User IDs with one canonical form (ß and SS, say) stop this migration with an
    # IntegrityError below: staff must rename one of them first.
    User.objects.bulk_update(users, ["username_key"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_staff_cannot_take_over"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=450, null=True, verbose_name="canonical User ID"),
        ),
        migrations.RunPython(fill_username_key, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=450, unique=True, verbose_name="canonical User ID"),
        ),
        migrations.AlterField(
            model_name="user",
            name="username",
            field=models.CharField(
                error_messages={"unique": "A user with that User ID already exists."},
                help_text="A user name (acme-billing) or an e-mail address (billing@acme.example).",
                max_length=150, unique=True, validators=[accounts.identity.validate_user_id], verbose_name="User ID",
            ),
        ),
        migrations.CreateModel(
            name="RateLimitCounter",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64)),
                ("window", models.BigIntegerField()),
                ("count", models.PositiveIntegerField(default=0)),
                ("expires_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("key", "window"), name="ratelimit_key_window_unique")],
            },
        ),
    ]
