"""The daily dunning run (R-FEE-3/4/5), registered with `propdesk worker`.

The sweep wakes every hour but runs each community's ladder once per local day
(a `DunningRunLog` row per community and day), so the day's run happens at the
first pass after midnight and a restarted worker does not run it twice.

Every five minutes the service desk's pending charge requests (paid repairs and
services) are billed, each once (`services.charge_requests_post`).
"""

from __future__ import annotations

from typing import Any

from propdesk.jobs.registry import register_sweep

from . import background  # noqa: F401  (billing runs chunk by chunk: the `billing.run` task)
from .dunning import dunning_sweep

register_sweep("billing.dunning", dunning_sweep, every_seconds=3600)


def _bill_charge_requests(*, now: Any) -> int:
    """The service desk's paid repairs and services, billed once each (every five minutes)."""
    from .services import charge_requests_post

    return charge_requests_post(now=now)


register_sweep("billing.charge_requests", _bill_charge_requests, every_seconds=300)
