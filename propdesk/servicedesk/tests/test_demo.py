"""The service desk's demo data: real cases in many states, made by the services."""

from __future__ import annotations

import io

from django.core.management import call_command

from propdesk.servicedesk.models import Case, CaseEvent, ReturnVisit


def test_demo_cases_cover_every_kind_and_the_open_and_closed_states(db):
    call_command("demo", stdout=io.StringIO(), scale=0.15)
    kinds = set(Case.objects.values_list("kind", flat=True))
    assert {"repair", "complaint", "inquiry", "paid_service"} <= kinds
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"received", "dispatched", "in_progress", "completed", "closed"} <= statuses
    numbers = list(Case.objects.values_list("community_id", "number"))
    assert len(numbers) == len(set(numbers))
    # Every case has its creation event, and every closed repair its return visit (R-REP-5).
    assert CaseEvent.objects.filter(action="create").count() == Case.objects.count()
    for case in Case.objects.filter(kind="repair", status="closed"):
        assert ReturnVisit.objects.filter(case=case, visited_at__isnull=False).exists()
