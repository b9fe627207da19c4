"""Console pages: who may open what (STYLE.md authorization matrix) and R-CUS-3 reveals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from propdesk.core.models import PiiAccess
from propdesk.testing.cast import PASSWORD


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("name", ["console:home", "console:customer-list", "console:house-list"])
def test_anonymous_is_sent_to_login(client, cast, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("console:login") in response["Location"]


def test_owner_account_cannot_use_the_console(client, cast):
    login(client, cast.owner_alice)
    assert client.get(reverse("console:customer-list")).status_code == 403


def test_staff_of_another_community_gets_404_for_customer_and_house(client, cast):
    login(client, cast.desk_b)
    assert client.get(reverse("console:customer-detail", args=[cast.alice.pk])).status_code == 404
    assert client.get(reverse("console:house-detail", args=[cast.house_a1.pk])).status_code == 404
    listing = client.get(reverse("console:customer-list")).content.decode()
    assert cast.alice.name not in listing
    assert cast.carol_b.name in listing


def test_desk_sees_masked_id_and_no_reveal_button(client, cast):
    login(client, cast.desk_a)
    page = client.get(reverse("console:customer-detail", args=[cast.alice.pk])).content.decode()
    assert "1101**********002X" in page
    assert "11010519491231002X" not in page
    assert "customer-reveal" not in page
    assert "/reveal/" not in page


def test_reveal_refused_without_permission_and_nothing_logged(client, cast):
    login(client, cast.desk_a)
    url = reverse("console:customer-reveal", args=[cast.alice.pk, "id_number"])
    assert client.post(url).status_code == 403
    assert not PiiAccess.objects.exists()


def test_r_cus_3_steward_reveal_shows_full_id_and_is_logged(client, cast):
    login(client, cast.steward_a)
    url = reverse("console:customer-reveal", args=[cast.alice.pk, "id_number"])
    response = client.post(url)
    assert response.status_code == 200
    assert "11010519491231002X" in response.content.decode()
    access = PiiAccess.objects.get()
    assert (access.actor, access.field, access.subject_id) == (
        cast.steward_a,
        "id_number",
        str(cast.alice.pk),
    )


def test_reveal_of_another_communitys_customer_is_404_and_not_logged(client, cast):
    login(client, cast.desk_b)
    url = reverse("console:customer-reveal", args=[cast.alice.pk, "phone"])
    assert client.post(url).status_code == 404
    assert not PiiAccess.objects.exists()


def test_community_switch_refuses_a_community_not_served(client, cast):
    login(client, cast.desk_a)
    response = client.post(reverse("console:switch-community"), {"community": cast.beta.pk})
    assert response.status_code == 404


def test_customer_list_query_count_does_not_grow_with_rows(
    client, cast, django_assert_max_num_queries
):
    login(client, cast.desk_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("console:customer-list"))
    assert response.status_code == 200
    assert "138****5678" in response.content.decode()


def test_pages_render_in_chinese_by_default_and_english_on_request(client, cast):
    login(client, cast.desk_a)
    # An English browser still gets Chinese: only the language switch changes it.
    zh = client.get(reverse("console:house-list"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "房屋" in zh
    client.post(reverse("set_language"), {"language": "en", "next": "/houses/"})
    en = client.get(reverse("console:house-list")).content.decode()
    assert "Houses" in en
    assert "房屋" not in en


def test_house_page_shows_audit_trail_to_supervisors_only(client, cast):
    from propdesk.estates.services import house_update

    house_update(actor=cast.admin, house_id=cast.house_a1.pk, status="vacant")
    login(client, cast.director_a)
    page = client.get(reverse("console:house-detail", args=[cast.house_a1.pk])).content.decode()
    assert "occupied → vacant" in page
    client.logout()
    login(client, cast.desk_a)
    page = client.get(reverse("console:house-detail", args=[cast.house_a1.pk])).content.decode()
    assert "occupied → vacant" not in page


def test_list_pages_offer_the_filtered_excel_export_only_to_who_may_export(client, cast):
    login(client, cast.desk_a)
    page = client.get(reverse("console:customer-list"), {"q": "zw"}).content.decode()
    assert reverse("console:imports:export-customers") + "?q=zw" in page
    client.logout()
    login(client, cast.tech_a)
    page = client.get(reverse("console:house-list")).content.decode()
    assert reverse("console:imports:export-houses") not in page
