from __future__ import annotations

from django.db import migrations

from propdesk.sla.seeds import seed_policies


class Migration(migrations.Migration):
    """Add the policies shipped since 0002 (get_or_create: existing ones stay as edited)."""

    dependencies = [("sla", "0002_seed_policies")]

    operations = [migrations.RunPython(seed_policies, migrations.RunPython.noop)]
