from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest

from propdesk.servicedesk import services
from propdesk.servicedesk.models import Case, Category

# A Monday morning in Shanghai, well inside working hours.
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)

# The smallest valid PNG (1×1), for signatures and photos.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)


def category(code: str, kind: str = "repair") -> Category:
    return Category.objects.get(company__isnull=True, kind=kind, code=code)


def png_upload() -> io.BytesIO:
    return io.BytesIO(PNG)


class Desk:
    """Shortcuts that drive cases through the real services."""

    def __init__(self, cast: Any) -> None:
        self.cast = cast

    def repair(
        self, code: str = "water.tap", *, house: Any = None, now: dt.datetime = T0, **kw: Any
    ) -> Case:
        c = self.cast
        data = {
            "actor": c.desk_a,
            "community_id": c.alpha.pk,
            "kind": "repair",
            "channel": "phone",
            "description": "厨房水龙头漏水",
            "house_id": (house or c.house_a1).pk,
            "customer_id": c.alice.pk,
            "category_id": category(code).pk,
            "now": now,
        }
        data.update(kw)
        return services.case_create(**data)

    def complaint(self, severity: str = "ordinary", *, now: dt.datetime = T0, **kw: Any) -> Case:
        c = self.cast
        data = {
            "actor": c.desk_a,
            "community_id": c.alpha.pk,
            "kind": "complaint",
            "channel": "phone",
            "description": "楼上装修噪音扰民",
            "house_id": c.house_a1.pk,
            "customer_id": c.alice.pk,
            "category_id": category("housing", "complaint").pk,
            "severity": severity,
            "now": now,
        }
        data.update(kw)
        return services.case_create(**data)

    def dispatched(self, case: Case, *, now: dt.datetime = T0) -> Case:
        c = self.cast
        return services.case_dispatch(
            actor=c.maint_head_a,
            case_id=case.pk,
            department_id=c.maint_dept_a.pk,
            assignee_id=c.tech_a.pk,
            appointment_start=now + dt.timedelta(hours=1),
            appointment_end=now + dt.timedelta(hours=3),
            now=now,
        )

    def in_progress(self, case: Case, *, now: dt.datetime = T0) -> Case:
        self.dispatched(case, now=now)
        services.case_accept(actor=self.cast.tech_a, case_id=case.pk, now=now)
        return services.case_start(actor=self.cast.tech_a, case_id=case.pk, now=now)

    def completed(self, case: Case, *, now: dt.datetime = T0, **kw: Any) -> Case:
        self.in_progress(case, now=now)
        data = {
            "actor": self.cast.tech_a,
            "case_id": case.pk,
            "work_done": "更换阀芯",
            "materials": [{"name": "阀芯", "quantity": "1", "unit": "个", "unit_price": "35"}],
            "signoff_kind": "paper",
            "signoff_form_number": "WX-0001",
            "now": now,
        }
        data.update(kw)
        return services.case_complete(**data)


@pytest.fixture
def desk(cast: Any) -> Desk:
    return Desk(cast)
