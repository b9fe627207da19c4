"""Roles and what each may do. Data, not code paths: one table read everywhere.

A capability is a short string; services ask `user_can(user, "customers.view_pii")`.
Community scope is separate (selectors): a capability never widens scope.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", _("Front-desk agent")
    STEWARD = "steward", _("Steward")
    CS_SUPERVISOR = "cs_supervisor", _("Customer-service supervisor")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    TECHNICIAN = "technician", _("Technician")
    CASHIER = "cashier", _("Cashier")
    DIRECTOR = "director", _("Management-office director")
    COMPANY_ADMIN = "company_admin", _("Company administrator")


class DepartmentKind(models.TextChoices):
    CUSTOMER_SERVICE = "customer_service", _("Customer-service center")
    MAINTENANCE = "maintenance", _("Maintenance")
    SECURITY = "security", _("Security")
    ENVIRONMENT = "environment", _("Environment")
    FINANCE = "finance", _("Finance")
    MANAGEMENT_OFFICE = "management_office", _("Management office")


class Cap:
    """Capability names (one place, so a typo is an AttributeError, not a silent deny)."""

    ESTATES_VIEW = "estates.view"
    ESTATES_MANAGE = "estates.manage"
    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_MANAGE = "customers.manage"
    CUSTOMERS_VIEW_PII = "customers.view_pii"
    CUSTOMERS_ARCHIVE = "customers.archive"
    STAFF_MANAGE = "accounts.manage_staff"
    AUDIT_VIEW = "core.view_audit"


_ALL = {v for k, v in vars(Cap).items() if k.isupper()}
_DESK = {
    Cap.ESTATES_VIEW,
    Cap.CUSTOMERS_VIEW,
    Cap.CUSTOMERS_MANAGE,
    Cap.CUSTOMERS_ARCHIVE,
}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.FRONT_DESK: frozenset(_DESK),
    Role.STEWARD: frozenset(_DESK | {Cap.CUSTOMERS_VIEW_PII}),
    Role.CS_SUPERVISOR: frozenset(_DESK | {Cap.CUSTOMERS_VIEW_PII, Cap.AUDIT_VIEW}),
    Role.DEPARTMENT_HEAD: frozenset({Cap.ESTATES_VIEW, Cap.CUSTOMERS_VIEW}),
    Role.TECHNICIAN: frozenset({Cap.ESTATES_VIEW, Cap.CUSTOMERS_VIEW}),
    Role.CASHIER: frozenset({Cap.ESTATES_VIEW, Cap.CUSTOMERS_VIEW}),
    Role.DIRECTOR: frozenset(_DESK | {Cap.CUSTOMERS_VIEW_PII, Cap.AUDIT_VIEW, Cap.ESTATES_MANAGE}),
    Role.COMPANY_ADMIN: frozenset(_ALL),
}
