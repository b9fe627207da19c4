"""Writes of staff accounts: create, role and department, community scopes.

Only holders of `accounts.manage_staff` (company administrators) call these;
every change is audited with its before/after (issue 2, point 7).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.core import validation as v
from propdesk.core.audit import audit_record, snapshot
from propdesk.core.errors import Conflict, ErrorCollector, Invalid, NotFound
from propdesk.core.models import AuditAction
from propdesk.estates.models import Community

from .models import Department, StaffScope, User, UserKind
from .roles import Cap, Role
from .selectors import community_ids_for, forget_scope_cache, require

STAFF_AUDIT_FIELDS = (
    "username",
    "display_name",
    "role",
    "department",
    "company",
    "all_communities",
    "is_active",
)


def staff_get_for_admin(actor: Any, user_id: int | str) -> User:
    """A staff member the administrator may manage: same company (superusers: any)."""
    try:
        qs = User.objects.filter(kind=UserKind.STAFF, pk=int(user_id))
    except (TypeError, ValueError):
        raise NotFound(_("No such staff member.")) from None
    if not actor.is_superuser:
        qs = qs.filter(company_id=actor.company_id)
    user = qs.select_related("department", "company").first()
    if user is None:
        raise NotFound(_("No such staff member."))
    return user


def _community_for_admin(actor: Any, community_id: int | str) -> Community:
    try:
        pk = int(community_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such community.")) from None
    if pk not in community_ids_for(actor):
        raise NotFound(_("No such community."))
    return Community.objects.get(pk=pk)


def _clean_department(
    errors: ErrorCollector, company_id: int | None, department_id: int | str | None
) -> Department | None:
    if department_id is None or department_id == "":
        return None
    try:
        return Department.objects.get(pk=int(department_id), company_id=company_id or 0)
    except (Department.DoesNotExist, TypeError, ValueError):
        errors.add("department_id", _("Unknown department."))
        return None


def staff_create(
    *,
    actor: Any,
    username: str,
    password: str,
    display_name: str,
    role: str,
    department_id: int | None = None,
    community_ids: list[int] | tuple[int, ...] = (),
    all_communities: bool = False,
    phone: str = "",
    now: dt.datetime | None = None,
) -> User:
    """Create a staff login with a role, a department and the communities it serves."""
    require(actor, Cap.STAFF_MANAGE)
    now = now or timezone.now()
    communities = [_community_for_admin(actor, cid) for cid in dict.fromkeys(community_ids)]
    company_id = actor.company_id or (communities[0].company_id if communities else None)
    errors = ErrorCollector()
    username = v.text(errors, "username", username, max_length=150)
    display_name = v.text(errors, "display_name", display_name, max_length=100)
    role = v.choice(errors, "role", role, Role.choices)
    phone = v.text(errors, "phone", phone, max_length=20, required=False)
    department = _clean_department(errors, company_id, department_id)
    if username and User.objects.filter(username__iexact=username).exists():
        errors.add("username", _("This login name is taken."))
    if not password:
        errors.add("password", _("This field is required."))
    else:
        try:
            validate_password(password, User(username=username, display_name=display_name))
        except ValidationError as exc:
            for message in exc.messages:
                errors.add("password", message)
    if not communities and not all_communities:
        errors.add("community_ids", _("Choose at least one community."))
    errors.raise_if_any()
    try:
        with transaction.atomic():
            user = User(
                username=username,
                display_name=display_name,
                kind=UserKind.STAFF,
                role=role,
                department=department,
                company_id=company_id,
                all_communities=all_communities,
                phone=phone,
                date_joined=now,
            )
            user.set_password(password)
            user.save()
            audit_record(
                actor=actor,
                instance=user,
                action=AuditAction.CREATE,
                after=snapshot(user, STAFF_AUDIT_FIELDS),
                at=now,
            )
            for community in communities:
                _scope_add(actor, user, community, now)
    except IntegrityError:
        raise Invalid.field("username", _("This login name is taken.")) from None
    return user


def _scope_add(actor: Any, user: User, community: Community, now: dt.datetime) -> StaffScope:
    scope = StaffScope.objects.create(user=user, community=community, granted_at=now)
    audit_record(
        actor=actor,
        instance=scope,
        action=AuditAction.CREATE,
        community_id=community.pk,
        after={"user": str(user.pk), "username": user.username, "community": str(community.pk)},
        at=now,
    )
    return scope


def staff_scope_grant(
    *, actor: Any, user_id: int, community_id: int, now: dt.datetime | None = None
) -> StaffScope:
    """Let a staff member serve one more community."""
    require(actor, Cap.STAFF_MANAGE)
    now = now or timezone.now()
    with transaction.atomic():
        user = staff_get_for_admin(actor, user_id)
        user = User.objects.select_for_update().get(pk=user.pk)
        community = _community_for_admin(actor, community_id)
        if user.company_id and community.company_id != user.company_id:
            raise Invalid.field(
                "community_id", _("The community belongs to another company than the staff.")
            )
        if StaffScope.objects.filter(user=user, community=community).exists():
            raise Invalid.field(
                "community_id",
                _("%(user)s already serves %(community)s.")
                % {"user": user, "community": community},
            )
        scope = _scope_add(actor, user, community, now)
    forget_scope_cache(user)
    return scope


def staff_scope_revoke(
    *, actor: Any, user_id: int, community_id: int, now: dt.datetime | None = None
) -> None:
    """Stop a staff member serving a community; the audit keeps who had it and since when."""
    require(actor, Cap.STAFF_MANAGE)
    with transaction.atomic():
        user = staff_get_for_admin(actor, user_id)
        user = User.objects.select_for_update().get(pk=user.pk)
        community = _community_for_admin(actor, community_id)
        scope = StaffScope.objects.filter(user=user, community=community).first()
        if scope is None:
            raise Invalid.field(
                "community_id",
                _("%(user)s does not serve %(community)s.")
                % {"user": user, "community": community},
            )
        audit_record(
            actor=actor,
            instance=scope,
            action=AuditAction.DELETE,
            community_id=community.pk,
            before={
                "user": str(user.pk),
                "username": user.username,
                "community": str(community.pk),
                "granted_at": scope.granted_at.isoformat(),
            },
            at=now,
        )
        scope.delete()
    forget_scope_cache(user)


_UNSET: Any = object()


def staff_update_role(
    *,
    actor: Any,
    user_id: int,
    role: str,
    department_id: int | None = _UNSET,
    now: dt.datetime | None = None,
) -> User:
    """Change a staff member's role (and, when given, department)."""
    require(actor, Cap.STAFF_MANAGE)
    with transaction.atomic():
        user = staff_get_for_admin(actor, user_id)
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.pk == actor.pk and role != user.role:
            # An administrator demoting themselves could leave the company with none.
            raise Conflict(_("You cannot change your own role; ask another administrator."))
        before = snapshot(user, STAFF_AUDIT_FIELDS)
        errors = ErrorCollector()
        role = v.choice(errors, "role", role, Role.choices)
        fields = ["role"]
        if department_id is not _UNSET:
            user.department = _clean_department(errors, user.company_id, department_id)
            fields.append("department")
        errors.raise_if_any()
        user.role = role
        user.save(update_fields=fields)
        audit_record(
            actor=actor,
            instance=user,
            action=AuditAction.UPDATE,
            before=before,
            after=snapshot(user, STAFF_AUDIT_FIELDS),
            at=now,
        )
    return user
