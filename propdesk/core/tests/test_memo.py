"""Per-process memos of reference rows: when they are read again and when forgotten."""

from __future__ import annotations

import itertools

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_migrate

from propdesk.accounts.models import Department
from propdesk.core.errors import NotFound
from propdesk.core.memo import Memo
from propdesk.estates.models import Community
from propdesk.estates.selectors import community_get_for_user
from propdesk.servicedesk.models import Category
from propdesk.servicedesk.selectors import routing_for, routing_memo

_names = itertools.count()


def _counting_memo(**kwargs):
    calls = []

    def load(key):
        calls.append(key)
        return f"value of {key} #{len(calls)}"

    return Memo(f"test.counting.{next(_names)}", load, **kwargs), calls


def test_a_value_is_read_once_per_key_until_it_expires():
    memo, calls = _counting_memo(seconds=60)
    assert memo.get(1) == "value of 1 #1"
    assert memo.get(1) == "value of 1 #1"
    assert memo.get(2) == "value of 2 #2"
    assert calls == [1, 2]

    expired, calls = _counting_memo(seconds=0)
    expired.get(1)
    expired.get(1)
    assert calls == [1, 1]


def test_two_memos_may_not_share_a_name():
    memo, _ = _counting_memo()
    with pytest.raises(ValueError, match="exists already"):
        Memo(memo.name, str)


def test_clear_all_forgets_every_memo():
    first, _ = _counting_memo()
    second, _ = _counting_memo()
    first.get(1)
    second.get(1)
    Memo.clear_all()
    assert len(first) == 0
    assert len(second) == 0


@pytest.mark.django_db
def test_migrate_and_flush_forget_the_memos(cast):
    """A demo --reset flushes and re-seeds: ids are reused by other rows."""
    routing_for(cast.company.pk)
    assert len(routing_memo) == 1
    core = apps.get_app_config("core")
    post_migrate.send(
        sender=core, app_config=core, verbosity=0, interactive=False, using="default", apps=apps
    )
    assert len(routing_memo) == 0


@pytest.mark.django_db
def test_a_new_category_is_seen_by_the_next_case_at_once(cast):
    before = routing_for(cast.company.pk)
    new = Category.objects.create(company=cast.company, kind="repair", code="x.new", name="新类")
    assert before.category(new.pk, kind="repair") is None
    assert routing_for(cast.company.pk).category(new.pk, kind="repair") == new


@pytest.mark.django_db
def test_a_retired_category_is_refused_at_once(cast):
    category = Category.objects.filter(company__isnull=True, kind="repair").first()
    assert routing_for(cast.company.pk).category(category.pk, kind="repair") == category
    assert routing_for(cast.company.pk).category(category.pk, kind="complaint") is None
    category.is_active = False
    category.save()
    assert routing_for(cast.company.pk).category(category.pk, kind="repair") is None


@pytest.mark.django_db
def test_department_changes_are_seen_at_once_and_the_community_wins(cast):
    routing = routing_for(cast.company.pk)
    assert routing.department(cast.alpha.pk, "maintenance") == cast.maint_dept_a
    assert routing.department(cast.beta.pk, "maintenance") is None
    company_wide = Department.objects.create(
        company=cast.company, community=None, kind="maintenance", name="集团维修中心"
    )
    routing = routing_for(cast.company.pk)
    assert routing.department(cast.beta.pk, "maintenance") == company_wide
    assert routing.department(cast.alpha.pk, "maintenance") == cast.maint_dept_a
    cast.maint_dept_a.delete()
    assert routing_for(cast.company.pk).department(cast.alpha.pk, "maintenance") == company_wide


@pytest.mark.django_db
def test_a_renamed_community_is_seen_by_recent_reads_and_scope_still_applies(cast):
    recent = community_get_for_user(cast.admin, cast.alpha.pk, recent=True)
    assert recent.name == cast.alpha.name
    alpha = Community.objects.get(pk=cast.alpha.pk)
    alpha.name = "阿尔法新城"
    alpha.save()
    assert community_get_for_user(cast.admin, cast.alpha.pk, recent=True).name == "阿尔法新城"
    # The memo never widens scope: a desk clerk of beta still gets NotFound for alpha.
    with pytest.raises(NotFound):
        community_get_for_user(cast.desk_b, cast.alpha.pk, recent=True)


@pytest.mark.django_db(transaction=True)
def test_a_value_read_during_a_change_is_dropped_when_the_change_commits(cast):
    """Another request may read the old row after the save cleared the memo but before
    the writer commits; the clear on commit drops that stale copy."""
    company_id = cast.company.pk
    with transaction.atomic():
        Department.objects.create(
            company=cast.company, community=None, kind="finance", name="集团财务部"
        )
        routing_for(company_id)  # stands in for a read that raced the change
        assert len(routing_memo) == 1
    assert len(routing_memo) == 0
