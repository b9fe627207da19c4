"""Staff console: upload a spreadsheet, see the dry run, import with a progress bar; exports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import current_community, require, user_can
from propdesk.console.views import staff_view
from propdesk.core.errors import Conflict, Invalid
from propdesk.estates.models import HouseStatus
from propdesk.imports.exports import (
    CSV_TYPE,
    XLSX_TYPE,
    customers_export,
    houses_export,
    template_bytes,
)
from propdesk.imports.kinds import SPECS
from propdesk.imports.models import ImportJob, ImportKind, ImportState
from propdesk.imports.selectors import import_job_get_for_user, import_jobs_visible_to
from propdesk.imports.services import import_job_commit, import_job_create, import_job_step


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@staff_view
def index(request: HttpRequest) -> HttpResponse:
    can_import = user_can(request.user, Cap.IMPORTS_RUN)
    if not (can_import or user_can(request.user, Cap.DATA_EXPORT)):
        raise PermissionDenied
    community = current_community(request)
    if request.method == "POST":
        require(request.user, Cap.IMPORTS_RUN)
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        try:
            if community is None:
                raise Invalid.field("community", _("Choose a community first."))
            if upload is None:
                raise Invalid.field("file", _("Choose a file."))
            if upload.size and upload.size > settings.PROPDESK_UPLOAD_MAX_BYTES:
                raise Invalid.field("file", _("The file is too large."))
            job = import_job_create(
                actor=request.user,
                community_id=community.id,
                kind=kind,
                filename=upload.name or "upload",
                content=upload.read(),
            )
        except Invalid as exc:
            for message in exc.as_list():
                messages.error(request, message["message"])
            return redirect("console:imports:index")
        return redirect("console:imports:job", pk=job.pk)
    jobs = (
        import_jobs_visible_to(request.user, community_id=community.id if community else None)[:20]
        if can_import
        else []
    )
    return render(
        request,
        "console/imports/index.html",
        {
            "community": community,
            "can_import": can_import,
            "can_export": user_can(request.user, Cap.DATA_EXPORT),
            "kinds": [(k, label, SPECS[k].columns) for k, label in ImportKind.choices],
            "jobs": jobs,
            "statuses": HouseStatus.choices,
        },
    )


@staff_view
def template_download(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    require(request.user, Cap.IMPORTS_RUN)
    if kind not in ImportKind.values or fmt not in ("xlsx", "csv"):
        raise Http404
    content = template_bytes(kind, fmt)
    return _download(content, f"{kind}-template.{fmt}", XLSX_TYPE if fmt == "xlsx" else CSV_TYPE)


@staff_view
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = import_job_get_for_user(request.user, pk)
    can_commit = (
        job.state == ImportState.READY
        and ImportJob.objects.filter(pk=job.pk).exclude(payload_cipher="").exists()
    )
    return render(request, "console/imports/job.html", {"job": job, "can_commit": can_commit})


@staff_view
@require_POST
def job_step(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar's poll: handle the next chunk, answer the bar (or reload when done)."""
    job = import_job_step(actor=request.user, job_id=pk)
    response = render(request, "console/imports/_progress.html", {"job": job})
    if not job.is_running:
        response["HX-Refresh"] = "true"
    return response


@staff_view
@require_POST
def job_commit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        import_job_commit(actor=request.user, job_id=pk)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    return redirect("console:imports:job", pk=pk)


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


@staff_view
def export_customers(request: HttpRequest) -> HttpResponse:
    community = current_community(request)
    content = customers_export(
        request.user,
        community_id=community.id if community else None,
        query=request.GET.get("q", "").strip() or None,
    )
    return _download(content, f"customers-{_stamp()}.xlsx", XLSX_TYPE)


@staff_view
def export_houses(request: HttpRequest) -> HttpResponse:
    community = current_community(request)
    status = request.GET.get("status", "")
    content = houses_export(
        request.user,
        community_id=community.id if community else None,
        status=status if status in HouseStatus.values else None,
        query=request.GET.get("q", "").strip() or None,
    )
    return _download(content, f"houses-{_stamp()}.xlsx", XLSX_TYPE)
