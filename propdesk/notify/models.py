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
    # A burst to one staff member: held, then delivered inside one digest message.
    HELD = "held", _("Held for a digest")
    IN_DIGEST = "in_digest", _("Delivered in a digest")


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
    event = models.CharField(_("event"), max_length=64, blank=True)
    urgent = models.BooleanField(
        _("urgent"),
        default=False,
        help_text=_("Emergencies: sent during quiet hours and never held for a digest."),
    )
    is_digest = models.BooleanField(_("digest"), default=False)
    # When the burst check let this staff message through on its own: rows let
    # through in the last minutes are what the digest threshold counts.
    digest_slot_at = models.DateTimeField(_("let through at"), null=True, blank=True)
    digest = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="digested",
        verbose_name=_("delivered in digest"),
    )
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
            # The digest's burst count: what one staff member got in the last minutes.
            models.Index(
                fields=["staff_user", "channel", "digest_slot_at"],
                condition=Q(digest_slot_at__isnull=False),
                name="notify_outbox_slot_idx",
            ),
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


class MessageTemplate(models.Model):
    """The text of one event's message on one channel in one language.

    `community` empty: the default every community uses; set: that community's
    own wording, which wins over the default.
    """

    event = models.CharField(_("event"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
        help_text=_("Empty: the default for every community."),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["event", "channel", "language", "community_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "language"],
                condition=Q(community__isnull=True),
                name="notify_template_default_uniq",
            ),
            models.UniqueConstraint(
                fields=["event", "channel", "language", "community"],
                condition=Q(community__isnull=False),
                name="notify_template_override_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.channel} · {self.language}"


class QuietHours(models.Model):
    """When a community's residents get no SMS (emergencies excepted).

    Without a row the default applies: 22:00–08:00 in the community's time zone.
    """

    community = models.OneToOneField(
        "estates.Community",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("community"),
    )
    enabled = models.BooleanField(_("quiet hours on"), default=True)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class CustomerNotifyProfile(models.Model):
    """A customer's language for messages and their "no non-essential SMS" wish."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="notify_profile",
        verbose_name=_("customer"),
    )
    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    language = models.CharField(
        _("message language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    sms_opt_out = models.BooleanField(
        _("no SMS except essential notices"),
        default=False,
        help_text=_("Bills and emergencies still come by SMS; everything else does not."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("customer message settings")
        verbose_name_plural = _("customer message settings")

    def __str__(self) -> str:
        return str(self.customer_id)


class ChannelPreference(models.Model):
    """Which channels a customer wants for all messages, a category, or one event.

    The most specific row wins: event, then category, then "all" (scope empty).
    """

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="channel_preferences",
        verbose_name=_("customer"),
    )
    community = models.ForeignKey(
        "estates.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    scope = models.CharField(
        _("applies to"),
        max_length=64,
        blank=True,
        help_text=_("Empty: every message; else a category (service, billing) or an event code."),
    )
    channels = models.JSONField(_("allowed channels"), default=list, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")
        ordering = ["customer_id", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "scope"], name="notify_pref_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.scope or '*'}: {','.join(self.channels)}"
