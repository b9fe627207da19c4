"""`propdesk billing reconcile|run|late-fees|charges`: finance's batch commands."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from propdesk.billing import reconcile, runs, services
from propdesk.billing.models import BillingRun, FeeItem, FeeKind, RunState, Timing
from propdesk.core.errors import DomainError
from propdesk.estates.models import Community


class Command(BaseCommand):
    help = (
        "Billing: reconcile every account against its entries, run a billing period, post charges."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rec = sub.add_parser("reconcile", help="check balances against entries; exit 1 on mismatch")
        rec.add_argument("--community", help="community code (default: all)")
        run = sub.add_parser("run", help="bill a community for a period (resumes a stopped run)")
        run.add_argument("community", help="community code")
        run.add_argument("period", help="2026-11, 2026-Q4 or 2026")
        run.add_argument("--timing", choices=[t.value for t in Timing], default=Timing.PREPAID)
        run.add_argument("--items", help="comma-separated fee item codes (default: all recurring)")
        run.add_argument("--chunk", type=int, default=runs.CHUNK)
        late = sub.add_parser(
            "late-fees",
            help="bill the late fees of a month that is over (a run of the late-fee item)",
        )
        late.add_argument("--community", required=True, help="community code")
        late.add_argument("--period", required=True, help="the month, e.g. 2026-10")
        late.add_argument("--chunk", type=int, default=runs.CHUNK)
        sub.add_parser("charges", help="bill the service desk's pending paid repairs and services")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "reconcile":
            self._reconcile(options.get("community"))
        elif action == "run":
            self._run(options)
        elif action == "late-fees":
            community = self._community(options["community"])
            items = FeeItem.objects.filter(
                community=community, kind=FeeKind.LATE_FEE, is_active=True
            ).values_list("code", flat=True)
            if not items:
                raise CommandError(f"community {community.code!r} has no late-fee item in use")
            self._run(
                {
                    **options,
                    "community": community.code,
                    "items": ",".join(items),
                    "timing": Timing.POSTPAID,
                }
            )
        else:
            count = services.charge_requests_post()
            self.stdout.write(f"{count} charge request(s) billed")

    def _community(self, code: str) -> Community:
        try:
            return Community.objects.get(code=code)
        except Community.DoesNotExist:
            raise CommandError(f"no community with code {code!r}") from None

    def _reconcile(self, code: str | None) -> None:
        community = self._community(code) if code else None
        found = 0
        for mismatch in reconcile.mismatches(community.pk if community else None):
            found += 1
            self.stdout.write(str(mismatch))
        if found:
            raise CommandError(f"{found} mismatch(es)")
        self.stdout.write("reconciled: every balance equals the sum of its entries")

    def _run(self, options: dict[str, Any]) -> None:
        from propdesk.accounts.models import User

        community = self._community(options["community"])
        period = runs.period_parse(options["period"])
        item_ids = None
        if options.get("items"):
            codes = [c.strip() for c in options["items"].split(",") if c.strip()]
            item_ids = list(
                FeeItem.objects.filter(community=community, code__in=codes).values_list(
                    "pk", flat=True
                )
            )
        actor = User.objects.filter(is_superuser=True).order_by("pk").first()

        def progress(run: BillingRun) -> None:
            total = run.houses_total or 1
            width = 30
            done = int(width * run.houses_done / total)
            bar = "#" * done + "-" * (width - done)
            self.stdout.write(
                f"\r[{bar}] {run.houses_done}/{total} houses, {run.bills_created} bills", ending=""
            )
            self.stdout.flush()

        stopped = next(
            (
                run
                for run in BillingRun.objects.filter(
                    community=community,
                    period=period.key,
                    state__in=[RunState.RUNNING, RunState.FAILED],
                )
                # A stopped run of other fee items (the month's run, its late fees) is not this one.
                if item_ids is None or set(run.fee_item_ids) == set(item_ids)
            ),
            None,
        )
        try:
            if stopped:
                self.stdout.write(f"resuming run #{stopped.pk} from house {stopped.cursor}")
                run = services.billing_run_execute(
                    stopped, chunk=options["chunk"], progress=progress
                )
            else:
                run = services.billing_run_start(
                    actor=actor,
                    community_id=community.pk,
                    period=period.key,
                    fee_item_ids=item_ids,
                    timing=options["timing"],
                    execute=False,
                )
                run = services.billing_run_execute(run, chunk=options["chunk"], progress=progress)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("")
        self.stdout.write(
            f"run #{run.pk} {run.period}: {run.bills_created} bills, {run.amount_created} yuan"
        )
