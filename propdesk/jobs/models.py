"""The database is the queue: deferred tasks and the bookkeeping of periodic sweeps."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TaskState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Dead (gave up)")


# A RUNNING task whose lease (`run_at`) ran out belongs to a worker that died: claim it again.
TASK_CLAIMABLE_STATES = (TaskState.PENDING, TaskState.FAILED, TaskState.RUNNING)


class Task(models.Model):
    """A deferred one-off job, written in the transaction that causes it."""

    name = models.CharField(_("name"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.PENDING
    )
    # When the task is due; while RUNNING, when the worker's lease on it runs out.
    run_at = models.DateTimeField(_("run at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    dedupe_key = models.CharField(_("de-duplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="jobs_task_dedupe_uniq"
            ),
        ]
        indexes = [models.Index(fields=["state", "run_at"], name="jobs_task_due_idx")]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} ({self.state})"


class SweepState(models.Model):
    """When each registered periodic sweep last ran and is next due (shared by all workers)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    every_seconds = models.PositiveIntegerField(_("every (seconds)"))
    next_run_at = models.DateTimeField(_("next run at"), default=timezone.now)
    last_started_at = models.DateTimeField(_("last started at"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("periodic sweep")
        verbose_name_plural = _("periodic sweeps")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
