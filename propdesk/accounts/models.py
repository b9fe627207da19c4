"""Staff, departments, roles and community scopes; owner accounts log in too."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import DepartmentKind, Role


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    OWNER = "owner", _("Owner / resident")


class Department(models.Model):
    company = models.ForeignKey(
        "estates.Company",
        on_delete=models.CASCADE,
        related_name="departments",
        verbose_name=_("company"),
    )
    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="departments",
        verbose_name=_("community"),
        help_text=_("Empty for a department that serves the whole company."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "community", "kind"], name="department_unique_kind"
            )
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A login: staff member or owner. Staff carry a role, a department and scopes."""

    kind = models.CharField(
        _("account kind"), max_length=16, choices=UserKind.choices, default=UserKind.STAFF
    )
    display_name = models.CharField(_("name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("department"),
    )
    company = models.ForeignKey(
        "estates.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("company"),
    )
    phone = models.CharField(_("work phone"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    all_communities = models.BooleanField(
        _("all communities of the company"),
        default=False,
        help_text=_("Company administrators and group-level staff see every community."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_full_name(self) -> str:
        return self.display_name or super().get_full_name()


class StaffScope(models.Model):
    """One community a staff member serves."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="scopes", verbose_name=_("staff")
    )
    community = models.ForeignKey(
        "estates.Community",
        on_delete=models.CASCADE,
        related_name="staff_scopes",
        verbose_name=_("community"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("staff scope")
        verbose_name_plural = _("staff scopes")
        constraints = [models.UniqueConstraint(fields=["user", "community"], name="scope_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.community}"


class AuthFailure(models.Model):
    """One wrong password, kept for the lock-out window (see accounts/throttle.py)."""

    key = models.CharField(_("locked name"), max_length=190)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("wrong password")
        verbose_name_plural = _("wrong passwords (delete to unlock)")
        indexes = [models.Index(fields=["key", "at"], name="auth_failure_key_at")]

    def __str__(self) -> str:
        return f"{self.key} {self.at:%Y-%m-%d %H:%M}"
