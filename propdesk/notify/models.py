"""The notification outbox and the in-app inboxes it delivers to.

Rows are written inside the transaction of the change that causes them (a
rolled-back change sends nothing) and delivered later by `propdesk worker`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("Portal message")
    STAFF = "staff", _("Staff alert")


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SENT_DEMO = "sent_demo", _("Sent (demo)")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Dead (gave up)")


# States a worker may claim when `next_attempt_at` has passed. A SENDING row whose
# lease ran out belongs to a worker that died mid-send: it is claimed again.
CLAIMABLE_STATES = (OutboxState.PENDING, OutboxState.FAILED, OutboxState.SENDING)
DELIVERED_STATES = (OutboxState.SENT, OutboxState.SENT_DEMO)
RETRYABLE_BY_STAFF = (OutboxState.FAILED, OutboxState.DEAD)


class OutboxMessage(models.Model):
    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("community"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=254, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    ref_type = models.CharField(_("reference type"), max_length=64, blank=True)
    ref_id = models.CharField(_("reference id"), max_length=64, blank=True)
    dedupe_key = models.CharField(_("de-duplication key"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    backend = models.CharField(_("backend"), max_length=32, blank=True)
    # What a demo backend would have sent (the resolved address and text).
    delivered_to = models.CharField(_("delivered to"), max_length=254, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notify_outbox_dedupe_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notify_outbox_due_idx"),
            models.Index(fields=["community", "-created_at"], name="notify_outbox_comm_idx"),
            models.Index(fields=["ref_type", "ref_id"], name="notify_outbox_ref_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk} {self.subject or self.body[:30]}"


class PortalMessage(models.Model):
    """A message in an owner's portal inbox (the portal reads these)."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="portal_messages",
        verbose_name=_("customer"),
    )
    outbox = models.OneToOneField(
        OutboxMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="portal_message",
        verbose_name=_("outbox message"),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    ref_type = models.CharField(_("reference type"), max_length=64, blank=True)
    ref_id = models.CharField(_("reference id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal message")
        verbose_name_plural = _("portal messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="notify_portal_cust_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.body[:40]


class StaffAlert(models.Model):
    """An in-app alert for one staff member (unread ones make the badge)."""

    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_alerts",
        verbose_name=_("staff member"),
    )
    outbox = models.OneToOneField(
        OutboxMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_alert",
        verbose_name=_("outbox message"),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    ref_type = models.CharField(_("reference type"), max_length=64, blank=True)
    ref_id = models.CharField(_("reference id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff alert")
        verbose_name_plural = _("staff alerts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notify_alert_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.body[:40]
