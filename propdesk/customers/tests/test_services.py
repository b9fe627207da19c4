"""Customer writes (R-CUS-1..4): PII at rest, refusals that write nothing, occupancy,
tags, vehicles, notes, the household archive, the timeline and the audit trail."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.db import connection
from django.utils import translation

from propdesk.core.audit import audit_trail
from propdesk.core.crypto import decrypt
from propdesk.core.errors import Forbidden, Invalid, NotFound
from propdesk.core.models import AuditAction, PiiAccess
from propdesk.customers.models import (
    ContactPoint,
    CustomerTag,
    Document,
    Occupancy,
    TimelineEntry,
)
from propdesk.customers.selectors import customer_find_by_id_number
from propdesk.customers.services import (
    contact_add,
    customer_create,
    customer_reveal_pii,
    customer_tags_set,
    customer_update,
    document_upload,
    note_add,
    occupancy_add,
    occupancy_end,
    tag_ensure,
    timeline_append,
    vehicle_add,
)
from propdesk.testing.cast import ALICE_ID, BOB_ID
from propdesk.testing.counts import row_counts

DAVID_ID = "110105198506150014"  # valid check digit, born 1985-06-15, male
DAVID_PHONE = "13912345678"
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def make_david(cast, **extra):
    return customer_create(
        actor=cast.desk_a,
        community_id=cast.alpha.id,
        name="陈大卫",
        id_type="prc_resident",
        id_number=DAVID_ID,
        phone=DAVID_PHONE,
        now=NOW,
        **extra,
    )


# --- PII at rest (R-CUS-3) ---------------------------------------------------


def test_id_number_and_phone_are_encrypted_at_rest_r_cus_3(cast):
    david = make_david(cast)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM customers_customer WHERE id = %s", [david.id])
        row = cursor.fetchone()
    stored = " ".join(str(value) for value in row)
    assert DAVID_ID not in stored
    assert DAVID_ID[:14] not in stored  # not even the region + birth date
    assert DAVID_PHONE not in stored
    assert decrypt(david.id_number_cipher) == DAVID_ID
    assert decrypt(david.phone_cipher) == "+86" + DAVID_PHONE
    # Lists show the masks only.
    assert david.id_number_masked == "1101**********0014"
    assert david.phone_masked == "139****5678"
    assert david.phone_last4 == "5678"
    # Derived from the ID: birth date and gender.
    assert david.birth_date == dt.date(1985, 6, 15)
    assert david.gender == "m"
    assert (david.name_pinyin, david.name_initials) == ("chendawei", "cdw")


def test_blind_index_finds_the_exact_id_and_never_a_partial_number_r_cus_3(cast):
    david = make_david(cast)
    assert list(customer_find_by_id_number(cast.desk_a, DAVID_ID)) == [david]
    assert list(customer_find_by_id_number(cast.desk_a, " 1101 0519 8506 1500 14 ")) == [david]
    for partial in (DAVID_ID[:17], DAVID_ID[:6], DAVID_ID[-4:], DAVID_ID[4:], "1101"):
        assert not customer_find_by_id_number(cast.desk_a, partial).exists()
    # Scoped like every read: another community's desk does not find it.
    assert not customer_find_by_id_number(cast.desk_b, DAVID_ID).exists()


def test_lower_case_x_in_id_is_found_and_stored_upper_case(cast):
    assert ALICE_ID.endswith("X")
    assert list(customer_find_by_id_number(cast.desk_a, ALICE_ID.lower())) == [cast.alice]


@pytest.mark.parametrize(
    ("id_number", "reason"),
    [
        ("110105198506150015", "check digit"),
        ("11010519850615001", "17 digits"),
        ("110105198502300016", "real date"),
        ("000105198506150014", "region"),
    ],
)
def test_invalid_id_number_is_refused_naming_the_field_and_nothing_written(cast, id_number, reason):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        customer_create(
            actor=cast.desk_a,
            community_id=cast.alpha.id,
            name="陈大卫",
            id_type="prc_resident",
            id_number=id_number,
        )
    assert list(exc.value.errors) == ["id_number"]
    assert reason in str(exc.value.errors["id_number"][0])
    assert row_counts() == before


@pytest.mark.parametrize("phone", ["12345", "1381234567", "abc", "+86 100 0000 0000"])
def test_invalid_phone_is_refused_naming_phone_and_nothing_written(cast, phone):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        customer_create(actor=cast.desk_a, community_id=cast.alpha.id, name="陈", phone=phone)
    assert list(exc.value.errors) == ["phone"]
    assert row_counts() == before


def test_every_bad_field_is_reported_at_once(cast):
    with pytest.raises(Invalid) as exc:
        customer_create(
            actor=cast.desk_a,
            community_id=cast.alpha.id,
            name="",
            kind="robot",
            id_type="prc_resident",
            id_number="123",
            phone="1",
            email="not-an-email",
        )
    assert set(exc.value.errors) == {"name", "kind", "id_number", "phone", "email"}


def test_id_number_without_id_type_names_id_type(cast):
    with pytest.raises(Invalid) as exc:
        customer_create(
            actor=cast.desk_a, community_id=cast.alpha.id, name="陈", id_number=DAVID_ID
        )
    assert list(exc.value.errors) == ["id_type"]


def test_duplicate_id_number_in_a_community_is_refused_r_cus_1(cast):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        customer_create(
            actor=cast.desk_a,
            community_id=cast.alpha.id,
            name="李娜二",
            id_type="prc_resident",
            id_number=BOB_ID,
        )
    assert list(exc.value.errors) == ["id_number"]
    assert "李娜" in str(exc.value.errors["id_number"][0])
    assert row_counts() == before
    # Changing another customer's ID to Bob's is refused the same way.
    with pytest.raises(Invalid) as exc:
        customer_update(actor=cast.desk_a, customer_id=cast.alice.id, id_number=BOB_ID)
    assert list(exc.value.errors) == ["id_number"]


def test_database_refuses_a_second_record_of_one_id_even_past_the_service_r_cus_1(cast):
    from django.db import IntegrityError, transaction

    from propdesk.customers.models import Customer

    twin = Customer(community=cast.alpha, name="复制", id_number_index=cast.bob.id_number_index)
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    # Customers without an ID number are not constrained by it.
    Customer.objects.create(community=cast.alpha, name="无证一")
    Customer.objects.create(community=cast.alpha, name="无证二")


def test_create_requires_customers_manage_and_scope(cast):
    with pytest.raises(Forbidden):
        customer_create(actor=cast.tech_a, community_id=cast.alpha.id, name="陈")
    with pytest.raises(NotFound):
        customer_create(actor=cast.desk_b, community_id=cast.alpha.id, name="陈")
    with pytest.raises(Forbidden):
        customer_create(actor=cast.owner_alice, community_id=cast.alpha.id, name="陈")


def test_customer_create_and_update_are_audited_with_masks_only(cast):
    david = make_david(cast)
    customer_update(actor=cast.steward_a, customer_id=david.id, phone="13700001111", name="陈大伟")
    update, create = audit_trail(david)
    assert create.action == AuditAction.CREATE
    assert create.actor == cast.desk_a
    assert create.changes["id_number_masked"] == [None, "1101**********0014"]
    assert update.action == AuditAction.UPDATE
    assert update.actor == cast.steward_a
    assert update.changes == {
        "name": ["陈大卫", "陈大伟"],
        "phone_masked": ["139****5678", "137****1111"],
    }
    every_change = str([e.changes for e in (create, update)])
    assert DAVID_ID not in every_change
    assert "13700001111" not in every_change


def test_update_with_a_bad_phone_changes_nothing(cast):
    before_cipher = cast.alice.phone_cipher
    with pytest.raises(Invalid):
        customer_update(actor=cast.desk_a, customer_id=cast.alice.id, phone="123", name="新名")
    cast.alice.refresh_from_db()
    assert cast.alice.name == "张伟"
    assert cast.alice.phone_cipher == before_cipher
    assert audit_trail(cast.alice) == []


def test_timeline_records_the_creation(cast):
    david = make_david(cast)
    [entry] = TimelineEntry.objects.filter(customer=david)
    assert entry.kind == "customer.created"
    assert entry.at == NOW
    assert entry.actor == cast.desk_a


# --- reveal (R-CUS-3) --------------------------------------------------------


def test_reveal_pii_returns_full_value_and_logs_when_permitted_r_cus_3(cast):
    value = customer_reveal_pii(
        actor=cast.steward_a, customer_id=cast.alice.id, field="id_number", now=NOW
    )
    assert value == ALICE_ID
    phone = customer_reveal_pii(actor=cast.steward_a, customer_id=cast.alice.id, field="phone")
    assert phone == "13812345678"
    log = list(PiiAccess.objects.order_by("id"))
    assert [(a.actor, a.subject_id, a.field) for a in log] == [
        (cast.steward_a, str(cast.alice.id), "id_number"),
        (cast.steward_a, str(cast.alice.id), "phone"),
    ]
    assert log[0].at == NOW
    assert log[0].community_id == cast.alpha.id


def test_reveal_pii_refused_without_permission_or_scope_writes_no_log_r_cus_3(cast):
    with pytest.raises(Forbidden):
        customer_reveal_pii(actor=cast.desk_a, customer_id=cast.alice.id, field="id_number")
    with pytest.raises(NotFound):
        customer_reveal_pii(actor=cast.desk_b, customer_id=cast.alice.id, field="id_number")
    with pytest.raises(NotFound):
        customer_reveal_pii(actor=cast.owner_alice, customer_id=cast.alice.id, field="phone")
    with pytest.raises(Invalid):
        customer_reveal_pii(actor=cast.steward_a, customer_id=cast.alice.id, field="email")
    assert not PiiAccess.objects.exists()


# --- occupancy (R-CUS-1) -----------------------------------------------------


def test_one_current_owner_per_house_r_cus_1(cast):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        occupancy_add(
            actor=cast.desk_a,
            customer_id=cast.bob.id,
            house_id=cast.house_a1.id,
            role="owner",
            start_date="2024-01-01",
        )
    assert list(exc.value.errors) == ["role"]
    assert "1-1-101 already has a current owner" in str(exc.value.errors["role"][0])
    assert row_counts() == before
    # A co-owner is fine.
    co = occupancy_add(
        actor=cast.desk_a,
        customer_id=cast.bob.id,
        house_id=cast.house_a1.id,
        role="co_owner",
        start_date="2024-01-01",
    )
    assert co.role == "co_owner"


def test_end_date_before_start_is_refused(cast):
    with pytest.raises(Invalid) as exc:
        occupancy_add(
            actor=cast.desk_a,
            customer_id=cast.bob.id,
            house_id=cast.house_a1.id,
            role="tenant",
            start_date="2025-05-01",
            end_date="2025-04-30",
        )
    assert list(exc.value.errors) == ["end_date"]


def test_ending_ownership_lets_a_new_owner_in_and_keeps_history(cast):
    [alice_owns] = Occupancy.objects.filter(customer=cast.alice)
    with pytest.raises(Invalid) as exc:
        occupancy_end(actor=cast.desk_a, occupancy_id=alice_owns.id, end_date="2019-12-31")
    assert list(exc.value.errors) == ["end_date"]
    occupancy_end(actor=cast.desk_a, occupancy_id=alice_owns.id, end_date="2026-06-30")
    with pytest.raises(Invalid):
        occupancy_end(actor=cast.desk_a, occupancy_id=alice_owns.id, end_date="2026-07-30")
    new = occupancy_add(
        actor=cast.desk_a,
        customer_id=cast.bob.id,
        house_id=cast.house_a1.id,
        role="owner",
        start_date="2026-07-01",
    )
    assert Occupancy.objects.filter(house=cast.house_a1, role="owner").count() == 2
    # Audit and timeline of both changes.
    [ended] = audit_trail(alice_owns)
    assert ended.changes == {"end_date": [None, "2026-06-30"]}
    [added] = audit_trail(new)
    assert added.action == AuditAction.CREATE
    assert added.changes["role"] == [None, "owner"]
    kinds = set(TimelineEntry.objects.filter(house=cast.house_a1).values_list("kind", flat=True))
    assert kinds == {"occupancy.ended", "occupancy.added"}


def test_occupancy_across_communities_needs_both_in_scope(cast):
    with pytest.raises(NotFound):
        occupancy_add(
            actor=cast.desk_a,
            customer_id=cast.alice.id,
            house_id=cast.house_b1.id,
            role="tenant",
            start_date="2025-01-01",
        )
    occ = occupancy_add(
        actor=cast.admin,
        customer_id=cast.alice.id,
        house_id=cast.house_b1.id,
        role="tenant",
        start_date="2025-01-01",
    )
    assert occ.community_id == cast.beta.id


# --- contacts, tags, vehicles, notes -----------------------------------------


def test_contact_points_are_validated_and_stored_encrypted(cast):
    contact = contact_add(
        actor=cast.desk_a, customer_id=cast.alice.id, kind="emergency", value="13600001234",
        label="女儿",
    )  # fmt: skip
    assert contact.value_masked == "136****1234"
    assert decrypt(contact.value_cipher) == "+8613600001234"
    with pytest.raises(Invalid) as exc:
        contact_add(actor=cast.desk_a, customer_id=cast.alice.id, kind="mobile", value="12")
    assert list(exc.value.errors) == ["value"]
    assert ContactPoint.objects.count() == 1


def test_tags_and_classes_are_set_and_audited_r_cus_2(cast):
    elderly = tag_ensure(
        company_id=cast.company.id, code="elderly_alone", name="独居老人", is_class=True
    )
    key = tag_ensure(company_id=cast.company.id, code="key", name="重点客户", is_class=True)
    customer_tags_set(actor=cast.desk_a, customer_id=cast.alice.id, tag_ids=[elderly.id, key.id])
    customer_tags_set(actor=cast.desk_a, customer_id=cast.alice.id, tag_ids=[str(elderly.id)])
    assert list(cast.alice.tags.all()) == [elderly]
    second, first = audit_trail(cast.alice)
    assert first.changes == {"tags": [[], ["elderly_alone", "key"]]}
    assert second.changes == {"tags": [["elderly_alone", "key"], ["elderly_alone"]]}


def test_unknown_or_other_company_tag_is_refused(cast):
    from propdesk.estates.models import Company

    other = Company.objects.create(code="other", name="别家")
    foreign = tag_ensure(company_id=other.id, code="x", name="外")
    for bad in ([foreign.id], [999999], ["abc"]):
        with pytest.raises(Invalid) as exc:
            customer_tags_set(actor=cast.desk_a, customer_id=cast.alice.id, tag_ids=bad)
        assert list(exc.value.errors) == ["tags"]
    assert not CustomerTag.objects.exists()


@pytest.mark.parametrize("plate", ["浙A12345", "浙a·12345", "粤BD12345", "京A1234学"])
def test_valid_plates_are_registered_normalised(cast, plate):
    vehicle = vehicle_add(actor=cast.desk_a, customer_id=cast.alice.id, plate=plate)
    assert vehicle.plate == plate.upper().replace("·", "")
    assert vehicle.community_id == cast.alpha.id
    assert audit_trail(vehicle)[0].action == AuditAction.CREATE


@pytest.mark.parametrize("plate", ["", "A12345", "浙A1234", "浙AI2345", "浙A123456789"])
def test_invalid_plate_is_refused_naming_plate(cast, plate):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        vehicle_add(actor=cast.desk_a, customer_id=cast.alice.id, plate=plate)
    assert list(exc.value.errors) == ["plate"]
    assert row_counts() == before


def test_duplicate_plate_in_a_community_is_refused(cast):
    vehicle_add(actor=cast.desk_a, customer_id=cast.alice.id, plate="浙A12345")
    with pytest.raises(Invalid) as exc:
        vehicle_add(actor=cast.desk_a, customer_id=cast.bob.id, plate="浙A 12345")
    assert list(exc.value.errors) == ["plate"]
    # Another community may have the same plate registered (a car parks in both).
    vehicle_add(actor=cast.desk_b, customer_id=cast.carol_b.id, plate="浙A12345")


def test_notes_are_validated_and_need_the_permission(cast):
    note = note_add(actor=cast.desk_a, customer_id=cast.alice.id, body=" 业主要求上午来电 ")
    assert note.body == "业主要求上午来电"
    with pytest.raises(Invalid) as exc:
        note_add(actor=cast.desk_a, customer_id=cast.alice.id, body="   ")
    assert list(exc.value.errors) == ["body"]
    with pytest.raises(Forbidden):
        note_add(actor=cast.tech_a, customer_id=cast.alice.id, body="x")


# --- household archive (R-CUS-4) ---------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF, "委托书.pdf", "application/pdf"),
        (JPEG, "id-front.JPEG", "image/jpeg"),
        (PNG, "scan.png", "image/png"),
        (PNG, "scan", "image/png"),
    ],
)
def test_archive_accepts_pdf_jpeg_png_by_content_r_cus_4(cast, media, content, name, content_type):
    document = document_upload(
        actor=cast.desk_a,
        doc_type="power_of_attorney",
        upload=io.BytesIO(content),
        filename=name,
        customer_id=cast.alice.id,
        house_id=cast.house_a1.id,
        now=NOW,
    )
    assert document.content_type == content_type
    assert document.size == len(content)
    assert document.original_name == name
    [stored] = files_under(media)
    assert stored.read_bytes() == content
    assert stored.suffix == "." + {"application/pdf": "pdf", "image/jpeg": "jpg"}.get(
        content_type, "png"
    )
    entry = TimelineEntry.objects.get(kind="archive.filed")
    assert (entry.customer_id, entry.house_id, entry.ref_id) == (
        cast.alice.id,
        cast.house_a1.id,
        str(document.id),
    )
    assert audit_trail(document)[0].action == AuditAction.CREATE


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"MZ\x90\x00 definitely not a pdf", "contract.pdf", "not accepted"),
        (b"<html>hello</html>", "photo.jpg", "not accepted"),
        (PNG, "contract.pdf", "named .pdf but its content is PNG"),
        (b"", "empty.pdf", "empty"),
    ],
)
def test_archive_refuses_wrong_content_and_writes_nothing_r_cus_4(
    cast, media, content, name, reason
):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        document_upload(
            actor=cast.desk_a,
            doc_type="agreement",
            upload=io.BytesIO(content),
            filename=name,
            customer_id=cast.alice.id,
        )
    assert list(exc.value.errors) == ["file"]
    assert reason in str(exc.value.errors["file"][0])
    assert row_counts() == before
    assert files_under(media) == []


def test_archive_refuses_oversized_file_r_cus_4(cast, media, settings):
    settings.PROPDESK_UPLOAD_MAX_BYTES = 1024
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        document_upload(
            actor=cast.desk_a,
            doc_type="id_copy",
            upload=io.BytesIO(PDF + b"0" * 1024),
            filename="big.pdf",
            customer_id=cast.alice.id,
        )
    assert list(exc.value.errors) == ["file"]
    assert "at most" in str(exc.value.errors["file"][0])
    assert row_counts() == before
    assert files_under(media) == []


def test_archive_reports_type_and_file_errors_together_and_checks_scope(cast, media):
    with pytest.raises(Invalid) as exc:
        document_upload(
            actor=cast.desk_a,
            doc_type="selfie",
            upload=io.BytesIO(b"nope"),
            filename="x.pdf",
            customer_id=cast.alice.id,
        )
    assert set(exc.value.errors) == {"doc_type", "file"}
    with pytest.raises(NotFound):
        document_upload(
            actor=cast.desk_b,
            doc_type="id_copy",
            upload=io.BytesIO(PDF),
            filename="x.pdf",
            customer_id=cast.alice.id,
        )
    with pytest.raises(Forbidden):
        document_upload(
            actor=cast.tech_a,
            doc_type="id_copy",
            upload=io.BytesIO(PDF),
            filename="x.pdf",
            customer_id=cast.alice.id,
        )
    assert not Document.objects.exists()
    assert files_under(media) == []


# --- timeline ----------------------------------------------------------------


def test_other_domains_append_to_the_timeline_newest_first(cast):
    first = timeline_append(
        community_id=cast.alpha.id,
        customer_id=cast.alice.id,
        house_id=cast.house_a1.id,
        kind="case.created",
        title="报修：厨房漏水",
        ref_type="servicedesk.case",
        ref_id="42",
        at=NOW,
    )
    second = timeline_append(
        community_id=cast.alpha.id,
        house_id=cast.house_a1.id,
        kind="parcel.received",
        title="代收快递",
        at=NOW + dt.timedelta(hours=1),
    )
    assert list(TimelineEntry.objects.filter(house=cast.house_a1)) == [second, first]
    with pytest.raises(ValueError, match="customer or a house"):
        timeline_append(community_id=cast.alpha.id, kind="x", title="x")


# --- races: the database decides, the loser gets a field error, not a crash ----


def test_lost_race_on_id_number_is_a_field_error_r_cus_1(cast, monkeypatch):
    # Simulate the other desk inserting between our check and our insert.
    monkeypatch.setattr("propdesk.customers.services._duplicate_id_error", lambda *a, **k: None)
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        customer_create(
            actor=cast.desk_a,
            community_id=cast.alpha.id,
            name="李娜二",
            id_type="prc_resident",
            id_number=BOB_ID,
        )
    assert list(exc.value.errors) == ["id_number"]
    assert row_counts() == before


def test_lost_race_on_plate_is_a_field_error(cast, monkeypatch):
    vehicle_add(actor=cast.desk_a, customer_id=cast.alice.id, plate="浙A12345")
    from propdesk.customers import services
    from propdesk.customers.models import Vehicle

    real_filter = services.Vehicle.objects.filter

    def no_duplicates_seen(*args, **kwargs):
        qs = real_filter(*args, **kwargs)
        return qs.none() if "plate" in kwargs else qs

    monkeypatch.setattr(services.Vehicle.objects, "filter", no_duplicates_seen)
    assert Vehicle.objects.count() == 1
    with pytest.raises(Invalid) as exc:
        vehicle_add(actor=cast.desk_a, customer_id=cast.bob.id, plate="浙A12345")
    assert list(exc.value.errors) == ["plate"]


@pytest.mark.django_db(transaction=True)
def test_two_desks_registering_one_id_at_once_one_wins_r_cus_1(cast, on_postgres, monkeypatch):
    import threading

    from django.db import connection as conn

    from propdesk.customers.models import Customer

    # Both pass the friendly pre-check before either inserts; the constraint decides.
    barrier = threading.Barrier(2, timeout=10)
    monkeypatch.setattr(
        "propdesk.customers.services._duplicate_id_error", lambda *a, **k: barrier.wait()
    )
    outcomes: list[str] = []

    def register(actor):
        try:
            customer_create(
                actor=actor,
                community_id=cast.alpha.id,
                name="陈大卫",
                id_type="prc_resident",
                id_number=DAVID_ID,
            )
            outcomes.append("created")
        except Invalid as exc:
            outcomes.append(",".join(exc.errors))
        finally:
            conn.close()

    threads = [threading.Thread(target=register, args=(a,)) for a in (cast.desk_a, cast.steward_a)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created", "id_number"]
    assert Customer.objects.filter(name="陈大卫").count() == 1


def test_id_and_phone_refusals_speak_the_users_language(cast):
    from pathlib import Path

    import propdesk

    if not (Path(propdesk.__file__).parent / "core/locale/zh_Hans/LC_MESSAGES/django.mo").exists():
        pytest.skip("translations not compiled (scripts/bootstrap runs compilemessages)")
    with translation.override("zh-hans"), pytest.raises(Invalid) as exc:
        customer_create(
            actor=cast.desk_a,
            community_id=cast.alpha.id,
            name="陈大卫",
            id_type="prc_resident",
            id_number="110105198506150015",
            phone="12345",
        )
    assert exc.value.errors["id_number"] == ["身份证号码的校验码错误。"]
    assert exc.value.errors["phone"] == ["此电话号码不存在。"]
