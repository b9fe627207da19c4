"""The daily dunning run (R-FEE-3/4/5), registered with `propdesk worker`.

The sweep wakes every hour but runs each community's ladder once per local day
(a `DunningRunLog` row per community and day), so the day's run happens at the
first pass after midnight and a restarted worker does not run it twice.
"""

from __future__ import annotations

from propdesk.jobs.registry import register_sweep

from . import background  # noqa: F401  (billing runs chunk by chunk: the `billing.run` task)
from .dunning import dunning_sweep

register_sweep("billing.dunning", dunning_sweep, every_seconds=3600)
