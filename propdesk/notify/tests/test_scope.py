"""The outbox is scoped by `community_filter` (accounts.selectors): staff of Alpha see
and retry nothing of Beta, and the company's all-communities administrator nothing of
another company's community γ."""

from __future__ import annotations

import pytest

from propdesk.accounts.models import User, UserKind
from propdesk.core.errors import NotFound
from propdesk.notify.models import OutboxMessage, OutboxState
from propdesk.notify.selectors import outbox_get_for_user, outbox_visible_to
from propdesk.notify.services import outbox_enqueue, outbox_retry
from propdesk.testing.cast import other_company


@pytest.fixture
def dead(cast):
    """A dead e-mail in each of Alpha, Beta and γ, by community id."""
    gamma, _home = other_company()
    rows = {}
    for community in (cast.alpha, cast.beta, gamma):
        message = outbox_enqueue(
            community_id=community.pk, channel="email", to="a@example.com", body=community.code
        )
        OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.DEAD, attempts=6)
        rows[community.pk] = message
    return gamma, rows


def _communities(user, **kwargs):
    return {m.community_id for m in outbox_visible_to(user, **kwargs)}


def test_outbox_shows_the_users_communities_and_never_another_companys(cast, dead):
    gamma, _rows = dead
    root = User.objects.create_superuser(username="root", password="x", kind=UserKind.STAFF)
    assert _communities(cast.desk_a) == {cast.alpha.pk}
    assert _communities(cast.admin) == {cast.alpha.pk, cast.beta.pk}
    assert _communities(root) == {cast.alpha.pk, cast.beta.pk, gamma.pk}
    assert _communities(cast.admin, community_id=cast.beta.pk) == {cast.beta.pk}
    assert _communities(cast.admin, community_id=gamma.pk) == set()
    assert _communities(cast.desk_a, community_id=cast.beta.pk) == set()


def test_a_message_outside_the_scope_is_not_found_nor_retried(cast, dead):
    gamma, rows = dead
    for user, outside in ((cast.desk_a, cast.beta.pk), (cast.admin, gamma.pk)):
        with pytest.raises(NotFound):
            outbox_get_for_user(user, rows[outside].pk)
        with pytest.raises(NotFound):
            outbox_retry(actor=user, message_id=rows[outside].pk)
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.DEAD}
    retried = outbox_retry(actor=cast.admin, message_id=rows[cast.beta.pk].pk)
    assert retried.state == OutboxState.PENDING
