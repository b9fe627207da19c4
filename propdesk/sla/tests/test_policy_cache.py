"""The per-process policy pool: one per case kind, forgotten after migrate and flush."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models.signals import post_migrate

from propdesk.sla import services
from propdesk.sla.models import Policy


@pytest.mark.django_db
def test_pool_is_per_kind_and_splits_by_community(cast):
    group_wide = list(Policy.objects.filter(is_active=True, kind="repair", community=None))
    own = Policy.objects.create(
        code="alpha.only",
        name="alpha only",
        community=cast.alpha,
        kind="repair",
        start_event="create",
        target_kind="duration",
        target_minutes=60,
    )
    alpha, _ = services._pool(cast.alpha.pk, "repair")
    beta, _ = services._pool(cast.beta.pk, "repair")
    assert len(services.policy_pools) == 1  # one read serves every community
    assert own in alpha
    assert own not in beta
    assert set(beta) == set(group_wide)


@pytest.mark.django_db
def test_migrate_and_flush_forget_the_cached_policies(cast):
    """A demo --reset flushes and re-seeds: policy ids are reused by other policies,
    so a pool cached before it would start clocks on rows that no longer exist."""
    services._pool(cast.alpha.pk, "repair")
    assert len(services.policy_pools) == 1
    sla = apps.get_app_config("sla")
    post_migrate.send(
        sender=sla, app_config=sla, verbosity=0, interactive=False, using="default", apps=apps
    )
    assert len(services.policy_pools) == 0
