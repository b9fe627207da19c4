"""Service-standard policies, their stored clocks, and the business calendar settings.

A policy is data: which cases it applies to, the event that starts its clock,
the events that stop it, the statuses that pause it, and a target. A clock is
one stored row per (case, policy) with its `due_at`, indexed on (state, due_at)
so the sweep finds what is due without reading every case.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TargetKind(models.TextChoices):
    DURATION = "duration", _("Duration (natural time)")
    WORKING = "working", _("Duration in working time")
    WORKING_DAYS = "working_days", _("Working days")
    SAME_WORKING_DAY = "same_day", _("End of the same working day")
    WINDOW = "window", _("Window: not before X, not after Y")
    APPOINTMENT = "appointment", _("End of the appointment window")


class Policy(models.Model):
    """One service-standard deadline (e.g. R-CMP-4: forward a complaint within 1 hour)."""

    code = models.CharField(
        _("rule"),
        max_length=16,
        help_text=_("The service-standard id; policies of one rule compete by precedence."),
    )
    name = models.CharField(_("name"), max_length=120)
    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
        help_text=_("Empty: the default for every community."),
    )
    # What it applies to (empty = any).
    kind = models.CharField(_("case kind"), max_length=16)
    severity = models.CharField(_("severity"), max_length=16, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    requires_safety = models.BooleanField(_("safety facilities only"), default=False)
    requires_leak = models.BooleanField(_("leak repairs only"), default=False)
    # Clock.
    start_event = models.CharField(_("starts at"), max_length=32)
    stop_events = models.JSONField(_("stops at"), default=list)
    pause_statuses = models.JSONField(_("paused while"), default=list, blank=True)
    target_kind = models.CharField(_("target"), max_length=16, choices=TargetKind.choices)
    target_minutes = models.PositiveIntegerField(
        _("target (minutes)"), default=0, help_text=_("For working days: the number of days.")
    )
    window_start_minutes = models.PositiveIntegerField(
        _("not before (minutes after the start)"), default=0
    )
    use_requested_time = models.BooleanField(
        _("or the resident's requested time"),
        default=False,
        help_text=_("R-CMP-7: an ordinary complaint is due at the time the resident asked for."),
    )
    warn_ratio = models.DecimalField(
        _("warn at (share of the time)"), max_digits=3, decimal_places=2, default=0.75
    )
    escalate_to = models.JSONField(
        _("escalate to"),
        default=list,
        blank=True,
        help_text=_("Any of: assignee, department_head, director."),
    )
    recompute_rule = models.TextField(
        _("when inputs change"),
        blank=True,
        help_text=_(
            "How the clock is recomputed when category, severity, requested time or a pause changes."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service-standard policy")
        verbose_name_plural = _("service-standard policies")
        ordering = ["code", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def specificity(self) -> int:
        """More conditions = more specific; between equals a community's own policy wins."""
        conditions = (
            bool(self.severity)
            + bool(self.channel)
            + 2 * self.requires_safety
            + 2 * self.requires_leak
        )
        # Conditions first: a community's copy of a general policy must not switch off
        # a more specific default (leak repairs keep their own R-REP-5 window).
        return 2 * conditions + (self.community_id is not None)


class EscalationTarget(models.TextChoices):
    ASSIGNEE = "assignee", _("Assignee")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    CS_SUPERVISOR = "cs_supervisor", _("Customer-service supervisor")
    DIRECTOR = "director", _("Management-office director")


class EscalationAction(models.TextChoices):
    NOTIFY = "notify", _("Notify")
    REASSIGN = "reassign", _("Reassign to the target")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority to urgent")


class EscalationLevel(models.Model):
    """One step of a policy's escalation ladder, relative to the deadline (GLPI-style).

    `offset_minutes` is negative before the deadline (a warning), zero at it and
    positive after it; each level fires once per clock, in order of offset.
    """

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="levels", verbose_name=_("policy")
    )
    offset_minutes = models.IntegerField(
        _("offset (minutes)"), help_text=_("Before the deadline if negative, after it if positive.")
    )
    target = models.CharField(_("who"), max_length=16, choices=EscalationTarget.choices)
    action = models.CharField(_("action"), max_length=16, choices=EscalationAction.choices)

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["policy_id", "offset_minutes", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "offset_minutes", "target", "action"], name="escalation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.offset_minutes:+d} min {self.target} {self.action}"


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Stopped (case cancelled)")


class Clock(models.Model):
    """The deadline of one policy on one case, stored (DESIGN: not recomputed on read)."""

    case = models.ForeignKey("servicedesk.Case", on_delete=models.CASCADE, related_name="clocks")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="clocks")
    community = models.ForeignKey("estates.Community", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started"))
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused (seconds)"), default=0)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ClockState.choices, default=ClockState.RUNNING
    )
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    late_seconds = models.PositiveIntegerField(_("late (seconds)"), default=0)
    warning_level = models.PositiveSmallIntegerField(_("warning level"), default=0)
    # Escalation: how many of the policy's levels have fired, and when the next one is due.
    levels_done = models.PositiveSmallIntegerField(_("escalation levels done"), default=0)
    next_action_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline clock")
        verbose_name_plural = _("deadline clocks")
        constraints = [
            models.UniqueConstraint(fields=["case", "policy"], name="clock_one_per_case_policy")
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="clock_state_due_idx"),
            models.Index(
                fields=["warn_at"],
                name="clock_warn_idx",
                condition=Q(state="running", warning_level=0),
            ),
            models.Index(
                fields=["next_action_at"],
                name="clock_next_action_idx",
                condition=Q(next_action_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.policy_id} {self.state}"


class CommunityHours(models.Model):
    """A community's working hours, e.g. 08:30–12:00 and 13:30–18:00."""

    community = models.OneToOneField(
        "estates.Community", on_delete=models.CASCADE, related_name="+", verbose_name=_("community")
    )
    intervals = models.JSONField(
        _("working hours"),
        default=list,
        help_text=_('Intervals of a working day, e.g. ["08:30-12:00", "13:30-18:00"].'),
    )

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return ", ".join(self.intervals)


class CalendarOverride(models.Model):
    """A date that is (not) a working day whatever the statutory calendar says."""

    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
        help_text=_(
            "Empty: every community (e.g. next year's holidays before the package knows them)."
        ),
    )
    date = models.DateField(_("date"))
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "date"], name="calendar_override_unique", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'day off'}"
