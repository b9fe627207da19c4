"""`propdesk import <kind> <file> --community CODE [--dry-run] [--user NAME]`."""  # noqa: N999

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from propdesk.accounts.models import User, UserKind
from propdesk.accounts.roles import Role
from propdesk.core.errors import DomainError
from propdesk.estates.models import Community
from propdesk.imports.models import ImportJob, ImportKind, ImportState
from propdesk.imports.services import import_run


class Command(BaseCommand):
    help = (
        "Import buildings, houses, customers or occupancies from an .xlsx or .csv file "
        "(UTF-8 or GBK). Every row is checked first; nothing is written if one fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file", type=Path)
        parser.add_argument("--community", required=True, help="community code")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--user",
            default="",
            help="staff username to act as (default: the company's first administrator)",
        )
        parser.add_argument("--chunk", type=int, default=1000, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(code=options["community"]).first()
        if community is None:
            raise CommandError(f"No community with code {options['community']!r}.")
        actor = self._actor(options["user"], community)
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        self._last = -1
        try:
            job = import_run(
                actor=actor,
                community_id=community.pk,
                kind=options["kind"],
                filename=path.name,
                content=content,
                dry_run=options["dry_run"],
                chunk_rows=max(1, options["chunk"]),
                progress=self._progress,
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self._report(job, dry_run=options["dry_run"])

    def _actor(self, username: str, community: Community) -> User:
        staff = User.objects.filter(kind=UserKind.STAFF, is_active=True)
        if username:
            user = staff.filter(username=username).first()
            if user is None:
                raise CommandError(f"No active staff user {username!r}.")
            return user
        user = (
            staff.filter(role=Role.COMPANY_ADMIN, company_id=community.company_id)
            .order_by("id")
            .first()
        )
        if user is None:
            raise CommandError("No company administrator found; name one with --user.")
        return user

    def _progress(self, job: ImportJob) -> None:
        if not sys.stdout.isatty() and job.progress_percent == self._last:
            return
        self._last = job.progress_percent
        phase = (
            "importing" if job.state in (ImportState.IMPORTING, ImportState.DONE) else "checking"
        )
        filled = job.progress_percent * 30 // 100
        bar = "#" * filled + "-" * (30 - filled)
        self.stdout.write(
            f"\r{phase:9} [{bar}] {job.progress_percent:3d}% {job.progress_done}/{job.rows_total}",
            ending="\n" if not sys.stdout.isatty() else "",
        )
        self.stdout.flush()

    def _report(self, job: ImportJob, *, dry_run: bool) -> None:
        self.stdout.write("")
        if job.errors:
            self.stdout.write(self.style.ERROR(f"{len(job.errors)} error(s); nothing was written:"))
            for e in job.errors:
                self.stdout.write(f"  row {e['row']}\t{e['column']}\t{e['value']}\t{e['reason']}")
            raise CommandError(f"import {job.pk}: {job.get_state_display()}")
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            self.style.SUCCESS(
                f"{job.rows_total} rows: {job.created} {verb} created, {job.updated} {verb} "
                f"updated, {job.unchanged} unchanged (import {job.pk})."
            )
        )
