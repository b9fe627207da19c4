"""Staff console of the front desk: thin views — parse, call one service or selector, render.

Every page needs `frontdesk.view`; every write goes through a service, which checks
`frontdesk.operate` / `frontdesk.approve` and the community scope itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import current_community, require, user_can
from propdesk.console.views import staff_view
from propdesk.core.errors import Conflict, Invalid, NotFound
from propdesk.estates.models import Community
from propdesk.frontdesk import pdf, selectors, services
from propdesk.frontdesk.models import (
    AuditResult,
    BorrowerKind,
    ConsentMethod,
    IdentityMethod,
    KeyKind,
    KeyStatus,
    ParcelKind,
    ParcelSize,
    ParcelStatus,
    PassReason,
    PassStatus,
    RefusedKind,
)
from propdesk.frontdesk.workflow import allowed_actions

STICKY_KEY = "frontdesk.receive"


def _community(request: HttpRequest) -> Community:
    require(request.user, Cap.FRONTDESK_VIEW)
    community = current_community(request)
    if community is None:
        raise Http404
    return community


class Outcome:
    """The result of one service call, as the template shows it."""

    def __init__(self) -> None:
        self.value: Any = None
        self.errors: dict[str, list[str]] = {}
        self.message = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.message


def _call(fn: Callable[..., Any], **kwargs: Any) -> Outcome:
    out = Outcome()
    try:
        out.value = fn(**kwargs)
    except Invalid as exc:
        out.errors = {field: [str(m) for m in reasons] for field, reasons in exc.errors.items()}
    except Conflict as exc:
        out.message = str(exc.message)
    return out


def _post(request: HttpRequest, *names: str) -> dict[str, str]:
    return {n: request.POST.get(n, "").strip() for n in names}


def _flag(request: HttpRequest, name: str) -> bool:
    return request.POST.get(name) in {"1", "on", "true", "yes"}


def _fail(request: HttpRequest, out: Outcome) -> None:
    if out.message:
        messages.error(request, out.message)
    for field, reasons in out.errors.items():
        for reason in reasons:
            messages.error(request, f"{field}: {reason}")


def _house_id(
    request: HttpRequest,
    community: Community,
    out: Outcome,
    field: str = "house",
    *,
    required: bool = False,
) -> Any:
    typed = request.POST.get(field, "").strip()
    if not typed:
        if required:
            out.errors[field] = [_("Type the house, e.g. 1-1-101.")]
        return None
    try:
        return selectors.house_resolve(request.user, community.pk, typed).pk
    except NotFound as exc:
        out.errors[field] = [str(exc.message)]
        return None


# --- the desk now --------------------------------------------------------------------


@staff_view
def desk(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    data = selectors.desk_now(request.user, community_id=community.pk)
    return render(
        request,
        "console/frontdesk/desk.html",
        {"community": community, "d": data, "now": timezone.now()},
    )


# --- keys ------------------------------------------------------------------------------


@staff_view
def key_list(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    out = Outcome()
    if request.method == "POST":
        house_id = _house_id(request, community, out, required=True)
        if not out.errors:
            data = _post(
                request,
                "kind",
                "depositor_name",
                "identity_method",
                "identity_note",
                "condition",
                "tag_number",
                "cabinet_slot",
                "copies",
                "signature",
                "paper_form_number",
                "note",
            )
            out = _call(
                services.key_deposit,
                actor=request.user,
                house_id=house_id or "",
                customer_id=request.POST.get("customer_id") or None,
                **data,
            )
            if out.ok:
                messages.success(
                    request,
                    _("Key %(tag)s is in slot %(slot)s.")
                    % {"tag": out.value.tag_number, "slot": out.value.cabinet_slot},
                )
                return redirect("console:frontdesk:key-detail", out.value.pk)
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()
    keys = selectors.keys_visible_to(
        request.user,
        community_id=community.pk,
        status=status or None,
        query=q or None,
        include_released=status == KeyStatus.RELEASED,
    )
    page = Paginator(keys, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "console/frontdesk/key_list.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "statuses": KeyStatus.choices,
            "kinds": KeyKind.choices,
            "identity_methods": IdentityMethod.choices,
            "out": out,
            "form": request.POST,
            "can_operate": user_can(request.user, Cap.FRONTDESK_OPERATE),
        },
        status=400 if out.errors or out.message else 200,
    )


@staff_view
def key_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request)
    key = selectors.key_get_for_user(request.user, pk)
    out = Outcome()
    if request.method == "POST":
        action = request.POST.get("action", "")
        actor = request.user
        if action == "lend":
            out = _call(
                services.key_lend,
                actor=actor,
                key_id=key.pk,
                **_post(
                    request,
                    "borrower_kind",
                    "borrower_name",
                    "borrower_phone",
                    "purpose",
                    "promised_back_at",
                ),
            )
        elif action == "take_back":
            out = _call(
                services.key_take_back,
                actor=actor,
                key_id=key.pk,
                back_at=request.POST.get("back_at") or None,
                note=request.POST.get("note", ""),
            )
        elif action == "consent":
            out = _call(
                services.key_consent_record,
                actor=actor,
                key_id=key.pk,
                **_post(request, "method", "given_by", "given_at", "purpose"),
            )
        elif action == "approve":
            out = _call(
                services.key_approval_grant,
                actor=actor,
                key_id=key.pk,
                **_post(request, "until", "reason"),
            )
        elif action == "release":
            out = _call(
                services.key_release,
                actor=actor,
                key_id=key.pk,
                **_post(request, "receiver_name", "signature", "paper_form_number", "note"),
            )
        else:
            out.message = _("Unknown action.")
        if out.ok:
            messages.success(request, _("Saved."))
            return redirect("console:frontdesk:key-detail", key.pk)
        key = selectors.key_get_for_user(request.user, pk)
    return render(
        request,
        "console/frontdesk/key_detail.html",
        {
            "community": community,
            "key": key,
            "lend": selectors.key_open_lend(key),
            "lends": key.lends.select_related("lent_by", "received_by", "approval", "consent")[:20],
            "events": selectors.history_of("key", key.pk),
            "actions": allowed_actions("key", key.status),
            "borrower_kinds": BorrowerKind.choices,
            "consent_methods": ConsentMethod.choices,
            "out": out,
            "form": request.POST,
            "can_operate": user_can(request.user, Cap.FRONTDESK_OPERATE),
            "can_approve": user_can(request.user, Cap.FRONTDESK_APPROVE),
        },
        status=400 if out.errors or out.message else 200,
    )


@staff_view
def key_audit(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    keys = list(
        selectors.keys_visible_to(request.user, community_id=community.pk)
        .filter(status__in=[KeyStatus.IN_CABINET, KeyStatus.MISSING])
        .order_by("cabinet_slot")
    )
    out = Outcome()
    if request.method == "POST":
        results = {
            k.pk: {
                "result": request.POST.get(f"r{k.pk}", ""),
                "found_slot": request.POST.get(f"s{k.pk}", ""),
                "note": request.POST.get(f"n{k.pk}", ""),
            }
            for k in keys
        }
        out = _call(
            services.key_audit_record,
            actor=request.user,
            community_id=community.pk,
            results=results,
            note=request.POST.get("note", ""),
        )
        if out.ok:
            messages.success(
                request,
                _("Audit saved: %(p)d present, %(m)d missing, %(x)d misplaced.")
                % {"p": out.value.present, "m": out.value.missing, "x": out.value.misplaced},
            )
            return redirect("console:frontdesk:key-audit")
    return render(
        request,
        "console/frontdesk/key_audit.html",
        {
            "keys": keys,
            "results": AuditResult.choices,
            "audits": selectors.key_audits(request.user, community_id=community.pk)[:10],
            "out": out,
            "form": request.POST,
        },
        status=400 if out.errors or out.message else 200,
    )


# --- parcels -----------------------------------------------------------------------------


@staff_view
def parcel_list(request: HttpRequest) -> HttpResponse:
    """The mail register: the scan-first receive form and what waits, oldest first."""
    community = _community(request)
    out = Outcome()
    sticky: dict[str, Any] = {"size": "s", "kind": "parcel", "carrier": "", "shelf": ""}
    sticky.update(request.session.get(STICKY_KEY, {}))
    if request.method == "POST":
        data = _post(request, "tracking_number", "carrier", "kind", "size", "shelf")
        house_id = _house_id(request, community, out, required=True)
        if not out.errors:
            out = _call(
                services.parcel_receive,
                actor=request.user,
                house_id=house_id,
                customer_id=request.POST.get("customer_id") or None,
                perishable=_flag(request, "perishable"),
                photo=request.FILES.get("photo"),
                **data,
            )
        sticky = {
            "carrier": data["carrier"],
            "kind": data["kind"],
            "size": data["size"],
            "shelf": data["shelf"],
        }
        request.session[STICKY_KEY] = sticky
        if out.ok:
            p = out.value
            messages.success(
                request,
                _("Received for %(house)s %(name)s, code %(code)s, shelf %(shelf)s.")
                % {
                    "house": p.house.label,
                    "name": p.customer.name,
                    "code": p.pickup_code,
                    "shelf": p.shelf or "-",
                },
            )
            return redirect("console:frontdesk:parcel-list")
    q = request.GET.get("q", "").strip()
    if q:
        rows: Any = list(
            selectors.parcels_visible_to(request.user, community_id=community.pk, query=q)[:100]
        )
    else:
        rows = selectors.parcels_aging(request.user, community_id=community.pk)
    return render(
        request,
        "console/frontdesk/parcel_list.html",
        {
            "rows": rows,
            "q": q,
            "out": out,
            "form": request.POST if out.errors or out.message else {},
            "sticky": sticky,
            "kinds": ParcelKind.choices,
            "sizes": ParcelSize.choices,
            "consent_methods": ConsentMethod.choices,
            "can_operate": user_can(request.user, Cap.FRONTDESK_OPERATE),
        },
        status=400 if out.errors or out.message else 200,
    )


@staff_view
def parcel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _community(request)
    parcel = selectors.parcel_get_for_user(request.user, pk)
    out = Outcome()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "pickup":
            out = _call(
                services.parcel_pickup,
                actor=request.user,
                parcel_id=parcel.pk,
                **_post(
                    request,
                    "method",
                    "code",
                    "collector_name",
                    "identity_note",
                    "signature",
                    "paper_form_number",
                ),
            )
        elif action == "undeliverable":
            out = _call(
                services.parcel_mark_undeliverable,
                actor=request.user,
                parcel_id=parcel.pk,
                reason=request.POST.get("reason", ""),
            )
        else:
            out.message = _("Unknown action.")
        if out.ok:
            messages.success(request, _("Saved."))
            return redirect("console:frontdesk:parcel-detail", parcel.pk)
    return render(
        request,
        "console/frontdesk/parcel_detail.html",
        {
            "p": parcel,
            "events": selectors.history_of("parcel", parcel.pk),
            "actions": allowed_actions("parcel", parcel.status),
            "out": out,
            "form": request.POST,
            "code": request.GET.get("code", ""),
            "can_operate": user_can(request.user, Cap.FRONTDESK_OPERATE),
        },
        status=400 if out.errors or out.message else 200,
    )


@staff_view
def parcel_find(request: HttpRequest) -> HttpResponse:
    """The pickup code typed at the counter opens the parcel (this community's only)."""
    community = _community(request)
    code = request.GET.get("code", "").strip()
    match = (
        selectors.parcels_visible_to(request.user, community_id=community.pk)
        .filter(pickup_code=code, status=ParcelStatus.WAITING)
        .first()
        if code
        else None
    )
    if match is None:
        messages.error(request, _("No parcel waits with this code at this desk."))
        return redirect("console:frontdesk:parcel-list")
    return redirect(reverse("console:frontdesk:parcel-detail", args=[match.pk]) + f"?code={code}")


@staff_view
@require_POST
def parcel_consent(request: HttpRequest) -> HttpResponse:
    _community(request)
    out = _call(
        services.parcel_consent_set,
        actor=request.user,
        customer_id=request.POST.get("customer_id", ""),
        granted=request.POST.get("granted", "1") == "1",
        method=request.POST.get("method", ""),
        note=request.POST.get("note", ""),
    )
    if out.ok:
        messages.success(request, _("Consent recorded."))
    else:
        _fail(request, out)
    return redirect(request.POST.get("next") or "console:frontdesk:parcel-list")


@staff_view
def mail_returns(request: HttpRequest) -> HttpResponse:
    """The daily list of undeliverable mail due back at the post office (R-PCL-3)."""
    community = _community(request)
    out = Outcome()
    if request.method == "POST":
        out = _call(
            services.parcel_return_to_post,
            actor=request.user,
            community_id=community.pk,
            parcel_ids=request.POST.getlist("parcel"),
            **_post(request, "postal_worker", "postal_receipt_number"),
        )
        if out.ok:
            messages.success(request, _("%(n)d items returned.") % {"n": len(out.value)})
            return redirect("console:frontdesk:mail-returns")
    return render(
        request,
        "console/frontdesk/mail_returns.html",
        {
            "rows": selectors.mail_return_list(request.user, community_id=community.pk),
            "out": out,
            "form": request.POST,
        },
        status=400 if out.errors or out.message else 200,
    )


# --- storage and refusals -----------------------------------------------------------------


@staff_view
def storage(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    out = Outcome()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "deposit":
            house_id = _house_id(request, community, out)
            if not out.errors:
                out = _call(
                    services.storage_deposit,
                    actor=request.user,
                    community_id=community.pk,
                    house_id=house_id,
                    valuable=_flag(request, "valuable"),
                    **_post(request, "owner_name", "owner_phone", "description", "label_number"),
                )
        elif action == "collect":
            out = _call(
                services.storage_collect,
                actor=request.user,
                item_id=request.POST.get("item", ""),
                collected_by_name=request.POST.get("collected_by_name", ""),
            )
        elif action == "follow_up":
            out = _call(
                services.storage_follow_up,
                actor=request.user,
                item_id=request.POST.get("item", ""),
                method=request.POST.get("method", ""),
                outcome=request.POST.get("outcome", ""),
            )
        elif action == "refuse":
            house_id = _house_id(request, community, out)
            if not out.errors:
                out = _call(
                    services.refusal_record,
                    actor=request.user,
                    community_id=community.pk,
                    house_id=house_id,
                    **_post(request, "kind", "person_name", "description", "reason"),
                )
        else:
            out.message = _("Unknown action.")
        if out.ok:
            messages.success(request, _("Saved."))
            return redirect("console:frontdesk:storage")
    return render(
        request,
        "console/frontdesk/storage.html",
        {
            "rows": selectors.storage_end_of_day(request.user, community_id=community.pk),
            "refusals": selectors.refusals_visible_to(request.user, community_id=community.pk)[:20],
            "refused_kinds": RefusedKind.choices,
            "follow_up_methods": services.FOLLOW_UP_METHODS,
            "out": out,
            "form": request.POST,
            "action": request.POST.get("action", ""),
            "can_operate": user_can(request.user, Cap.FRONTDESK_OPERATE),
        },
        status=400 if out.errors or out.message else 200,
    )


# --- release passes -------------------------------------------------------------------------


@staff_view
def pass_list(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    out = Outcome()
    if request.method == "POST":
        house_id = _house_id(request, community, out, required=True)
        if not out.errors:
            out = _call(
                services.pass_apply,
                actor=request.user,
                house_id=house_id or "",
                applicant_customer_id=request.POST.get("applicant_customer_id") or None,
                **_post(
                    request,
                    "applicant_name",
                    "applicant_phone",
                    "owner_consent_note",
                    "items",
                    "reason",
                    "valid_on",
                ),
            )
            if out.ok:
                messages.success(request, _("Application saved."))
                return redirect("console:frontdesk:pass-detail", out.value.pk)
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()
    qs = selectors.passes_visible_to(
        request.user, community_id=community.pk, status=status or None, query=q or None
    )
    return render(
        request,
        "console/frontdesk/pass_list.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "q": q,
            "status": status,
            "statuses": PassStatus.choices,
            "reasons": PassReason.choices,
            "today": timezone.localdate().isoformat(),
            "out": out,
            "form": request.POST,
            "can_operate": user_can(request.user, Cap.FRONTDESK_OPERATE),
        },
        status=400 if out.errors or out.message else 200,
    )


@staff_view
def pass_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _community(request)
    release = selectors.pass_get_for_user(request.user, pk)
    out = Outcome()
    if request.method == "POST":
        action = request.POST.get("action", "")
        note = request.POST.get("note", "")
        if action in {"approve", "reject"}:
            out = _call(
                services.pass_decide,
                actor=request.user,
                pass_id=release.pk,
                approve=action == "approve",
                note=note,
            )
        elif action == "cancel":
            out = _call(services.pass_cancel, actor=request.user, pass_id=release.pk, note=note)
        else:
            out.message = _("Unknown action.")
        if out.ok:
            messages.success(request, _("Saved."))
            return redirect("console:frontdesk:pass-detail", release.pk)
    return render(
        request,
        "console/frontdesk/pass_detail.html",
        {
            "r": release,
            "qr": pdf.pass_qr_svg(release) if release.number else "",
            "events": selectors.history_of("pass", release.pk),
            "actions": allowed_actions("pass", release.status),
            "out": out,
            "form": request.POST,
            "can_operate": user_can(request.user, Cap.FRONTDESK_OPERATE),
            "can_approve": user_can(request.user, Cap.FRONTDESK_APPROVE),
        },
        status=400 if out.errors or out.message else 200,
    )


@staff_view
def pass_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _community(request)
    release = selectors.pass_get_for_user(request.user, pk)
    if not release.number:
        raise Http404(_("The pass has no number until it is approved."))
    response = HttpResponse(pdf.pass_pdf(release), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pass-{release.number}.pdf"'
    return response


@staff_view
def gate(request: HttpRequest) -> HttpResponse:
    """Phone-sized gate check: scan or type the number → valid / used / expired; let out once."""
    community = _community(request)
    number = (request.POST.get("number") or request.GET.get("n") or "").strip()
    verdict = None
    used = None
    error = ""
    if request.method == "POST" and request.POST.get("action") == "use":
        out = _call(
            services.pass_use,
            actor=request.user,
            community_id=community.pk,
            number=number,
            gate=request.POST.get("gate", ""),
        )
        if out.ok:
            used = out.value
        else:
            error = out.message or "; ".join(m for ms in out.errors.values() for m in ms)
    if number:
        verdict = selectors.pass_verdict(request.user, community_id=community.pk, number=number)
    return render(
        request,
        "console/frontdesk/gate.html",
        {
            "number": number,
            "verdict": verdict,
            "used": used,
            "error": error,
            "gate_name": request.POST.get("gate") or request.session.get("frontdesk.gate", ""),
        },
        status=409 if error else 200,
    )


# --- handover -------------------------------------------------------------------------------


@staff_view
def handover_list(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    out = Outcome()
    if request.method == "POST":
        out = _call(
            services.handover_create,
            actor=request.user,
            community_id=community.pk,
            notes=request.POST.get("notes", ""),
        )
        if out.ok:
            return redirect("console:frontdesk:handover-detail", out.value.pk)
    q = request.GET.get("q", "").strip()
    qs = selectors.handovers_visible_to(request.user, community_id=community.pk, query=q or None)
    return render(
        request,
        "console/frontdesk/handover_list.html",
        {
            "page": Paginator(qs, 30).get_page(request.GET.get("page")),
            "q": q,
            "out": out,
            "can_operate": user_can(request.user, Cap.FRONTDESK_OPERATE),
        },
        status=400 if out.errors or out.message else 200,
    )


@staff_view
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _community(request)
    handover = selectors.handover_get_for_user(request.user, pk)
    out = Outcome()
    if request.method == "POST":
        out = _call(
            services.handover_confirm,
            actor=request.user,
            handover_id=handover.pk,
            signature=request.POST.get("signature", ""),
        )
        if out.ok:
            messages.success(request, _("Handover confirmed."))
            return redirect("console:frontdesk:handover-detail", handover.pk)
    return render(
        request,
        "console/frontdesk/handover_detail.html",
        {
            "h": handover,
            "s": handover.snapshot,
            "out": out,
            "can_confirm": handover.confirmed_at is None
            and handover.outgoing_id != request.user.pk
            and user_can(request.user, Cap.FRONTDESK_OPERATE),
        },
        status=400 if out.errors or out.message else 200,
    )
