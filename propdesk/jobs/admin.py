from __future__ import annotations

from django.contrib import admin

from propdesk.core.admin import ModelAdmin

from .models import SweepState, Task


@admin.register(Task)
class TaskAdmin(ModelAdmin):
    list_display = ["id", "name", "state", "attempts", "run_at", "created_at", "finished_at"]
    list_filter = ["state", "name"]
    search_fields = ["name", "dedupe_key"]
    readonly_fields = [f.name for f in Task._meta.fields]


@admin.register(SweepState)
class SweepStateAdmin(ModelAdmin):
    list_display = ["name", "every_seconds", "next_run_at", "last_finished_at", "runs"]
    readonly_fields = [f.name for f in SweepState._meta.fields]
