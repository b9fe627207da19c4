"""Import speed (issue 3 §2): a 10,000-row customers file through the import service.

The file holds 10,000 new customers (valid names, resident IDs and mobiles made
by the generator's functions, beyond the dataset's own), imported into the first
community as the group's administrator with `propdesk.imports.services.import_run`
(check and write in one pass, like the `propdesk import` command). The import is
rolled back afterwards, so the dataset stays as generated and can be reused; the
wall time includes that rollback.
"""

from __future__ import annotations

import random
from typing import Any

from benchmarks.harness import Context, Skip, scenario

ROWS = 10_000


class _Undo(Exception):
    pass


def customers_csv(ctx: Context, rows: int = ROWS) -> bytes:
    """A customers import file in the template's Chinese headers, UTF-8."""
    from benchmarks.generate import GIVEN_NAMES, SURNAMES, _mobile, _prc_id
    from propdesk.imports.kinds import CUSTOMER_COLUMNS
    from propdesk.imports.tables import csv_bytes

    rng = random.Random(f"{ctx.seed}:import")
    wanted = {"name", "id_number", "phone"}
    columns = [c for c in CUSTOMER_COLUMNS if c.key in wanted]
    first = ctx.params.customers + 1_000_000  # never a customer of the dataset
    data = []
    for i in range(rows):
        k = first + i
        values = {
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
            "id_number": _prc_id(k),
            "phone": _mobile(k, rng)[3:],
        }
        data.append([values[c.key] for c in columns])
    return csv_bytes([c.header for c in columns], data)


@scenario(
    "import.customers_10k",
    description="Import a 10,000-row customers .csv into one community with import_run "
    "(check + write in one pass, then rolled back; wall time, rows per second).",
    kind="batch",
)
def import_customers(ctx: Context) -> Any:
    try:
        from propdesk.imports.models import ImportKind, ImportState
        from propdesk.imports.services import import_run
    except ImportError:
        raise Skip("import not built: propdesk.imports.services.import_run is missing") from None
    from django.db import transaction

    content = customers_csv(ctx)
    user = ctx.user

    def call(_i: int) -> int:
        outcome: dict[str, Any] = {}
        try:
            with transaction.atomic():
                job = import_run(
                    actor=user,
                    community_id=1,
                    kind=ImportKind.CUSTOMERS,
                    filename="bench-customers.csv",
                    content=content,
                )
                outcome["state"] = job.state
                outcome["errors"] = getattr(job, "errors", None)
                raise _Undo
        except _Undo:
            pass
        if outcome["state"] != ImportState.DONE:
            raise AssertionError(f"import ended {outcome['state']}: {outcome['errors']!r}"[:500])
        return ROWS

    return call
