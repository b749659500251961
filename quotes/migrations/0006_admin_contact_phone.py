import billing_portal.validators
import phonenumber_field.modelfields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("quotes", "0005_rename_productadmin"),
    ]

    operations = [
        migrations.AlterField(
            model_name="admincontact",
            name="phone",
            field=phonenumber_field.modelfields.PhoneNumberField(
                blank=True,
                max_length=128,
                region=None,
                validators=[billing_portal.validators.reject_non_ascii_digits],
                verbose_name="phone",
            ),
        ),
        migrations.AlterField(
            model_name="serviceorder",
            name="admin_phone",
            field=phonenumber_field.modelfields.PhoneNumberField(
                blank=True,
                max_length=128,
                region=None,
                validators=[billing_portal.validators.reject_non_ascii_digits],
                verbose_name="admin phone",
            ),
        ),
    ]
