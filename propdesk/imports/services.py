"""Imports (issue 3 §2): upload → check every row (a dry run) → import in chunks.

The check runs each row through the domain services inside a savepoint that is
always rolled back, so a dry run validates exactly like the real thing and
writes nothing. Rows are independent once duplicates inside the file are
refused, so both phases go in chunks: each `import_job_step` handles the next
chunk in its own transaction and commits the progress with it (the console
polls it; the `propdesk import` command loops over it). Nothing is written
unless every row passed the check; the import is idempotent on natural keys,
so an interrupted import is finished by running it (or the file) again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import require
from propdesk.core.crypto import decrypt, encrypt
from propdesk.core.errors import Conflict, DomainError, Invalid
from propdesk.estates.selectors import community_get_for_user

from .kinds import PII_KEYS, SPECS, Context, Row, Spec
from .models import RUNNING_STATES, ImportJob, ImportKind, ImportState
from .selectors import import_job_get_for_user
from .tables import CellError, read_table

CHUNK_ROWS = 250
MAX_REPORTED_ERRORS = 1000


class _RollBack(Exception):
    """Raised to undo a savepoint on purpose (the dry run, a failed chunk)."""


def spec_for(kind: str) -> Spec:
    try:
        return SPECS[kind]
    except KeyError:
        raise Invalid.field("kind", _("Unknown import kind.")) from None


def _mask(key: str, value: str) -> str:
    if key not in PII_KEYS or len(value) <= 4:
        return value
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def _header_key(spec: Spec, header: str) -> str | None:
    text = header.strip().rstrip("*＊").strip()
    for column in spec.columns:
        if text in (column.header, column.key):
            return column.key
    return None


def _map_rows(
    spec: Spec, headers: list[str], body: list[tuple[int, list[str]]]
) -> tuple[list[tuple[int, Row]], list[CellError]]:
    errors: list[CellError] = []
    keys: list[str | None] = []
    for header in headers:
        key = _header_key(spec, header)
        if header.strip() in spec.ignored:
            key = None
        elif header and key is None:
            errors.append(
                CellError(
                    1,
                    header,
                    header,
                    _("Unknown column; the columns of this template are: %(cols)s.")
                    % {"cols": "、".join(c.header for c in spec.columns)},
                )
            )
        elif key is not None and key in keys:
            errors.append(CellError(1, header, header, _("This column appears twice.")))
            key = None
        keys.append(key)
    for column in spec.columns:
        if column.required and column.key not in keys:
            errors.append(CellError(1, column.header, "", _("This required column is missing.")))
    rows: list[tuple[int, Row]] = []
    for number, cells in body:
        row: Row = {}
        for index, value in enumerate(cells):
            key = keys[index] if index < len(keys) else None
            if key is not None:
                row[key] = value
            elif value and index >= len(headers):
                errors.append(
                    CellError(number, "", value, _("A value in a column without a header."))
                )
        rows.append((number, row))
    return rows, errors


def _duplicates(spec: Spec, rows: list[tuple[int, Row]]) -> list[CellError]:
    seen: dict[tuple[str, tuple[str, ...]], int] = {}
    errors = []
    first_key = next(c for c in spec.columns if c.required)
    for number, row in rows:
        for what, key in spec.unique_keys(row):
            if not any(key):
                continue
            earlier = seen.setdefault((what, key), number)
            if earlier == number:
                continue
            reason = (
                _("House %(house)s already gets a current owner in row %(n)d of this file.")
                % {"house": key[0], "n": earlier}
                if what == "owner"
                else _("This row repeats row %(n)d of this file.") % {"n": earlier}
            )
            column = "role" if what == "owner" else first_key.key
            header = spec.column(column)
            errors.append(
                CellError(
                    number,
                    header.header if header else "",
                    _mask(column, row.get(column, "")),
                    reason,
                )
            )
    return errors


def _row_errors(spec: Spec, number: int, row: Row, exc: DomainError) -> list[CellError]:
    if not isinstance(exc, Invalid):
        return [CellError(number, "", "", str(exc.message))]
    out = []
    for name, reasons in exc.errors.items():
        key = spec.blame.get(name, name)
        column = spec.column(key)
        for reason in reasons:
            out.append(
                CellError(
                    number,
                    column.header if column else "",
                    _mask(key, row.get(key, "")) if column else "",
                    str(reason),
                )
            )
    return out


def _run_rows(
    spec: Spec, ctx: Context, rows: list[tuple[int, Row]]
) -> tuple[dict[str, int], list[CellError]]:
    spec.prepare(ctx, [row for _n, row in rows])
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[CellError] = []
    for number, row in rows:
        try:
            with transaction.atomic():
                counts[spec.apply(ctx, row)] += 1
        except DomainError as exc:
            errors.extend(_row_errors(spec, number, row, exc))
    return counts, errors


# The rows of the job this process is stepping through: a job's rows never change,
# so a 10,000-row file is decrypted and parsed once, not once per chunk.
_ROWS_CACHE: dict[tuple[int, dt.datetime, int], list[tuple[int, Row]]] = {}


def _payload(job: ImportJob) -> list[tuple[int, Row]]:
    key = (job.pk, job.created_at, job.rows_total)
    if key not in _ROWS_CACHE:
        cipher = ImportJob.objects.filter(pk=job.pk).values_list("payload_cipher", flat=True)
        text = decrypt(cipher.first() or "")
        _ROWS_CACHE.clear()
        _ROWS_CACHE[key] = [(int(n), row) for n, row in json.loads(text or "[]")]
    return _ROWS_CACHE[key]


def _add_errors(job: ImportJob, errors: list[CellError]) -> None:
    room = MAX_REPORTED_ERRORS - len(job.errors)
    job.errors = [*job.errors, *(e.as_dict() for e in errors[: max(room, 0)])]


def import_job_create(
    *,
    actor: Any,
    community_id: int,
    kind: str,
    filename: str,
    content: bytes,
    now: dt.datetime | None = None,
) -> ImportJob:
    """Read an uploaded spreadsheet into a job that checks its rows (nothing else is written)."""
    require(actor, Cap.IMPORTS_RUN)
    spec = spec_for(kind)
    require(actor, spec.capability)
    community = community_get_for_user(actor, community_id)
    table = read_table(filename, content)
    errors = list(table.errors)
    rows: list[tuple[int, Row]] = []
    if table.headers:
        rows, header_errors = _map_rows(spec, table.headers, table.rows)
        errors += header_errors
    if not any(e.row <= 1 for e in errors):
        errors += _duplicates(spec, rows)
    header_broken = any(e.row <= 1 for e in errors)
    job = ImportJob(
        community=community,
        kind=spec.kind,
        filename=filename[:200],
        created_by=actor,
        created_at=now or timezone.now(),
        rows_total=len(rows),
    )
    _add_errors(job, errors)
    if header_broken or not rows:
        if not rows and not errors:
            _add_errors(job, [CellError(2, "", "", _("The file has no data rows."))])
        job.state = ImportState.INVALID
        job.finished_at = job.created_at
    else:
        job.payload_cipher = encrypt(json.dumps(rows, ensure_ascii=False))
    job.save()
    return job


def import_job_step(
    *, actor: Any, job_id: int, max_rows: int = CHUNK_ROWS, now: dt.datetime | None = None
) -> ImportJob:
    """Check or import the job's next chunk of rows; the progress commits with the chunk."""
    with transaction.atomic():
        job = import_job_get_for_user(actor, job_id)
        job = (
            ImportJob.objects.select_for_update()
            .select_related("community")
            .defer("payload_cipher")
            .get(pk=job.pk)
        )
        if not job.is_running:
            return job
        spec = spec_for(job.kind)
        require(actor, spec.capability)
        ctx = Context(actor=actor, community=job.community)
        rows = _payload(job)
        if job.state == ImportState.CHECKING:
            chunk = rows[job.rows_checked : job.rows_checked + max_rows]
            try:
                with transaction.atomic():
                    counts, errors = _run_rows(spec, ctx, chunk)
                    raise _RollBack
            except _RollBack:
                pass
            job.rows_checked += len(chunk)
            _add_errors(job, errors)
            _count(job, counts)
            if job.rows_checked >= len(rows):
                job.state = ImportState.INVALID if job.errors else ImportState.READY
                if job.errors:
                    job.payload_cipher = ""
                    job.finished_at = now or timezone.now()
        else:
            chunk = rows[job.rows_written : job.rows_written + max_rows]
            try:
                with transaction.atomic():
                    counts, errors = _run_rows(spec, ctx, chunk)
                    if errors:
                        raise _RollBack
            except _RollBack:
                # Someone changed the data since the check: stop; nothing of this chunk stays.
                _add_errors(job, errors)
                job.state = ImportState.FAILED
                job.payload_cipher = ""
                job.finished_at = now or timezone.now()
            else:
                job.rows_written += len(chunk)
                _count(job, counts)
                if job.rows_written >= len(rows):
                    job.state = ImportState.DONE
                    job.payload_cipher = ""
                    job.finished_at = now or timezone.now()
        job.save()
    if job.state not in (ImportState.READY, *RUNNING_STATES):
        _ROWS_CACHE.clear()
    return job


def _count(job: ImportJob, counts: dict[str, int]) -> None:
    job.created += counts["created"]
    job.updated += counts["updated"]
    job.unchanged += counts["unchanged"]


def import_job_commit(*, actor: Any, job_id: int) -> ImportJob:
    """Start writing a checked job's rows (only when every row passed the check)."""
    with transaction.atomic():
        job = import_job_get_for_user(actor, job_id)
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        require(actor, spec_for(job.kind).capability)
        if job.state != ImportState.READY or not job.payload_cipher:
            raise Conflict(
                _("Only a checked file without errors can be imported; upload it again.")
            )
        job.state = ImportState.IMPORTING
        job.created = job.updated = job.unchanged = 0
        job.save(update_fields=["state", "created", "updated", "unchanged"])
    return job


def import_job_discard(*, actor: Any, job_id: int, now: dt.datetime | None = None) -> ImportJob:
    """Forget a checked file's rows without importing them."""
    with transaction.atomic():
        job = import_job_get_for_user(actor, job_id)
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.state == ImportState.READY:
            job.payload_cipher = ""
            job.finished_at = now or timezone.now()
            job.save(update_fields=["payload_cipher", "finished_at"])
    return job


def import_run(
    *,
    actor: Any,
    community_id: int,
    kind: str,
    filename: str,
    content: bytes,
    dry_run: bool = False,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[ImportJob], None] | None = None,
    now: dt.datetime | None = None,
) -> ImportJob:
    """Check a file and, unless `dry_run` or a row fails, import it (the command's path).

    Without `dry_run` the check and the writes are one pass in one transaction,
    rolled back whole if any row fails: half the work of check-then-import.
    """
    job = import_job_create(
        actor=actor,
        community_id=community_id,
        kind=kind,
        filename=filename,
        content=content,
        now=now,
    )
    if dry_run:
        while job.is_running:
            job = import_job_step(actor=actor, job_id=job.pk, max_rows=chunk_rows, now=now)
            if progress:
                progress(job)
        return (
            import_job_discard(actor=actor, job_id=job.pk, now=now)
            if job.state == ImportState.READY
            else job
        )
    if not job.is_running:
        return job
    spec = spec_for(job.kind)
    require(actor, spec.capability)
    ctx = Context(actor=actor, community=job.community)
    rows = _payload(job)
    errors: list[CellError] = []
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    job.state = ImportState.IMPORTING
    try:
        with transaction.atomic():
            for start in range(0, len(rows), chunk_rows):
                chunk = rows[start : start + chunk_rows]
                counts, chunk_errors = _run_rows(spec, ctx, chunk)
                errors += chunk_errors
                for name, n in counts.items():
                    totals[name] += n
                job.rows_written = start + len(chunk)
                if progress:
                    progress(job)
            if errors:
                raise _RollBack
            job.rows_checked = len(rows)
            _count(job, totals)
            job.state = ImportState.DONE
            job.payload_cipher = ""
            job.finished_at = now or timezone.now()
            job.save()
    except _RollBack:
        job.refresh_from_db()
        _add_errors(job, errors)
        job.rows_checked = len(rows)
        job.state = ImportState.INVALID
        job.payload_cipher = ""
        job.finished_at = now or timezone.now()
        job.save()
    _ROWS_CACHE.clear()
    return job


__all__ = [
    "CHUNK_ROWS",
    "ImportKind",
    "import_job_commit",
    "import_job_create",
    "import_job_discard",
    "import_job_step",
    "import_run",
]


ABANDONED_AFTER = dt.timedelta(hours=24)


def import_jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Drop the rows of jobs checked or started but left alone for a day (they hold PII)."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    stale = ImportJob.objects.filter(created_at__lt=cutoff).exclude(payload_cipher="")
    stopped = stale.filter(state__in=RUNNING_STATES).update(
        state=ImportState.FAILED, payload_cipher="", finished_at=now or timezone.now()
    )
    return stopped + stale.update(payload_cipher="", finished_at=now or timezone.now())
