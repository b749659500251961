from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0013_recipient_wants_xml")]

    operations = [
        migrations.AddField(
            model_name="companyaccount",
            name="po_reminder_sent_for",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="PO reminder sent for"),
        ),
    ]
