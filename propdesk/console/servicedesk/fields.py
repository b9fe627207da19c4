"""How the console renders each input of a case action (labels, widgets, choices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from propdesk.servicedesk.models import (
    CauseFactor,
    Judgement,
    Responsibility,
    SignoffKind,
    VisitMethod,
    VisitResult,
)
from propdesk.servicedesk.services import ANSWER_WAYS


@dataclass(frozen=True)
class FieldMeta:
    label: str | Promise
    widget: str = "text"  # text, textarea, datetime, select, multi, number, staff, department
    choices: tuple[tuple[str, Any], ...] = field(default_factory=tuple)
    required: bool = False


FIELDS: dict[str, FieldMeta] = {
    "note": FieldMeta(_("Note"), "textarea"),
    "reason": FieldMeta(_("Reason"), "textarea", required=True),
    "department_id": FieldMeta(_("Department"), "department", required=True),
    "assignee_id": FieldMeta(_("Technician"), "staff", required=True),
    "appointment_start": FieldMeta(_("Appointment from"), "datetime"),
    "appointment_end": FieldMeta(_("Appointment until"), "datetime"),
    "work_done": FieldMeta(_("Work done"), "textarea", required=True),
    "materials": FieldMeta(_("Materials"), "materials"),
    "labour_minutes": FieldMeta(_("Labour (minutes)"), "number"),
    "leak_test_at": FieldMeta(_("Leak test"), "datetime"),
    "at": FieldMeta(_("Leak test"), "datetime", required=True),
    "signoff_kind": FieldMeta(
        _("Customer sign-off"), "select", tuple(c for c in SignoffKind.choices if c[0]), True
    ),
    "signoff_form_number": FieldMeta(_("Paper form number")),
    "signature": FieldMeta(_("Signature"), "signature"),
    "agreed_price": FieldMeta(_("Agreed amount (¥)"), "number"),
    "judgement": FieldMeta(_("Judgement"), "select", tuple(Judgement.choices), True),
    "result": FieldMeta(_("Result"), "textarea", required=True),
    "responsibility": FieldMeta(_("Responsibility"), "select", tuple(Responsibility.choices)),
    "cause_factors": FieldMeta(_("Causes (人机料法环)"), "multi", tuple(CauseFactor.choices)),
    "cause_analysis": FieldMeta(_("Cause analysis"), "textarea"),
    "remedy": FieldMeta(_("Remedy"), "textarea"),
    "way": FieldMeta(
        _("Told by"),
        "select",
        tuple(
            (k, label)
            for (k, _v), label in zip(
                ANSWER_WAYS,
                (_("Phone"), _("Visit"), _("SMS"), _("Owners' portal"), _("Letter")),
                strict=True,
            )
        ),
        True,
    ),
    "told_at": FieldMeta(_("Told at"), "datetime"),
    "answer": FieldMeta(_("Answer"), "textarea", required=True),
    "method": FieldMeta(_("Method"), "select", tuple(VisitMethod.choices), True),
    "rating": FieldMeta(
        _("Rating"), "select", tuple((str(i), "★" * i) for i in range(5, 0, -1)), True
    ),
    "comment": FieldMeta(_("Comment"), "textarea"),
    "action_taken": FieldMeta(_("What was done at once"), "textarea", required=True),
}

# Result of a return visit without "unreachable" (that is a note, not a visit).
FIELDS["visit_result"] = FieldMeta(
    _("Result"), "select", tuple(c for c in VisitResult.choices if c[0] != "unreachable"), True
)
