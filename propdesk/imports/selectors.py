"""Reads of import jobs, scoped to the communities the user serves."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import community_filter, user_can
from propdesk.core.errors import NotFound

from .models import ImportJob


def import_jobs_visible_to(user: Any, *, community_id: int | None = None) -> QuerySet[ImportJob]:
    if not user_can(user, Cap.IMPORTS_RUN):
        return ImportJob.objects.none()
    return (
        ImportJob.objects.filter(community_filter(user, community_id=community_id))
        .select_related("created_by", "community")
        .defer("payload_cipher")
        .order_by("-created_at", "-id")
    )


def import_job_get_for_user(user: Any, job_id: int | str) -> ImportJob:
    try:
        return import_jobs_visible_to(user).get(id=int(job_id))
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such import.")) from None
