"""Writes of customers (R-CUS-1..4): records, PII, occupancy, contacts, tags,
vehicles, notes, household archive and the timeline other domains append to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import IO, Any, ParamSpec

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from propdesk.accounts.roles import Cap
from propdesk.accounts.selectors import require
from propdesk.core import validation as v
from propdesk.core.audit import audit_record, snapshot
from propdesk.core.crypto import blind_index, decrypt, encrypt
from propdesk.core.errors import ErrorCollector, Invalid
from propdesk.core.identity import (
    mask_id_number,
    mask_phone,
    normalise_document_number,
    normalise_phone,
    normalise_plate,
    phone_display,
    prc_id_birth_date,
    validate_prc_id,
)
from propdesk.core.models import AuditAction, PiiAccess
from propdesk.core.uploads import CheckedUpload, check_upload
from propdesk.estates.selectors import community_get_for_user, house_get_for_user

from .models import (
    ContactKind,
    ContactPoint,
    Customer,
    CustomerKind,
    CustomerTag,
    Document,
    DocumentType,
    Gender,
    IdType,
    Note,
    Occupancy,
    OccupancyRole,
    Tag,
    TimelineEntry,
    Vehicle,
)
from .selectors import customer_get_for_user, occupancy_get_for_user

CUSTOMER_AUDIT_FIELDS = (
    "kind",
    "name",
    "gender",
    "birth_date",
    "id_type",
    "id_number_masked",
    "phone_masked",
    "email",
    "work_unit",
    "accepts_parcels",
)
ID_PURPOSE = "customer.id_number"
PHONE_PURPOSE = "customer.phone"


def name_keys(name: str) -> tuple[str, str]:
    """Full pinyin and initials of a name, for search: 张伟 → (zhangwei, zw)."""
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full[:300], initials[:100]


def _clean_identity(
    errors: ErrorCollector, *, kind: str, id_type: str, id_number: str
) -> tuple[str, str]:
    id_type = v.choice(errors, "id_type", id_type, IdType.choices, required=bool(id_number))
    number = (id_number or "").strip()
    if not number:
        return id_type, ""
    try:
        if id_type == IdType.PRC_RESIDENT:
            return id_type, validate_prc_id(number)
        return id_type, normalise_document_number(number)
    except Invalid as exc:
        for reason in exc.errors.get("id_number", []):
            errors.add("id_number", reason)
        return id_type, ""


def _apply_identity(customer: Customer, id_type: str, number: str) -> None:
    customer.id_type = id_type
    customer.id_number_cipher = encrypt(number)
    customer.id_number_index = blind_index(number, purpose=ID_PURPOSE)
    customer.id_number_masked = mask_id_number(number) if number else ""
    if id_type == IdType.PRC_RESIDENT and number:
        customer.birth_date = prc_id_birth_date(number)
        customer.gender = Gender.MALE if int(number[16]) % 2 else Gender.FEMALE


def _apply_phone(customer: Customer, e164: str) -> None:
    customer.phone_cipher = encrypt(e164)
    customer.phone_index = blind_index(e164, purpose=PHONE_PURPOSE)
    customer.phone_masked = mask_phone(e164) if e164 else ""
    customer.phone_last4 = phone_display(e164)[-4:] if e164 else ""


def _clean_phone(errors: ErrorCollector, phone: str | None, *, required: bool) -> str:
    if not (phone or "").strip():
        if required:
            errors.add("phone", _("This field is required."))
        return ""
    try:
        return normalise_phone(phone or "")
    except Invalid as exc:
        for reason in exc.errors.get("phone", []):
            errors.add("phone", reason)
        return ""


def _clean_email(errors: ErrorCollector, value: Any) -> str:
    email = v.text(errors, "email", value, max_length=254, required=False)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.add("email", _("Enter a valid e-mail address."))
    return email


def _duplicate_id_message(existing_name: str | None = None) -> str:
    if existing_name:
        return _("Customer %(name)s already has this ID number.") % {"name": existing_name}
    return _("Another customer of this community already has this ID number.")


def _duplicate_id_error(
    errors: ErrorCollector, community_id: int, number: str, exclude: int | None
) -> None:
    if not number:
        return
    qs = Customer.objects.filter(
        community_id=community_id, id_number_index=blind_index(number, purpose=ID_PURPOSE)
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    existing = qs.first()
    if existing:
        errors.add("id_number", _duplicate_id_message(existing.name))


def customer_create(
    *,
    actor: Any,
    community_id: int,
    name: str,
    kind: str = CustomerKind.PERSON,
    phone: str = "",
    id_type: str = "",
    id_number: str = "",
    email: str = "",
    work_unit: str = "",
    gender: str = "",
    accepts_parcels: bool = False,
    now: dt.datetime | None = None,
) -> Customer:
    """Create a customer record; PII is validated, encrypted, indexed and masked."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    community = community_get_for_user(actor, community_id)
    errors = ErrorCollector()
    name = v.text(errors, "name", name, max_length=100)
    kind = v.choice(errors, "kind", kind, CustomerKind.choices)
    gender = v.choice(errors, "gender", gender, Gender.choices, required=False)
    email = _clean_email(errors, email)
    work_unit = v.text(errors, "work_unit", work_unit, max_length=200, required=False)
    id_type, number = _clean_identity(errors, kind=kind, id_type=id_type, id_number=id_number)
    e164 = _clean_phone(errors, phone, required=False)
    _duplicate_id_error(errors, community.id, number, None)
    errors.raise_if_any()
    now = now or timezone.now()
    try:
        with transaction.atomic():
            customer = Customer(
                community=community,
                kind=kind,
                name=name,
                gender=gender,
                email=email,
                work_unit=work_unit,
                accepts_parcels=accepts_parcels,
                created_at=now,
            )
            customer.name_pinyin, customer.name_initials = name_keys(name)
            _apply_identity(customer, id_type, number)
            _apply_phone(customer, e164)
            customer.save()
            audit_record(
                actor=actor,
                instance=customer,
                action=AuditAction.CREATE,
                community_id=community.id,
                after=snapshot(customer, CUSTOMER_AUDIT_FIELDS),
            )
            timeline_append(
                community_id=community.id,
                customer_id=customer.id,
                kind="customer.created",
                title=_("Customer record created"),
                actor=actor,
                at=now,
            )
    except IntegrityError:
        # Lost a race with a concurrent record of the same ID number.
        raise Invalid.field("id_number", _duplicate_id_message()) from None
    return customer


_EDITABLE = {
    "name",
    "kind",
    "gender",
    "email",
    "work_unit",
    "accepts_parcels",
    "phone",
    "id_type",
    "id_number",
}


def customer_update(*, actor: Any, customer_id: int, **changes: Any) -> Customer:
    """Change a customer's details; PII fields are re-validated and re-encrypted."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise Invalid({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    try:
        return _customer_update(actor=actor, customer_id=customer_id, changes=changes)
    except IntegrityError:
        raise Invalid.field("id_number", _duplicate_id_message()) from None


def _customer_update(*, actor: Any, customer_id: int, changes: dict[str, Any]) -> Customer:
    with transaction.atomic():
        customer = customer_get_for_user(actor, customer_id)
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        before = snapshot(customer, CUSTOMER_AUDIT_FIELDS)
        errors = ErrorCollector()
        if "name" in changes:
            customer.name = v.text(errors, "name", changes["name"], max_length=100)
            customer.name_pinyin, customer.name_initials = name_keys(customer.name)
        if "kind" in changes:
            customer.kind = v.choice(errors, "kind", changes["kind"], CustomerKind.choices)
        if "gender" in changes:
            customer.gender = v.choice(
                errors, "gender", changes["gender"], Gender.choices, required=False
            )
        if "email" in changes:
            customer.email = _clean_email(errors, changes["email"])
        if "work_unit" in changes:
            customer.work_unit = v.text(
                errors, "work_unit", changes["work_unit"], max_length=200, required=False
            )
        if "accepts_parcels" in changes:
            customer.accepts_parcels = bool(changes["accepts_parcels"])
        if "phone" in changes:
            e164 = _clean_phone(errors, changes["phone"], required=False)
            if not errors.errors.get("phone"):
                _apply_phone(customer, e164)
        if "id_number" in changes or "id_type" in changes:
            id_type, number = _clean_identity(
                errors,
                kind=customer.kind,
                id_type=changes.get("id_type", customer.id_type),
                id_number=changes.get("id_number", decrypt(customer.id_number_cipher)),
            )
            _duplicate_id_error(errors, customer.community_id, number, customer.pk)
            if not errors.errors.get("id_number"):
                _apply_identity(customer, id_type, number)
        errors.raise_if_any()
        customer.save()
        audit_record(
            actor=actor,
            instance=customer,
            action=AuditAction.UPDATE,
            community_id=customer.community_id,
            before=before,
            after=snapshot(customer, CUSTOMER_AUDIT_FIELDS),
        )
    return customer


PII_FIELDS = {"id_number": "id_number_cipher", "phone": "phone_cipher"}


def customer_reveal_pii(
    *,
    actor: Any,
    customer_id: int,
    field: str,
    channel: str = "console",
    now: dt.datetime | None = None,
) -> str:
    """Return one protected value in full, for roles allowed to see it; every view is logged."""
    if field not in PII_FIELDS:
        raise Invalid.field("field", _("Unknown protected field."))
    customer = customer_get_for_user(actor, customer_id)
    require(actor, Cap.CUSTOMERS_VIEW_PII)
    value = decrypt(getattr(customer, PII_FIELDS[field]))
    PiiAccess.objects.create(
        at=now or timezone.now(),
        actor=actor,
        community_id=customer.community_id,
        subject_type="customers.customer",
        subject_id=str(customer.pk),
        field=field,
        channel=channel[:16],
    )
    return phone_display(value) if field == "phone" else value


def occupancy_add(
    *,
    actor: Any,
    customer_id: int,
    house_id: int,
    role: str,
    start_date: dt.date | str,
    end_date: dt.date | str | None = None,
    is_primary_contact: bool = False,
    note: str = "",
) -> Occupancy:
    """Link a customer to a house with a role and dates (R-CUS-1)."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    customer = customer_get_for_user(actor, customer_id)
    house = house_get_for_user(actor, house_id)
    errors = ErrorCollector()
    role = v.choice(errors, "role", role, OccupancyRole.choices)
    start = v.date(errors, "start_date", start_date)
    end = v.date(errors, "end_date", end_date, required=False)
    note = v.text(errors, "note", note, max_length=200, required=False)
    if start and end and end < start:
        errors.add("end_date", _("The end date is before the start date."))
    if customer.community.company_id != house.community.company_id:
        errors.add("house_id", _("The house belongs to another company."))
    errors.raise_if_any()
    assert start is not None
    if end is None:
        if (
            role == OccupancyRole.OWNER
            and Occupancy.objects.filter(
                house=house, role=OccupancyRole.OWNER, end_date__isnull=True
            ).exists()
        ):
            raise Invalid.field(
                "role",
                _(
                    "House %(h)s already has a current owner; add a co-owner or end the current ownership first."
                )
                % {"h": house.label},
            )
        if Occupancy.objects.filter(
            house=house, customer=customer, role=role, end_date__isnull=True
        ).exists():
            raise Invalid.field(
                "role",
                _("This customer already has this role in house %(h)s.") % {"h": house.label},
            )
    try:
        with transaction.atomic():
            occupancy = Occupancy.objects.create(
                community_id=house.community_id,
                house=house,
                customer=customer,
                role=role,
                start_date=start,
                end_date=end,
                is_primary_contact=is_primary_contact,
                note=note,
            )
            audit_record(
                actor=actor,
                instance=occupancy,
                action=AuditAction.CREATE,
                community_id=house.community_id,
                after=snapshot(
                    occupancy,
                    ("house", "customer", "role", "start_date", "end_date", "is_primary_contact"),
                ),
            )
            timeline_append(
                community_id=house.community_id,
                customer_id=customer.id,
                house_id=house.id,
                kind="occupancy.added",
                actor=actor,
                title=_("%(role)s of %(house)s from %(start)s")
                % {"role": occupancy.get_role_display(), "house": house.label, "start": start},
            )
    except IntegrityError:
        raise Invalid.field(
            "role",
            _("This relation conflicts with a current one of house %(h)s.") % {"h": house.label},
        ) from None
    return occupancy


def occupancy_end(
    *, actor: Any, occupancy_id: int, end_date: dt.date | str, note: str = ""
) -> Occupancy:
    """End a customer's relation to a house (moving out, sale); the row stays as history."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    errors = ErrorCollector()
    end = v.date(errors, "end_date", end_date)
    errors.raise_if_any()
    with transaction.atomic():
        occupancy = occupancy_get_for_user(actor, occupancy_id)
        occupancy = (
            Occupancy.objects.select_for_update().select_related("house").get(pk=occupancy.pk)
        )
        if occupancy.end_date is not None:
            raise Invalid.field("end_date", _("This relation has already ended."))
        assert end is not None
        if end < occupancy.start_date:
            raise Invalid.field("end_date", _("The end date is before the start date."))
        before = snapshot(occupancy, ("end_date", "note"))
        occupancy.end_date = end
        if note:
            occupancy.note = note[:200]
        occupancy.save(update_fields=["end_date", "note", "updated_at"])
        audit_record(
            actor=actor,
            instance=occupancy,
            action=AuditAction.UPDATE,
            community_id=occupancy.community_id,
            before=before,
            after=snapshot(occupancy, ("end_date", "note")),
        )
        timeline_append(
            community_id=occupancy.community_id,
            customer_id=occupancy.customer_id,
            house_id=occupancy.house_id,
            kind="occupancy.ended",
            actor=actor,
            title=_("%(role)s of %(house)s until %(end)s")
            % {"role": occupancy.get_role_display(), "house": occupancy.house.label, "end": end},
        )
    return occupancy


def contact_add(
    *, actor: Any, customer_id: int, kind: str, value: str, label: str = ""
) -> ContactPoint:
    """Add a contact point; phone numbers are validated, and every value is stored encrypted."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    customer = customer_get_for_user(actor, customer_id)
    errors = ErrorCollector()
    kind = v.choice(errors, "kind", kind, ContactKind.choices)
    label = v.text(errors, "label", label, max_length=60, required=False)
    raw = v.text(errors, "value", value, max_length=200)
    masked = raw
    if raw and kind in {ContactKind.MOBILE, ContactKind.LANDLINE, ContactKind.EMERGENCY}:
        try:
            raw = normalise_phone(raw, field="value")
            masked = mask_phone(raw)
        except Invalid as exc:
            for reason in exc.errors["value"]:
                errors.add("value", reason)
    elif raw and kind == ContactKind.EMAIL:
        if "@" not in raw:
            errors.add("value", _("Enter a valid e-mail address."))
        local, _sep, domain = raw.partition("@")
        masked = local[:1] + "***@" + domain
    elif raw and kind == ContactKind.ADDRESS:
        masked = raw[:6] + "…"
    elif raw and kind == ContactKind.WECHAT:
        masked = raw[:2] + "***" + (raw[-2:] if len(raw) > 6 else "")
    errors.raise_if_any()
    with transaction.atomic():
        contact = ContactPoint.objects.create(
            customer=customer,
            kind=kind,
            label=label,
            value_cipher=encrypt(raw),
            value_masked=masked,
        )
        audit_record(
            actor=actor,
            instance=customer,
            action=AuditAction.UPDATE,
            community_id=customer.community_id,
            before={"contact": None},
            after={"contact": f"{kind} {masked}"},
        )
    return contact


def customer_tags_set(*, actor: Any, customer_id: int, tag_ids: Iterable[int]) -> list[Tag]:
    """Replace a customer's classes and tags (R-CUS-2)."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    customer = customer_get_for_user(actor, customer_id)
    try:
        wanted = {int(tag_id) for tag_id in tag_ids}
    except (TypeError, ValueError):
        raise Invalid.field("tags", _("Unknown tag.")) from None
    tags = list(Tag.objects.filter(company_id=customer.community.company_id, id__in=wanted))
    if len(tags) != len(wanted):
        raise Invalid.field("tags", _("Unknown tag."))
    with transaction.atomic():
        # Serialise concurrent edits of the same customer's tags.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        before = sorted(customer.tags.values_list("code", flat=True))
        CustomerTag.objects.filter(customer=customer).exclude(tag_id__in=wanted).delete()
        existing = set(
            CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True)
        )
        CustomerTag.objects.bulk_create(
            [
                CustomerTag(customer=customer, tag=t, added_by=actor)
                for t in tags
                if t.id not in existing
            ]
        )
        audit_record(
            actor=actor,
            instance=customer,
            action=AuditAction.UPDATE,
            community_id=customer.community_id,
            before={"tags": before},
            after={"tags": sorted(t.code for t in tags)},
        )
    return tags


def vehicle_add(
    *, actor: Any, customer_id: int, plate: str, description: str = "", parking_space: str = ""
) -> Vehicle:
    """Register a customer's vehicle by licence plate (unique in the community)."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    customer = customer_get_for_user(actor, customer_id)
    errors = ErrorCollector()
    try:
        plate = normalise_plate(plate)
    except Invalid as exc:
        errors.add("plate", exc.errors["plate"][0])
    description = v.text(errors, "description", description, max_length=100, required=False)
    parking_space = v.text(errors, "parking_space", parking_space, max_length=40, required=False)
    if (
        not errors
        and Vehicle.objects.filter(community_id=customer.community_id, plate=plate).exists()
    ):
        errors.add(
            "plate", _("Plate %(p)s is already registered in this community.") % {"p": plate}
        )
    errors.raise_if_any()
    try:
        with transaction.atomic():
            vehicle = Vehicle.objects.create(
                community_id=customer.community_id,
                customer=customer,
                plate=plate,
                description=description,
                parking_space=parking_space,
            )
            audit_record(
                actor=actor,
                instance=vehicle,
                action=AuditAction.CREATE,
                community_id=customer.community_id,
                after=snapshot(vehicle, ("customer", "plate", "description", "parking_space")),
            )
    except IntegrityError:
        raise Invalid.field(
            "plate", _("Plate %(p)s is already registered in this community.") % {"p": plate}
        ) from None
    return vehicle


def note_add(*, actor: Any, customer_id: int, body: str, pinned: bool = False) -> Note:
    """Add a staff note to a customer."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    customer = customer_get_for_user(actor, customer_id)
    errors = ErrorCollector()
    body = v.text(errors, "body", body, max_length=4000)
    errors.raise_if_any()
    return Note.objects.create(customer=customer, author=actor, body=body, pinned=pinned)


_EXTENSION_ALIASES = {"jpeg": "jpg", "jpe": "jpg"}
_CHECKED_EXTENSIONS = frozenset({"pdf", "jpg", "png", "webp"})


def _claimed_extension(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return _EXTENSION_ALIASES.get(ext, ext)


def document_upload(
    *,
    actor: Any,
    doc_type: str,
    upload: IO[bytes],
    filename: str,
    customer_id: int | None = None,
    house_id: int | None = None,
    title: str = "",
    now: dt.datetime | None = None,
) -> Document:
    """File a document in the household archive (R-CUS-4); type and size are checked by content."""
    require(actor, Cap.CUSTOMERS_ARCHIVE)
    if customer_id is None and house_id is None:
        raise Invalid.field("customer_id", _("A document belongs to a customer or a house."))
    customer = customer_get_for_user(actor, customer_id) if customer_id is not None else None
    house = house_get_for_user(actor, house_id) if house_id is not None else None
    errors = ErrorCollector()
    doc_type = v.choice(errors, "doc_type", doc_type, DocumentType.choices)
    title = v.text(errors, "title", title, max_length=200, required=False)
    checked: CheckedUpload | None = None
    try:
        checked = check_upload(upload, field="file")
    except Invalid as exc:
        for reason in exc.errors.get("file", []):
            errors.add("file", reason)
    claimed = _claimed_extension(filename)
    if checked is not None and claimed in _CHECKED_EXTENSIONS and claimed != checked.extension:
        # A name that promises one format over content of another is refused, not renamed.
        errors.add(
            "file",
            _("The file is named .%(claimed)s but its content is %(actual)s.")
            % {"claimed": claimed, "actual": checked.extension.upper()},
        )
    errors.raise_if_any()
    assert checked is not None
    now = now or timezone.now()
    community_id = house.community_id if house else customer.community_id  # type: ignore[union-attr]
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    safe_stem = "".join(ch for ch in stem if ch.isalnum() or ch in "_-")[-80:] or "file"
    # The stored name carries the extension of the content, whatever the client called it.
    safe_name = f"{safe_stem}.{checked.extension}"
    with transaction.atomic():
        document = Document(
            community_id=community_id,
            customer=customer,
            house=house,
            doc_type=doc_type,
            title=title,
            original_name=filename[:255],
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
            uploaded_at=now,
        )
        document.file.save(safe_name, File(upload), save=False)
        try:
            document.save()
            audit_record(
                actor=actor,
                instance=document,
                action=AuditAction.CREATE,
                community_id=community_id,
                after=snapshot(
                    document, ("customer", "house", "doc_type", "original_name", "size")
                ),
            )
            timeline_append(
                community_id=community_id,
                customer_id=customer.id if customer else None,
                house_id=house.id if house else None,
                kind="archive.filed",
                actor=actor,
                title=_("Filed: %(type)s") % {"type": document.get_doc_type_display()},
                ref_type="customers.document",
                ref_id=str(document.pk),
                at=now,
            )
        except Exception:
            document.file.delete(save=False)
            raise
    return document


def timeline_entry(
    *,
    community_id: int,
    kind: str,
    title: str,
    customer_id: int | None = None,
    house_id: int | None = None,
    body: str = "",
    actor: Any = None,
    ref_type: str = "",
    ref_id: Any = "",
    at: dt.datetime | None = None,
) -> TimelineEntry:
    """One interaction for a customer's and/or house's timeline, not yet saved: for a
    writer that saves it with other rows (`core.rows.insert_family`). Other domains
    that only append one call `timeline_append`, which takes the same arguments."""
    if customer_id is None and house_id is None:
        raise ValueError("a timeline entry needs a customer or a house")
    return TimelineEntry(
        community_id=community_id,
        customer_id=customer_id,
        house_id=house_id,
        kind=kind[:48],
        title=str(title)[:200],
        body=body,
        actor=actor if getattr(actor, "pk", None) else None,
        ref_type=ref_type,
        ref_id=ref_id,
        at=at or timezone.now(),
    )


P = ParamSpec("P")


def _saved(build: Callable[P, TimelineEntry]) -> Callable[P, TimelineEntry]:
    def append(*args: P.args, **kwargs: P.kwargs) -> TimelineEntry:
        entry = build(*args, **kwargs)
        entry.save(force_insert=True)
        return entry

    append.__name__ = append.__qualname__ = "timeline_append"
    append.__doc__ = "Append one interaction to a timeline (other domains call this)."
    return append


# Takes `timeline_entry`'s arguments (one signature, checked by mypy) and saves the entry.
timeline_append = _saved(timeline_entry)


def tag_ensure(
    *, company_id: int, code: str, name: str, is_class: bool = False, color: str = "#64748b"
) -> Tag:
    """Create a tag if missing (seed data and imports)."""
    tag, _created = Tag.objects.get_or_create(
        company_id=company_id,
        code=code,
        defaults={"name": name, "is_class": is_class, "color": color},
    )
    return tag
