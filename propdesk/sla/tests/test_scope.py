"""Deadline settings are scoped by `community_filter` (accounts.selectors): the company's
all-communities administrator finds no policy or date of another company's community γ;
a superuser, whose scope is no filter at all, still finds every community's and the
defaults where the defaults belong."""

from __future__ import annotations

import datetime as dt

import pytest

from propdesk.accounts.models import User, UserKind
from propdesk.core.errors import NotFound
from propdesk.servicedesk.tests.conftest import T0
from propdesk.sla import config
from propdesk.sla.models import CalendarOverride, Policy
from propdesk.sla.selectors import policy_get_for_config
from propdesk.testing.cast import other_company


@pytest.fixture
def root(db):
    return User.objects.create_superuser(username="root", password="x", kind=UserKind.STAFF)


@pytest.fixture
def gamma(cast, root):
    """Another company's community γ with its own copy of R-CMP-4 and a local day off."""
    community, _home = other_company()
    default = Policy.objects.get(code="R-CMP-4", community__isnull=True)
    config.policy_customise(actor=root, community_id=community.pk, policy_id=default.pk, now=T0)
    CalendarOverride.objects.create(community=community, date=dt.date(2027, 3, 1), is_workday=False)
    return community


def test_another_companys_policy_and_date_are_not_found_by_the_company_admin(cast, gamma):
    policy = Policy.objects.get(community=gamma)
    override = CalendarOverride.objects.get(community=gamma)
    with pytest.raises(NotFound):
        policy_get_for_config(cast.admin, policy.pk)
    with pytest.raises(NotFound):
        config.policy_update(actor=cast.admin, policy_id=policy.pk, target="5", now=T0)
    with pytest.raises(NotFound):
        config.override_delete(actor=cast.admin, override_id=override.pk)
    policy.refresh_from_db()
    assert policy.target_minutes == 60
    assert CalendarOverride.objects.filter(pk=override.pk).exists()


def test_the_company_admin_edits_policies_and_dates_of_the_companys_communities(cast):
    default = Policy.objects.get(code="R-CMP-4", community__isnull=True)
    copy = config.policy_customise(
        actor=cast.admin, community_id=cast.beta.pk, policy_id=default.pk, now=T0
    )
    assert policy_get_for_config(cast.admin, copy.pk) == copy
    config.policy_update(actor=cast.admin, policy_id=copy.pk, target="5", now=T0)
    copy.refresh_from_db()
    assert copy.target_minutes == 5
    row = CalendarOverride.objects.create(
        community=cast.beta, date=dt.date(2027, 3, 2), is_workday=False
    )
    config.override_delete(actor=cast.admin, override_id=row.pk)
    assert not CalendarOverride.objects.filter(pk=row.pk).exists()


def test_a_superuser_reaches_every_communitys_policy_but_edits_no_default_as_its_own(
    cast, gamma, root
):
    """A superuser's scope is no filter; "a default or a served community's" must not
    shrink to the defaults alone, nor "a community's policy" grow to the defaults."""
    policy = Policy.objects.get(community=gamma)
    assert policy_get_for_config(root, policy.pk) == policy
    config.policy_update(actor=root, policy_id=policy.pk, target="5", now=T0)
    policy.refresh_from_db()
    assert policy.target_minutes == 5
    default = Policy.objects.get(code="R-CMP-4", community__isnull=True)
    with pytest.raises(NotFound):
        policy_get_for_config(root, default.pk)
    override = CalendarOverride.objects.get(community=gamma)
    config.override_delete(actor=root, override_id=override.pk)
    assert not CalendarOverride.objects.filter(pk=override.pk).exists()
