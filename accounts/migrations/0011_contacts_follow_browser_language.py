from django.db import migrations

# Until contacts could leave their language unset, every customer got "en" stored by default, so the
# stored English overrode a German browser even for contacts who never chose it. A stored "en" on a
# customer cannot be told apart from that default: it is cleared, and the contact's next choice in the
# language switch is stored again. Staff keep theirs.
CLEAR_DEFAULT_ENGLISH = "UPDATE accounts_user SET language = '' WHERE language = 'en' AND NOT is_staff"


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_tax_treatment")]

    operations = [migrations.RunSQL(CLEAR_DEFAULT_ENGLISH, migrations.RunSQL.noop)]
