from __future__ import annotations

from django.db import migrations

from propdesk.notify.seeds import seed_templates, unseed_templates


class Migration(migrations.Migration):
    dependencies = [("notify", "0002_templates_preferences_quiet_hours_digests")]

    operations = [migrations.RunPython(seed_templates, unseed_templates)]
