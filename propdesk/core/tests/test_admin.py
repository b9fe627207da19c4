"""Django admin of the foundation: master data editable and audited, PII masked and
read-only, logs read-only (R-CUS-3)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from propdesk.accounts.models import StaffScope, User, UserKind
from propdesk.core.audit import audit_trail
from propdesk.core.models import AuditAction, AuditEvent, PiiAccess
from propdesk.customers.services import customer_reveal_pii
from propdesk.estates.models import House
from propdesk.testing.cast import ALICE_ID
from propdesk.testing.counts import row_counts


@pytest.fixture
def root(cast):
    return User.objects.create_superuser(
        username="root", password="x", kind=UserKind.STAFF, company=cast.company
    )


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    # Staff screens follow the language switch (cookie), not Accept-Language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield client


CHANGELISTS = [
    "core_auditevent",
    "core_piiaccess",
    "core_numbersequence",
    "accounts_user",
    "accounts_department",
    "estates_company",
    "estates_community",
    "estates_building",
    "estates_house",
    "estates_meter",
    "customers_customer",
    "customers_occupancy",
    "customers_tag",
    "customers_document",
    "customers_timelineentry",
    "customers_owneraccount",
]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_every_foundation_changelist_opens(admin_client, name):
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_staff_without_django_admin_access_is_sent_to_login(client, cast):
    client.force_login(cast.director_a)
    response = client.get(reverse("admin:estates_house_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_house_search_by_label_and_filter_by_status(admin_client, cast):
    url = reverse("admin:estates_house_changelist")
    page = admin_client.get(url, {"q": "1-1-102"}).content.decode()
    assert "1-1-102" in page
    assert "1-1-101" not in page
    page = admin_client.get(url, {"status__exact": "vacant"}).content.decode()
    assert "1-1-101" not in page


def house_form(building, **extra):
    data = {
        "building": building.id,
        "unit": "1",
        "room": "1801",
        "floor": "18",
        "area": "120.50",
        "kind": "residence",
        "status": "occupied",
        "handover_date": "",
        "meters-TOTAL_FORMS": "0",
        "meters-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def test_house_added_in_admin_gets_its_label_and_an_audit_event(admin_client, cast, root):
    response = admin_client.post(reverse("admin:estates_house_add"), house_form(cast.building_a))
    assert response.status_code == 302, response.content.decode()[:2000]
    house = House.objects.get(label="1-1-1801")
    assert house.community == cast.alpha
    [event] = audit_trail(house)
    assert (event.action, event.actor, event.note) == (AuditAction.CREATE, root, "admin")


def test_admin_refuses_duplicate_label_and_floor_outside_building_writing_nothing(
    admin_client, cast
):
    before = row_counts()
    response = admin_client.post(
        reverse("admin:estates_house_add"),
        house_form(cast.building_a, room="101", floor="1"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "1-1-101 already exists" in errors["room"][0]
    response = admin_client.post(
        reverse("admin:estates_house_add"), house_form(cast.building_a, floor="25", area="0")
    )
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"floor", "area"}
    assert row_counts() == before


def test_house_change_in_admin_is_audited_with_before_and_after(admin_client, cast):
    url = reverse("admin:estates_house_change", args=[cast.house_a1.id])
    response = admin_client.post(
        url, house_form(cast.building_a, room="101", floor="1", area="89.50", status="vacant")
    )
    assert response.status_code == 302
    [event] = audit_trail(cast.house_a1)
    assert event.changes == {"status": ["occupied", "vacant"]}


def test_customer_admin_shows_masks_only_and_cannot_change_pii_r_cus_3(admin_client, cast):
    url = reverse("admin:customers_customer_change", args=[cast.alice.id])
    page = admin_client.get(url).content.decode()
    assert cast.alice.id_number_masked in page
    assert cast.alice.phone_masked in page
    assert ALICE_ID not in page
    assert cast.alice.id_number_cipher not in page
    assert cast.alice.id_number_index not in page
    assert "13812345678" not in page
    assert 'name="name"' not in page  # nothing editable
    before = row_counts()
    response = admin_client.post(url, {"name": "改名", "id_number_masked": "x"})
    assert response.status_code == 403
    assert admin_client.get(reverse("admin:customers_customer_add")).status_code == 403
    assert row_counts() == before
    cast.alice.refresh_from_db()
    assert cast.alice.name == "张伟"


def test_customer_list_shows_masks_not_cipher(admin_client, cast):
    page = admin_client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert cast.bob.id_number_masked in page
    assert cast.bob.id_number_cipher not in page


def test_audit_and_pii_logs_are_read_only(admin_client, cast):
    customer_reveal_pii(actor=cast.steward_a, customer_id=cast.alice.id, field="phone")
    access = PiiAccess.objects.get()
    assert (
        admin_client.post(
            reverse("admin:core_piiaccess_change", args=[access.id]), {"field": "x"}
        ).status_code
        == 403
    )
    assert admin_client.get(reverse("admin:core_piiaccess_add")).status_code == 403
    assert admin_client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:core_piiaccess_delete", args=[access.id])).status_code
        == 403
    )
    assert PiiAccess.objects.count() == 1


def test_user_admin_role_change_and_scope_inline_are_audited(admin_client, cast):
    desk = cast.desk_a
    url = reverse("admin:accounts_user_change", args=[desk.id])
    scope = StaffScope.objects.get(user=desk)
    data = {
        "username": desk.username,
        "kind": "staff",
        "display_name": desk.display_name,
        "role": "steward",
        "department": "",
        "company": cast.company.id,
        "phone": "",
        "email": "",
        "language": "zh-hans",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "scopes-TOTAL_FORMS": "2",
        "scopes-INITIAL_FORMS": "1",
        "scopes-0-id": scope.id,
        "scopes-0-user": desk.id,
        "scopes-0-community": cast.alpha.id,
        "scopes-0-DELETE": "on",
        "scopes-1-user": desk.id,
        "scopes-1-community": cast.beta.id,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    desk.refresh_from_db()
    assert desk.role == "steward"
    assert list(desk.scopes.values_list("community_id", flat=True)) == [cast.beta.id]
    [role_change] = audit_trail(desk)
    assert role_change.changes == {"role": ["front_desk", "steward"]}
    assert "password" not in str(role_change.changes)
    scope_events = AuditEvent.objects.filter(object_type="accounts.staffscope").order_by("id")
    assert [(e.action, e.community_id) for e in scope_events] == [
        (AuditAction.DELETE, cast.alpha.id),
        (AuditAction.CREATE, cast.beta.id),
    ]
