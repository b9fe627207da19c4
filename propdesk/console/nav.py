"""The console's navigation: one list every domain's console module adds to.

Each item names a URL and the capability needed to see it; the base layout
renders the items the user may use, in this order.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from propdesk.accounts.roles import Cap


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    capability: str
    icon: str = ""


NAV: list[NavItem] = [
    NavItem(_("New case"), "console:servicedesk:intake", Cap.CASES_INTAKE),
    NavItem(_("Cases"), "console:servicedesk:queue", Cap.CASES_VIEW),
    NavItem(_("My jobs"), "console:servicedesk:jobs", Cap.CASES_WORK),
    NavItem(_("Return visits"), "console:servicedesk:visits", Cap.CASES_RETURN_VISIT),
    NavItem(_("Customers"), "console:customer-list", Cap.CUSTOMERS_VIEW),
    NavItem(_("Houses"), "console:house-list", Cap.ESTATES_VIEW),
    NavItem(_("Outbox"), "console:notify:outbox", Cap.NOTIFY_VIEW),
    NavItem(_("Message templates"), "console:notify:templates", Cap.SLA_CONFIGURE),
    NavItem(_("Front desk"), "console:frontdesk:desk", Cap.FRONTDESK_VIEW),
    NavItem(_("Import and export"), "console:imports:index", Cap.DATA_EXPORT),
    NavItem(_("Deadline policies"), "console:sla:policies", Cap.SLA_CONFIGURE),
    NavItem(_("Compliance"), "console:sla:report", Cap.CASES_HANDLE),
    NavItem(_("Cashier desk"), "console:billing:desk", Cap.BILLING_COLLECT),
    NavItem(_("Billing runs"), "console:billing:run-list", Cap.BILLING_MANAGE),
    NavItem(_("Fee standards"), "console:billing:fees", Cap.BILLING_VIEW),
    NavItem(_("Collection"), "console:collection:worklist", Cap.BILLING_VIEW),
    NavItem(_("Arrears reports"), "console:collection:arrears", Cap.BILLING_VIEW),
]
