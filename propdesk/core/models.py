"""Shared kernel models: audit trail, personal-data access log, gapless numbers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")


class AuditEvent(models.Model):
    """Who changed what, when, from what to what. Immutable; written by services."""

    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    community_id = models.BigIntegerField(_("community"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx"),
            models.Index(fields=["community_id", "-at"], name="audit_community_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.action} @ {self.at:%Y-%m-%d %H:%M}"


class PiiAccess(models.Model):
    """Every full view of protected personal data (R-CUS-3)."""

    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("viewer"),
    )
    community_id = models.BigIntegerField(_("community"), null=True, blank=True)
    subject_type = models.CharField(_("subject type"), max_length=64)
    subject_id = models.CharField(_("subject id"), max_length=64)
    field = models.CharField(_("field"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16, default="console")

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-at"], name="pii_subject_idx")
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} viewed {self.subject_type}:{self.subject_id}.{self.field}"


class NumberSequence(models.Model):
    """Last number handed out per (scope, series, year): short, gapless, never reused."""

    scope = models.CharField(_("scope"), max_length=64)
    series = models.CharField(_("series"), max_length=32)
    year = models.PositiveIntegerField(_("year"))
    last_value = models.PositiveBigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            models.UniqueConstraint(fields=["scope", "series", "year"], name="numbering_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.series}/{self.year}: {self.last_value}"
