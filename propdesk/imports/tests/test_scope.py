"""Import jobs are scoped by `community_filter` (accounts.selectors): a director of Alpha
sees no job of Beta, and the company's all-communities administrator no job of another
company's community γ."""

from __future__ import annotations

import pytest

from propdesk.accounts.models import User, UserKind
from propdesk.core.errors import NotFound
from propdesk.imports.models import ImportJob, ImportKind
from propdesk.imports.selectors import import_job_get_for_user, import_jobs_visible_to
from propdesk.testing.cast import other_company


@pytest.fixture
def jobs(cast):
    """An import job in each of Alpha, Beta and γ, by community id."""
    gamma, _home = other_company()
    root = User.objects.create_superuser(username="root", password="x", kind=UserKind.STAFF)
    rows = {
        community.pk: ImportJob.objects.create(
            community=community,
            kind=ImportKind.values[0],
            filename=f"{community.code}.xlsx",
            created_by=root,
        )
        for community in (cast.alpha, cast.beta, gamma)
    }
    return gamma, root, rows


def _communities(user, **kwargs):
    return {job.community_id for job in import_jobs_visible_to(user, **kwargs)}


def test_import_jobs_of_the_users_communities_never_another_companys(cast, jobs):
    gamma, root, _rows = jobs
    assert _communities(cast.director_a) == {cast.alpha.pk}
    assert _communities(cast.admin) == {cast.alpha.pk, cast.beta.pk}
    assert _communities(root) == {cast.alpha.pk, cast.beta.pk, gamma.pk}
    assert _communities(cast.admin, community_id=cast.beta.pk) == {cast.beta.pk}
    assert _communities(cast.admin, community_id=gamma.pk) == set()
    assert _communities(cast.desk_a) == set()  # may not import at all


def test_an_import_job_outside_the_scope_is_not_found(cast, jobs):
    gamma, _root, rows = jobs
    for user, outside in ((cast.director_a, cast.beta.pk), (cast.admin, gamma.pk)):
        with pytest.raises(NotFound):
            import_job_get_for_user(user, rows[outside].pk)
    assert import_job_get_for_user(cast.admin, rows[cast.beta.pk].pk).community_id == cast.beta.pk
