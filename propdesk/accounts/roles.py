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
    # Service desk (issue 4) and deadlines (issue 5)
    CASES_VIEW = "servicedesk.view"
    CASES_INTAKE = "servicedesk.intake"
    CASES_DISPATCH = "servicedesk.dispatch"
    CASES_WORK = "servicedesk.work"
    CASES_HANDLE = "servicedesk.handle"
    CASES_RETURN_VISIT = "servicedesk.return_visit"
    CASES_CONFIGURE = "servicedesk.configure"
    SLA_CONFIGURE = "sla.configure"
    NOTIFY_VIEW = "notify.view"
    # Search, import and export (issue 3)
    IMPORTS_RUN = "imports.run"
    DATA_EXPORT = "imports.export"
    # Billing (issue 6)
    BILLING_VIEW = "billing.view"
    BILLING_COLLECT = "billing.collect"
    BILLING_MANAGE = "billing.manage"
    BILLING_APPROVE = "billing.approve"
    # Front desk (issue 7)
    FRONTDESK_VIEW = "frontdesk.view"
    FRONTDESK_OPERATE = "frontdesk.operate"
    FRONTDESK_APPROVE = "frontdesk.approve"


_ALL = {v for k, v in vars(Cap).items() if k.isupper()}
_DESK = {
    Cap.ESTATES_VIEW,
    Cap.CUSTOMERS_VIEW,
    Cap.CUSTOMERS_MANAGE,
    Cap.CUSTOMERS_ARCHIVE,
    Cap.CASES_VIEW,
    Cap.CASES_INTAKE,
    Cap.CASES_DISPATCH,
    Cap.CASES_RETURN_VISIT,
    Cap.NOTIFY_VIEW,
    Cap.BILLING_VIEW,
    Cap.FRONTDESK_VIEW,
    Cap.FRONTDESK_OPERATE,
    Cap.DATA_EXPORT,
}
_MANAGER = {
    Cap.CUSTOMERS_VIEW_PII,
    Cap.AUDIT_VIEW,
    Cap.CASES_HANDLE,
    Cap.CASES_CONFIGURE,
    Cap.SLA_CONFIGURE,
    Cap.FRONTDESK_APPROVE,
    Cap.IMPORTS_RUN,
    Cap.BILLING_APPROVE,
}
_FIELD = {Cap.ESTATES_VIEW, Cap.CUSTOMERS_VIEW, Cap.CASES_VIEW, Cap.CASES_WORK}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.FRONT_DESK: frozenset(_DESK),
    Role.STEWARD: frozenset(_DESK | {Cap.CUSTOMERS_VIEW_PII}),
    Role.CS_SUPERVISOR: frozenset(_DESK | _MANAGER),
    Role.DEPARTMENT_HEAD: frozenset(
        _FIELD | {Cap.CASES_DISPATCH, Cap.CASES_HANDLE, Cap.FRONTDESK_VIEW, Cap.FRONTDESK_APPROVE}
    ),
    Role.TECHNICIAN: frozenset(_FIELD),
    Role.CASHIER: frozenset(
        {Cap.ESTATES_VIEW, Cap.CUSTOMERS_VIEW, Cap.BILLING_VIEW, Cap.BILLING_COLLECT}
    ),
    Role.DIRECTOR: frozenset(_DESK | _MANAGER | {Cap.ESTATES_MANAGE, Cap.BILLING_MANAGE}),
    Role.COMPANY_ADMIN: frozenset(_ALL),
}
