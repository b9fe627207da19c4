# Bills and ledger entries are written a million at a time by billing runs: their
# foreign keys are checked once per statement on PostgreSQL (see propdesk/core/setfk.py).

from django.db import migrations

from propdesk.core.setfk import SetBasedForeignKeys


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_community_copies_unconstrained"),
        ("accounts", "0003_auth_failure"),
        ("estates", "0001_initial"),
    ]

    operations = [
        SetBasedForeignKeys("bill", ["house", "account", "fee_item", "run"]),
        SetBasedForeignKeys(
            "ledgerentry", ["account", "bill", "payment", "reverses", "actor", "approver"]
        ),
    ]
