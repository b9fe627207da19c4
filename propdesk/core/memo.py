"""Reference rows kept in the process for a few seconds: read often, changed rarely.

Case intake reads the same community, category tree, departments and deadline
policies for every case; a call centre taking cases for 1,000 communities would
otherwise send those reads to the database on every case. A `Memo` keeps what its
loader returned per key for `seconds`, then reads again.

Staleness is bounded and written down, never silent:
- a save or delete of one of the memo's `models` through the ORM clears it in this
  process at once and again when the transaction commits (so a value another
  request loaded meanwhile, without the change, is not kept);
- `migrate` and `flush` (a demo --reset) clear every memo: ids may be reused;
- other processes see a change within `seconds`;
- code that changes those tables without signals (`QuerySet.update`, raw SQL)
  calls `clear()` itself.

Values are shared by every request of the process: callers must treat them as
read-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, ClassVar, Generic, TypeVar

from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    every: ClassVar[list[Memo[Any, Any]]] = []
    name: str

    def __init__(
        self,
        name: str,
        loader: Callable[[K], V],
        *,
        seconds: float = 30.0,
        models: tuple[str, ...] = (),
    ) -> None:
        if any(memo.name == name for memo in Memo.every):
            # The name is the signals' dispatch_uid: a second memo of that name would
            # silently never be cleared by them.
            raise ValueError(f"a memo named {name!r} exists already")
        self.name = name
        self.seconds = seconds
        self._loader = loader
        self._values: dict[K, tuple[float, V]] = {}
        Memo.every.append(self)
        uid = f"propdesk.memo.{name}"
        post_migrate.connect(self._on_change, weak=False, dispatch_uid=uid)
        for label in models:
            # A lazy sender ("app.Model") is resolved once the app registry is ready.
            post_save.connect(self._on_change, sender=label, weak=False, dispatch_uid=uid)
            post_delete.connect(self._on_change, sender=label, weak=False, dispatch_uid=uid)

    def get(self, key: K) -> V:
        now = time.monotonic()
        hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = self._loader(key)
        self._values[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._values.clear()

    def clear_now_and_on_commit(self) -> None:
        """Drop the values now, so the rest of this transaction reads the change,
        and again on commit, so a value read meanwhile without it is not kept."""
        self.clear()
        transaction.on_commit(self.clear)

    def _on_change(self, **_kwargs: Any) -> None:
        self.clear_now_and_on_commit()

    @classmethod
    def clear_all(cls) -> None:
        """Forget every memo of the process (the test suite does, before each test:
        a rolled-back test's rows are gone, and SQLite reuses their ids)."""
        for memo in cls.every:
            memo.clear()

    def __len__(self) -> int:
        return len(self._values)
