from __future__ import annotations

from django.db import migrations

from propdesk.sla.seeds import seed_policies, unseed_policies


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(seed_policies, unseed_policies)]
