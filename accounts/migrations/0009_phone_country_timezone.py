import accounts.models
import billing_portal.validators
import django_countries.fields
import phonenumber_field.modelfields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_rename_request"),
    ]

    operations = [
        migrations.AlterField(
            model_name="companyaccount",
            name="country",
            field=django_countries.fields.CountryField(max_length=2, verbose_name="country"),
        ),
        migrations.AlterField(
            model_name="companyaccount",
            name="phone",
            field=phonenumber_field.modelfields.PhoneNumberField(
                blank=True,
                help_text="With the country code, e.g. +1 415 555 0100.",
                max_length=128,
                region=None,
                validators=[billing_portal.validators.reject_non_ascii_digits],
                verbose_name="phone",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("en", "English"), ("de", "Deutsch")],
                default="",
                max_length=8,
                verbose_name="language",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=phonenumber_field.modelfields.PhoneNumberField(
                blank=True,
                max_length=128,
                region=None,
                validators=[billing_portal.validators.reject_non_ascii_digits],
                verbose_name="phone",
            ),
        ),
        migrations.AddField(
            model_name="companyaccount",
            name="time_zone",
            field=models.CharField(
                blank=True,
                choices=accounts.models.time_zone_choices,
                help_text="Times in the portal are shown in this zone. Blank: the country's main time zone.",
                max_length=64,
                verbose_name="time zone",
            ),
        ),
    ]
