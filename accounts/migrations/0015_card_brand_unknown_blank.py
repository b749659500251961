from django.db import migrations


def blank_unknown_brand(apps, schema_editor):
    # "Card" was stored for a card of no known brand, and shown in English to every reader; a blank
    # brand is shown as "Card" in the reader's language.
    apps.get_model("accounts", "CompanyAccount").objects.filter(card_brand="Card").update(card_brand="")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0014_po_reminder")]

    operations = [migrations.RunPython(blank_unknown_brand, migrations.RunPython.noop)]
