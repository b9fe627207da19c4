"""The community switcher: a list for a few communities, a search box for a group."""

from __future__ import annotations

from propdesk.estates.models import Community


def test_few_communities_are_listed(client, cast):
    client.force_login(cast.admin)
    page = client.get("/").content.decode()
    assert '<select name="community"' in page
    assert cast.beta.name in page


def test_a_group_gets_a_search_box_that_finds_and_switches(client, cast):
    for n in range(40):
        Community.objects.create(company=cast.company, code=f"G{n:02d}", name=f"集团小区{n:02d}")
    client.force_login(cast.admin)
    page = client.get("/").content.decode()
    assert '<select name="community"' not in page
    assert "/community/search/" in page
    hits = client.get("/community/search/", {"q": "集团小区07"}).content.decode()
    target = Community.objects.get(code="G07")
    assert f'value="{target.id}"' in hits
    assert cast.alpha.name not in hits
    client.post("/community/", {"community": target.id})
    assert f"{target.name}" in client.get("/").content.decode()


def test_community_search_shows_only_served_communities(client, cast):
    client.force_login(cast.desk_a)
    hits = client.get("/community/search/", {"q": "小区"}).content.decode()
    assert cast.alpha.name in hits
    assert cast.beta.name not in hits
