"""The case actions every interface offers: action name → service and its inputs.

The API (`POST /api/cases/{id}/{action}/`) and the console's action forms both
read this one table, so a new action is added once. The services validate
every input and name the field when they refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from propdesk.core.uploads import signature_from_data_url

from . import services


@dataclass(frozen=True)
class ActionSpec:
    service: Callable[..., Any]
    fields: tuple[str, ...]
    # Inputs that are lists (materials, cause factors) rather than one value.
    list_fields: tuple[str, ...] = ()


ACTIONS: dict[str, ActionSpec] = {
    "dispatch": ActionSpec(
        services.case_dispatch,
        ("department_id", "assignee_id", "appointment_start", "appointment_end", "note"),
    ),
    "reassign": ActionSpec(
        services.case_reassign,
        ("department_id", "assignee_id", "appointment_start", "appointment_end", "note"),
    ),
    "accept": ActionSpec(services.case_accept, ("note",)),
    "start": ActionSpec(services.case_start, ("note",)),
    "hold": ActionSpec(services.case_hold, ("reason",)),
    "resume": ActionSpec(services.case_resume, ("note",)),
    "complete": ActionSpec(
        services.case_complete,
        (
            "work_done",
            "materials",
            "labour_minutes",
            "leak_test_at",
            "signoff_kind",
            "signoff_form_number",
            "signature",
            "agreed_price",
            "note",
        ),
        list_fields=("materials",),
    ),
    "leak_test": ActionSpec(services.case_leak_test_record, ("at",)),
    "forward": ActionSpec(services.case_forward, ("department_id", "note")),
    "handle": ActionSpec(services.case_handle, ("note",)),
    "resolve": ActionSpec(
        services.complaint_resolve,
        (
            "judgement",
            "result",
            "responsibility",
            "cause_factors",
            "cause_analysis",
            "remedy",
        ),
        list_fields=("cause_factors",),
    ),
    "tell_result": ActionSpec(services.complaint_tell_result, ("way", "told_at", "note")),
    "answer": ActionSpec(services.case_answer, ("answer",)),
    "return_visit": ActionSpec(
        services.case_return_visit_record, ("method", "result", "rating", "comment")
    ),
    "close": ActionSpec(services.case_close, ("note",)),
    "cancel": ActionSpec(services.case_cancel, ("reason",)),
    "reopen": ActionSpec(services.case_reopen, ("reason",)),
    "customer_accept": ActionSpec(services.paid_service_accept, ("note",)),
    "rework": ActionSpec(services.paid_service_rework, ("reason",)),
    "immediate_action": ActionSpec(services.case_immediate_action_record, ("action_taken",)),
    "reclassify": ActionSpec(
        services.case_reclassify, ("category_id", "severity", "requested_by", "reason")
    ),
}


def run_action(
    action: str,
    *,
    actor: Any,
    case_id: int | str,
    data: Mapping[str, Any],
    list_getter: Callable[[str], list[Any]] | None = None,
) -> Any:
    """Call the service of `action` with the inputs it knows from `data` (others are ignored)."""
    spec = ACTIONS[action]
    kwargs: dict[str, Any] = {}
    for name in spec.fields:
        if name in spec.list_fields:
            value = list_getter(name) if list_getter is not None else data.get(name)
            if value is not None and value != []:
                kwargs[name] = value
        elif name in data:
            kwargs[name] = data[name]
    if action == "complete" and isinstance(kwargs.get("signature"), str):
        raw = kwargs.pop("signature")
        if raw:
            kwargs["signature"] = signature_from_data_url(raw)
    # Required text inputs the caller left out are refused by the service by name.
    for required in (
        "reason",
        "work_done",
        "answer",
        "judgement",
        "result",
        "method",
        "way",
        "at",
        "action_taken",
        "signoff_kind",
    ):
        if required in spec.fields and required not in kwargs and required not in spec.list_fields:
            kwargs[required] = ""
    return spec.service(actor=actor, case_id=case_id, **kwargs)
