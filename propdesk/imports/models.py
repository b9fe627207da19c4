"""Import jobs: a spreadsheet checked row by row, then written in resumable chunks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    BUILDINGS = "buildings", _("Buildings")
    HOUSES = "houses", _("Houses")
    CUSTOMERS = "customers", _("Customers")
    OCCUPANCIES = "occupancies", _("Occupancies")


class ImportState(models.TextChoices):
    CHECKING = "checking", _("Checking")
    INVALID = "invalid", _("Has errors")
    READY = "ready", _("Checked, ready to import")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Stopped")


RUNNING_STATES = (ImportState.CHECKING, ImportState.IMPORTING)


class ImportJob(models.Model):
    """One uploaded file: its rows (encrypted: they hold ID numbers and phones), progress and errors."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=ImportState.choices, default=ImportState.CHECKING
    )
    filename = models.CharField(_("file"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_written = models.PositiveIntegerField(_("rows imported"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    payload_cipher = models.TextField(_("rows (encrypted)"), blank=True, editable=False)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "-created_at"], name="importjob_recent_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.filename}"

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES

    @property
    def progress_done(self) -> int:
        return self.rows_written if self.state == ImportState.IMPORTING else self.rows_checked

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 100
        return min(100, int(100 * self.progress_done / self.rows_total))
