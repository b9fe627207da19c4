"""`propdesk demo`: load a believable, deterministic demo company.

What it builds (seeded `random.Random`, so every machine gets the same names,
houses and numbers; dates are relative to the day it runs):

- the company 示范物业服务有限公司 with the community 翠湖花园 (20 buildings,
  ≈2,000 houses: towers, slabs, garden blocks, street shops and offices, a
  garage of parking spaces; mostly occupied, some vacant, renovating, in
  custody, delivered or unsold; water/electricity/gas meters with monthly
  readings) and the small community 锦绣苑 so scoping can be seen;
- ≈4,000 customers in households (owners, co-owners, family members, tenants,
  organisations renting shops) with Chinese names, valid test ID numbers and
  mobiles, classes/tags, vehicles, notes, emergency contacts and timelines;
- departments of every kind, staff in every role, owner logins — all with the
  password ``propdesk`` (demo only!). ``--print-logins`` shows the table.

Options:
  --if-empty      do nothing when the database already holds a community
                  (what `propdesk setup --demo-if-empty` uses)
  --reset         delete EVERYTHING in the database (flush), then build the demo;
                  refused unless DEBUG is on or --yes is given
  --print-logins  print the demo logins and the URL; given alone it only prints
  --scale F       build only a fraction of the main community's buildings

Adding demo data of another app: create ``propdesk/<app>/demo.py`` with

    def build(ctx: propdesk.estates.demo.DemoContext) -> None: ...

After the foundation (estates, then customers) the command imports that
module for every installed ``propdesk.<label>`` app, in INSTALLED_APPS order,
and calls ``build(ctx)``. ``ctx`` has ``company``, ``communities`` (翠湖花园
first, ``ctx.main``), ``staff`` (by login), ``owners`` (by login), ``now``,
``today``, ``scale``, ``say(msg)`` and ``rng`` — a `random.Random` seeded from
the app's label, so adding one app's data never changes another's. Query the
houses and customers you need from the database. Use ``bulk_create``; audit
events may be skipped for bulk demo rows. Everything runs in one transaction:
if a build fails, no demo data is left behind.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import time
import unicodedata
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from propdesk.accounts.models import User, UserKind
from propdesk.customers.demo import build_customers
from propdesk.estates.demo import COMPANY_CODE, PASSWORD, STAFF, build_foundation, seeded
from propdesk.estates.models import Community, Company

FOUNDATION_APPS = frozenset({"core", "accounts", "estates", "customers"})


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = "Load the deterministic demo company (翠湖花园 and 锦绣苑) with staff and owner logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds a community",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete ALL data in the database, then build the demo (needs DEBUG or --yes)",
        )
        parser.add_argument("--yes", action="store_true", help="confirm --reset outside DEBUG")
        parser.add_argument(
            "--print-logins",
            action="store_true",
            help="print the demo logins and the URL (alone: only print)",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="fraction of the main community's buildings to build (default 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        only_print = options["print_logins"] and not (options["reset"] or options["if_empty"])
        if not only_print:
            self._load(options)
        if options["print_logins"]:
            self.print_logins()

    # -- loading ------------------------------------------------------------------

    def _load(self, options: dict[str, Any]) -> None:
        scale = options["scale"]
        if not 0 < scale <= 1:
            raise CommandError("--scale must be greater than 0 and at most 1.")
        if options["reset"]:
            if not (settings.DEBUG or options["yes"]):
                raise CommandError(
                    "--reset deletes ALL data in this database. It is refused unless DEBUG is "
                    "on; add --yes if you really mean it."
                )
            self.stdout.write("Deleting all data (flush) …")
            call_command("flush", interactive=False, verbosity=0)
        elif Community.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds communities; demo not loaded.")
                return
            raise CommandError(
                "The database already holds communities. Use --if-empty to skip quietly, or "
                "--reset --yes to delete everything and load the demo again."
            )
        started = time.monotonic()
        self.stdout.write("Loading the demo company …")
        with transaction.atomic():
            self.build(scale=scale)
        self.stdout.write(self.style.SUCCESS(f"Demo loaded in {time.monotonic() - started:.1f} s."))

    def say(self, message: str) -> None:
        self.stdout.write(f"  {message}")

    def build(self, *, scale: float) -> None:
        ctx = build_foundation(now=timezone.now(), scale=scale, say=self.say)
        build_customers(ctx)
        for config in apps.get_app_configs():
            if not config.name.startswith("propdesk.") or config.label in FOUNDATION_APPS:
                continue
            module_name = f"{config.name}.demo"
            if importlib.util.find_spec(module_name) is None:
                continue
            build = getattr(importlib.import_module(module_name), "build", None)
            if build is None:
                continue
            self.say(f"{config.label}:")
            build(dataclasses.replace(ctx, rng=seeded(config.label)))

    # -- printing -----------------------------------------------------------------

    def print_logins(self) -> None:
        company = Company.objects.filter(code=COMPANY_CODE).first()
        if company is None:
            self.stdout.write("This database holds no demo data (`propdesk demo` loads it).")
            return
        bind = os.environ.get("PROPDESK_BIND", "127.0.0.1:8000")
        host, _sep, port = bind.rpartition(":")
        if host in {"", "0.0.0.0", "[::]"}:  # noqa: S104 - reading the bind address, not binding
            host = "127.0.0.1"
        url = f"http://{host}:{port}/"
        users = {
            u.username: u
            for u in User.objects.filter(company=company)
            .select_related("department")
            .prefetch_related("scopes__community")
        }
        owners = User.objects.filter(
            kind=UserKind.OWNER, owner_account__customer__community__company=company
        ).select_related("owner_account__customer")
        rows = [("login", "name", "role", "department", "communities")]
        for spec in STAFF:
            user = users.get(spec.login)
            if user is None:
                continue
            served = (
                "all (company admin, Django admin)"
                if user.all_communities
                else ", ".join(s.community.name for s in user.scopes.all())
            )
            rows.append(
                (
                    user.username,
                    user.display_name,
                    str(user.get_role_display()),
                    user.department.name if user.department else "",
                    served,
                )
            )
        for owner in owners.order_by("username"):
            customer = owner.owner_account.customer
            current = customer.occupancies.filter(end_date__isnull=True).select_related(
                "house", "community"
            )
            houses = ", ".join(sorted(f"{o.community.name} {o.house.label}" for o in current))
            rows.append((owner.username, customer.name, str(UserKind.OWNER.label), "", houses))
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("PropDesk demo logins"))
        for n, row in enumerate(rows):
            line = "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip()
            self.stdout.write("  " + (self.style.MIGRATE_LABEL(line) if n == 0 else line))
        self.stdout.write("")
        self.stdout.write(
            f"  Password of every demo login: {PASSWORD}  (demo only — delete these accounts "
            "or change their passwords before real use)"
        )
        self.stdout.write(f"  Console: {url}    Django admin: {url}admin/ (login: admin)")
        self.stdout.write("")
