"""Entry point of the SIGKILL test's child: one worker pass with the test handlers."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propdesk.settings")
django.setup()

from propdesk.jobs.services import tasks_run_due  # noqa: E402
from propdesk.jobs.tests import handlers  # noqa: E402, F401

tasks_run_due()
