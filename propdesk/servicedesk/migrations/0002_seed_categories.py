from __future__ import annotations

from django.db import migrations

from propdesk.servicedesk.seeds import seed_categories, unseed_categories


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_initial")]

    operations = [migrations.RunPython(seed_categories, unseed_categories)]
