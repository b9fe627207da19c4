# A first billing run opens a house account per house, a million in a group, and
# updates each in the same transaction (which makes PostgreSQL check its keys again):
# the account's keys are checked once per statement too (see propdesk/core/setfk.py).

from django.db import migrations

from propdesk.core.setfk import SetBasedForeignKeys


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0008_partial_indexes_account_fillfactor"),
    ]

    operations = [
        SetBasedForeignKeys("account", ["community", "house", "customer"]),
    ]
