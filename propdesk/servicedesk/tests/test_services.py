from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from propdesk.core.errors import Conflict, Forbidden, Invalid, NotFound
from propdesk.core.memo import Memo
from propdesk.core.uploads import signature_from_data_url
from propdesk.customers.models import Occupancy, TimelineEntry
from propdesk.servicedesk import services
from propdesk.servicedesk.models import (
    BillingBasis,
    CaseEvent,
    CaseStatus,
    Category,
    ChargeRequest,
    ReturnVisit,
    ServiceItem,
)
from propdesk.servicedesk.selectors import (
    allowed_transitions,
    case_get_for_user,
    reply_templates_for,
    return_visit_summary,
)
from propdesk.sla.models import Clock
from propdesk.testing.counts import row_counts

from .conftest import PNG, T0, category, png_upload

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- intake -------------------------------------------------------------------------


def test_repair_intake_records_customer_address_problem_and_appointment_r_rep_1(cast, desk):
    case = desk.repair(
        appointment_start=T0 + dt.timedelta(hours=2), appointment_end=T0 + dt.timedelta(hours=4)
    )
    assert case.number == "BX26-00001"
    assert case.customer == cast.alice
    assert case.house == cast.house_a1
    assert case.building == cast.building_a
    assert case.description == "厨房水龙头漏水"
    assert case.appointment_start == T0 + dt.timedelta(hours=2)
    assert case.status == CaseStatus.RECEIVED
    assert case.department == cast.maint_dept_a  # routed by the category
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.to_status, event.actor) == ("create", "received", cast.desk_a)
    assert TimelineEntry.objects.filter(customer=cast.alice, ref_id=str(case.pk)).exists()


def test_intake_writes_case_clocks_events_and_timeline_in_one_statement_on_postgresql(cast, desk):
    desk.repair()  # the community's number series for the year exists from here on
    with CaptureQueriesContext(connection) as queries:
        case = desk.complaint(immediate_action="先关闭楼层总阀止损")
    inserts = [q["sql"] for q in queries if "INSERT" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(inserts) == 1
        assert inserts[0].startswith("WITH")
    assert Clock.objects.filter(case=case).exists()
    assert list(
        CaseEvent.objects.filter(case=case).order_by("pk").values_list("action", flat=True)
    ) == [
        "create",
        "immediate_action",
    ]
    kinds = TimelineEntry.objects.filter(ref_type="servicedesk.case", ref_id=str(case.pk))
    assert sorted(kinds.values_list("kind", flat=True)) == ["case.create", "case.immediate_action"]


def test_a_case_is_read_with_few_joins_and_its_reference_rows_from_the_process_copies(
    cast, desk, django_assert_num_queries
):
    made = desk.repair("public.light")
    with CaptureQueriesContext(connection) as queries:
        case = case_get_for_user(cast.desk_a, made.pk)
    read = next(q["sql"] for q in queries if "servicedesk_case" in q["sql"])
    assert read.count(" JOIN ") <= 5  # ten joins cost PostgreSQL 6 ms of planning per read
    with django_assert_num_queries(0):
        labels = (case.community.name, case.category.parent.name, case.department.name)
    assert labels == (cast.alpha.name, made.category.parent.name, cast.maint_dept_a.name)
    # A category retired since: still shown, read from the database on first use.
    Category.objects.filter(pk=made.category_id).update(is_active=False)
    Memo.clear_all()
    assert case_get_for_user(cast.desk_a, made.pk).category.name == made.category.name


def test_case_numbers_are_per_community_and_year_and_never_reused(cast, desk):
    first = desk.repair()
    second = desk.complaint()
    next_year = desk.repair(now=T0 + dt.timedelta(days=365))
    assert (first.number, second.number) == ("BX26-00001", "TS26-00002")
    assert next_year.number == "BX27-00001"
    services.case_cancel(actor=cast.maint_head_a, case_id=first.pk, reason="重复报修", now=T0)
    assert desk.repair().number == "BX26-00003"


def test_a_caller_without_a_customer_record_needs_name_and_phone(cast):
    with pytest.raises(Invalid) as exc:
        services.case_create(
            actor=cast.desk_a,
            community_id=cast.alpha.pk,
            kind="inquiry",
            channel="phone",
            description="问物业费",
            location="大门口",
        )
    assert "customer_id" in exc.value.errors
    case = services.case_create(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        kind="inquiry",
        channel="phone",
        description="问物业费",
        location="大门口",
        reporter_name="路人甲",
        reporter_phone="13900001111",
        category_id=category("fees", "inquiry").pk,
    )
    assert case.reporter_phone_masked == "139****1111"
    assert "13900001111" not in case.reporter_phone_cipher


def test_intake_takes_a_customer_of_another_community_only_with_a_home_here(cast):
    """Alice is registered in A; a case in B names her only once she lives in B."""

    def inquiry(customer):
        return services.case_create(
            actor=cast.admin,
            community_id=cast.beta.pk,
            kind="inquiry",
            channel="phone",
            description="问物业费",
            house_id=cast.house_b1.pk,
            customer_id=customer.pk,
        )

    with pytest.raises(Invalid) as exc:
        inquiry(cast.alice)
    assert "Not found in this community." in exc.value.errors["customer_id"]
    Occupancy.objects.create(
        community=cast.beta,
        house=cast.house_b1,
        customer=cast.alice,
        role="tenant",
        start_date="2020-01-01",
    )
    assert inquiry(cast.alice).customer == cast.alice
    with pytest.raises(Invalid):
        inquiry(cast.bob)


def test_bad_intake_names_every_field_and_writes_nothing(cast):
    before = row_counts()
    with pytest.raises(Invalid) as exc:
        services.case_create(
            actor=cast.desk_a,
            community_id=cast.alpha.pk,
            kind="repair",
            channel="pigeon",
            description="",
            house_id=cast.house_b1.pk,
            reporter_phone="12",
            appointment_start=T0 + DAY,
            appointment_end=T0,
        )
    assert {
        "channel",
        "description",
        "house_id",
        "reporter_phone",
        "category_id",
        "appointment_end",
    } <= set(exc.value.errors)
    assert row_counts() == before


def test_other_community_staff_cannot_create_or_see_cases(cast, desk):
    case = desk.repair()
    with pytest.raises(NotFound):
        services.case_create(
            actor=cast.desk_b,
            community_id=cast.alpha.pk,
            kind="inquiry",
            channel="phone",
            description="x",
            customer_id=cast.alice.pk,
            location="x",
        )
    with pytest.raises(NotFound):
        services.case_note_add(actor=cast.desk_b, case_id=case.pk, text="看看")


def test_technician_may_not_take_cases(cast):
    with pytest.raises(Forbidden):
        services.case_create(
            actor=cast.tech_a,
            community_id=cast.alpha.pk,
            kind="inquiry",
            channel="phone",
            description="x",
            customer_id=cast.alice.pk,
            location="x",
        )


# --- free or paid (R-REP-2) ---------------------------------------------------------------


def test_public_facility_repair_is_free_r_rep_2(cast):
    case = services.case_create(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        kind="repair",
        channel="phone",
        description="3号楼单元门禁坏了",
        building_id=cast.building_a.pk,
        location="单元门",
        reporter_name="巡查员",
        reporter_phone="13900001111",
        category_id=category("public.door").pk,
    )
    assert case.billing_basis == BillingBasis.FREE_PUBLIC


def test_defect_under_developer_warranty_goes_to_developer_rectification_r_rep_2(cast, desk):
    cast.house_a1.handover_date = dt.date(2025, 6, 1)
    cast.house_a1.save()
    case = desk.repair("leak.bathroom")  # waterproofing: 60 months
    assert case.billing_basis == BillingBasis.DEVELOPER
    assert case.department == cast.maint_dept_a


def test_in_house_repair_after_warranty_is_paid_r_rep_2(cast, desk):
    cast.house_a1.handover_date = dt.date(2020, 1, 1)
    cast.house_a1.save()
    assert desk.repair("water.tap").billing_basis == BillingBasis.PAID


# --- state table -------------------------------------------------------------------


def test_a_transition_not_in_the_table_is_a_conflict_naming_the_allowed_actions(cast, desk):
    case = desk.repair()
    before = row_counts()
    with pytest.raises(Conflict) as exc:
        services.case_close(actor=cast.desk_a, case_id=case.pk)
    assert "Dispatch" in str(exc.value.message)
    assert "Cancel" in str(exc.value.message)
    assert row_counts() == before


def test_full_repair_flow_appends_one_event_per_transition(cast, desk):
    case = desk.completed(desk.repair())
    assert case.status == CaseStatus.COMPLETED
    services.case_return_visit_record(
        actor=cast.desk_a,
        case_id=case.pk,
        method="phone",
        result="satisfied",
        rating=5,
        now=T0 + DAY,
    )
    case = services.case_close(actor=cast.desk_a, case_id=case.pk, now=T0 + DAY)
    assert case.status == CaseStatus.CLOSED
    assert case.closed_at == T0 + DAY
    path = list(
        CaseEvent.objects.filter(case=case).values_list("action", "from_status", "to_status")
    )
    assert path == [
        ("create", "", "received"),
        ("dispatch", "received", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("start", "accepted", "in_progress"),
        ("complete", "in_progress", "completed"),
        ("return_visit", "completed", "visited"),
        ("close", "visited", "closed"),
    ]


def test_a_repair_cannot_be_closed_without_its_return_visit_r_rep_5(cast, desk):
    case = desk.completed(desk.repair())
    with pytest.raises(Conflict):
        services.case_close(actor=cast.desk_a, case_id=case.pk)


def test_only_the_assigned_technician_works_the_job(cast, desk):
    case = desk.dispatched(desk.repair())
    with pytest.raises(Forbidden):
        services.case_accept(actor=cast.tech_a2, case_id=case.pk)
    assert services.case_accept(actor=cast.tech_a, case_id=case.pk).status == CaseStatus.ACCEPTED


def test_hold_needs_a_reason_and_resume_continues(cast, desk):
    case = desk.in_progress(desk.repair())
    with pytest.raises(Invalid) as exc:
        services.case_hold(actor=cast.tech_a, case_id=case.pk, reason="")
    assert "reason" in exc.value.errors
    held = services.case_hold(actor=cast.tech_a, case_id=case.pk, reason="等配件", now=T0)
    assert held.status == CaseStatus.ON_HOLD
    assert held.held_since == T0
    resumed = services.case_resume(actor=cast.tech_a, case_id=case.pk)
    assert resumed.status == CaseStatus.IN_PROGRESS
    assert resumed.held_since is None


def test_dispatch_refuses_a_technician_of_another_department(cast, desk):
    case = desk.repair()
    with pytest.raises(Invalid) as exc:
        services.case_dispatch(
            actor=cast.maint_head_a,
            case_id=case.pk,
            department_id=cast.security_dept_a.pk,
            assignee_id=cast.tech_a.pk,
            now=T0,
        )
    assert "assignee_id" in exc.value.errors


def test_reassign_and_cancel_and_reopen(cast, desk):
    case = desk.dispatched(desk.repair())
    case = services.case_reassign(
        actor=cast.maint_head_a, case_id=case.pk, assignee_id=cast.tech_a2.pk, now=T0
    )
    assert case.assignee == cast.tech_a2
    assert case.status == CaseStatus.DISPATCHED
    with pytest.raises(Invalid):
        services.case_cancel(actor=cast.maint_head_a, case_id=case.pk, reason=" ")
    case = services.case_cancel(actor=cast.maint_head_a, case_id=case.pk, reason="业主自行修好")
    assert case.status == CaseStatus.CANCELLED
    case = services.case_reopen(actor=cast.supervisor_a, case_id=case.pk, reason="又坏了")
    assert case.status == CaseStatus.RECEIVED
    assert case.closed_at is None


# --- completion and sign-off (R-REP-4) ----------------------------------------------------------


def test_completion_needs_the_customers_sign_off_r_rep_4(cast, desk):
    case = desk.in_progress(desk.repair())
    with pytest.raises(Invalid) as exc:
        services.case_complete(
            actor=cast.tech_a, case_id=case.pk, work_done="修好", signoff_kind="paper"
        )
    assert "signoff_form_number" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        services.case_complete(
            actor=cast.tech_a, case_id=case.pk, work_done="修好", signoff_kind="drawn"
        )
    assert "signature" in exc.value.errors
    signature = signature_from_data_url(
        "data:image/png;base64," + __import__("base64").b64encode(PNG).decode()
    )
    case = services.case_complete(
        actor=cast.tech_a,
        case_id=case.pk,
        work_done="修好",
        signoff_kind="drawn",
        signature=signature,
        agreed_price="50",
        now=T0,
    )
    assert case.signoff_kind == "drawn"
    assert case.signed_at == T0
    assert case.signoff_image.read() == PNG


def test_a_signature_that_is_not_a_png_is_refused(cast):
    with pytest.raises(Invalid) as exc:
        signature_from_data_url("data:image/png;base64,PHNjcmlwdD4=")
    assert "signature" in exc.value.errors
    with pytest.raises(Invalid):
        signature_from_data_url("javascript:alert(1)")


def test_paid_repair_produces_one_charge_request_for_billing_r_rep_4(cast, desk):
    cast.house_a1.handover_date = dt.date(2020, 1, 1)
    cast.house_a1.save()
    case = desk.completed(desk.repair("water.tap"))
    charge = ChargeRequest.objects.get(case=case)
    assert (charge.amount, charge.house, charge.state) == (
        __import__("decimal").Decimal("35.00"),
        cast.house_a1,
        "pending",
    )


def test_free_repair_produces_no_charge(cast, desk):
    case = desk.completed(desk.repair("public.light", house=cast.house_a1))
    assert not ChargeRequest.objects.filter(case=case).exists()


def test_bad_material_lines_name_the_line_and_field(cast, desk):
    case = desk.in_progress(desk.repair())
    with pytest.raises(Invalid) as exc:
        services.case_complete(
            actor=cast.tech_a,
            case_id=case.pk,
            work_done="x",
            signoff_kind="absent",
            materials=[{"name": "阀芯", "quantity": "-1"}, {"name": "", "quantity": "1"}],
        )
    assert {"materials[0].quantity", "materials[1].name"} <= set(exc.value.errors)


# --- return visits (R-REP-5/6/8) ----------------------------------------------------------------


def test_ordinary_repair_return_visit_due_2_days_after_completion_r_rep_5(cast, desk):
    case = desk.completed(desk.repair("water.tap"), now=T0)
    visit = ReturnVisit.objects.get(case=case)
    assert visit.due_at == T0 + 2 * DAY
    assert visit.rule == "R-REP-5"
    case.refresh_from_db()
    assert case.due_at == visit.due_at


def test_safety_facility_repair_return_visit_due_within_2_days_r_rep_5(cast, desk):
    case = desk.completed(desk.repair("gas.smell"), now=T0)
    assert ReturnVisit.objects.get(case=case).due_at == T0 + 2 * DAY


def test_leak_repair_return_visit_due_3_days_after_leak_test_r_rep_5(cast, desk):
    case = desk.repair("leak.bathroom")
    desk.in_progress(case)
    with pytest.raises(Invalid) as exc:
        services.case_complete(
            actor=cast.tech_a, case_id=case.pk, work_done="做防水", signoff_kind="absent", now=T0
        )
    assert "leak_test_at" in exc.value.errors
    leak_test = T0 + 2 * DAY
    services.case_complete(
        actor=cast.tech_a,
        case_id=case.pk,
        work_done="做防水",
        signoff_kind="absent",
        leak_test_at=leak_test,
        now=T0,
    )
    visit = ReturnVisit.objects.get(case=case)
    assert (visit.not_before, visit.due_at) == (leak_test, leak_test + 3 * DAY)
    # Too early: before the leak test the visit cannot be done.
    with pytest.raises(Invalid) as exc:
        services.case_return_visit_record(
            actor=cast.desk_a,
            case_id=case.pk,
            method="phone",
            result="satisfied",
            rating=5,
            now=T0 + DAY,
        )
    assert "visited_at" in exc.value.errors
    # The leak test moves: the due date follows it.
    services.case_leak_test_record(
        actor=cast.tech_a, case_id=case.pk, at=T0 + 3 * DAY, now=T0 + DAY
    )
    visit.refresh_from_db()
    assert visit.due_at == T0 + 6 * DAY


def test_unsatisfied_return_visit_sends_the_repair_back_for_rework_r_rep_6(cast, desk):
    case = desk.completed(desk.repair(), now=T0)
    with pytest.raises(Invalid) as exc:
        services.case_return_visit_record(
            actor=cast.desk_a,
            case_id=case.pk,
            method="phone",
            result="unsatisfied",
            rating=2,
            now=T0 + DAY,
        )
    assert "comment" in exc.value.errors  # the reason is required
    case = services.case_return_visit_record(
        actor=cast.desk_a,
        case_id=case.pk,
        method="phone",
        result="unsatisfied",
        rating=2,
        comment="还在滴水",
        now=T0 + DAY,
    )
    assert case.status == CaseStatus.DISPATCHED
    assert case.rework_count == 1
    assert case.assignee == cast.tech_a
    # The rework is completed again and gets a new return visit.
    services.case_accept(actor=cast.tech_a, case_id=case.pk)
    services.case_start(actor=cast.tech_a, case_id=case.pk)
    services.case_complete(
        actor=cast.tech_a,
        case_id=case.pk,
        work_done="换整个龙头",
        signoff_kind="absent",
        now=T0 + 2 * DAY,
    )
    assert ReturnVisit.objects.filter(case=case).count() == 2
    assert ChargeRequest.objects.filter(case=case).count() == 1  # rework is not charged again


def test_return_visit_rating_must_be_1_to_5(cast, desk):
    case = desk.completed(desk.repair())
    with pytest.raises(Invalid) as exc:
        services.case_return_visit_record(
            actor=cast.desk_a, case_id=case.pk, method="phone", result="satisfied", rating=6
        )
    assert "rating" in exc.value.errors


def test_monthly_return_visit_summary_r_rep_8(cast, desk):
    on_time = desk.completed(desk.repair(), now=T0)
    late = desk.completed(desk.repair(), now=T0)
    unhappy = desk.completed(desk.repair(), now=T0)
    desk.completed(desk.repair(), now=T0)  # not visited at all
    services.case_return_visit_record(
        actor=cast.desk_a,
        case_id=on_time.pk,
        method="phone",
        result="satisfied",
        rating=5,
        now=T0 + DAY,
    )
    services.case_return_visit_record(
        actor=cast.desk_a,
        case_id=late.pk,
        method="in_person",
        result="basically",
        rating=4,
        now=T0 + 5 * DAY,
    )
    services.case_return_visit_record(
        actor=cast.desk_a,
        case_id=unhappy.pk,
        method="phone",
        result="unsatisfied",
        rating=1,
        comment="师傅迟到",
        now=T0 + DAY,
    )
    summary = return_visit_summary(cast.desk_a, community_id=cast.alpha.pk, year=2026, month=3)
    assert (summary.due, summary.done, summary.on_time) == (4, 3, 2)
    assert summary.rate == 0.75
    assert summary.on_time_rate == 0.5
    assert summary.satisfaction["unsatisfied"] == 1
    assert summary.dissatisfaction == [(unhappy.number, "师傅迟到")]
    assert summary.average_rating == round(10 / 3, 2)
    with pytest.raises(NotFound):
        return_visit_summary(cast.desk_b, community_id=cast.alpha.pk, year=2026, month=3)


# --- complaints (R-CMP-*) ------------------------------------------------------------------


def test_complaint_forwarded_to_the_department_head_r_cmp_4(cast, desk):
    case = desk.complaint()
    case = services.case_forward(
        actor=cast.desk_a, case_id=case.pk, department_id=cast.maint_dept_a.pk, now=T0
    )
    assert case.status == CaseStatus.FORWARDED
    assert case.forwarded_at == T0
    assert case.assignee == cast.maint_head_a
    event = CaseEvent.objects.get(case=case, action="forward")
    assert event.data["heads"] == [cast.maint_head_a.pk]


def test_major_complaint_is_reported_to_the_director_the_same_day_r_cmp_6(cast, desk):
    case = desk.complaint("major")
    event = CaseEvent.objects.get(case=case, action="director_notified")
    assert event.data["directors"] == [cast.director_a.pk]
    assert event.at == T0


def test_stop_the_damage_first_is_recorded_on_the_case_r_cmp_5(cast, desk):
    case = desk.complaint(immediate_action="已关闭总水阀")
    case = services.case_immediate_action_record(
        actor=cast.desk_a, case_id=case.pk, action_taken="已通知楼上住户停工"
    )
    assert case.immediate_action == "已关闭总水阀\n已通知楼上住户停工"
    assert CaseEvent.objects.filter(case=case, action="immediate_action").count() == 2


def test_valid_complaint_needs_causes_by_five_factors_responsibility_and_remedy_r_cmp_10(
    cast, desk
):
    case = desk.complaint()
    services.case_forward(actor=cast.desk_a, case_id=case.pk, department_id=cast.maint_dept_a.pk)
    services.case_handle(actor=cast.maint_head_a, case_id=case.pk)
    with pytest.raises(Invalid) as exc:
        services.complaint_resolve(
            actor=cast.maint_head_a,
            case_id=case.pk,
            judgement="valid",
            result="已处理",
            cause_factors=["luck"],
        )
    assert {"responsibility", "cause_factors", "remedy"} <= set(exc.value.errors)
    case = services.complaint_resolve(
        actor=cast.maint_head_a,
        case_id=case.pk,
        judgement="valid",
        result="已约谈施工方",
        responsibility="third_party",
        cause_factors=["people", "methods"],
        remedy="限定施工时间",
    )
    assert case.status == CaseStatus.COMPLETED
    assert case.cause_factors == ["people", "methods"]


def test_invalid_complaint_is_still_answered_r_cmp_9(cast, desk):
    case = desk.complaint()
    services.case_forward(actor=cast.desk_a, case_id=case.pk, department_id=cast.maint_dept_a.pk)
    services.case_handle(actor=cast.maint_head_a, case_id=case.pk)
    case = services.complaint_resolve(
        actor=cast.maint_head_a,
        case_id=case.pk,
        judgement="invalid",
        result="属市政施工，已告知投诉渠道",
    )
    assert case.judgement == "invalid"
    assert case.status == CaseStatus.COMPLETED
    case = services.complaint_tell_result(actor=cast.desk_a, case_id=case.pk, way="phone", now=T0)
    assert case.status == CaseStatus.ANSWERED
    reply = CaseEvent.objects.get(case=case, action="tell_result")
    assert reply.is_public
    assert "市政" in reply.note


def test_result_told_with_time_and_way_then_return_visit_r_cmp_8(cast, desk):
    case = desk.complaint()
    services.case_forward(actor=cast.desk_a, case_id=case.pk, department_id=cast.maint_dept_a.pk)
    services.case_handle(actor=cast.maint_head_a, case_id=case.pk)
    services.complaint_resolve(
        actor=cast.maint_head_a,
        case_id=case.pk,
        judgement="valid",
        result="已处理",
        responsibility="company",
        cause_factors=["people"],
        remedy="培训",
    )
    told = T0 + dt.timedelta(hours=3)
    with pytest.raises(Invalid):
        services.complaint_tell_result(actor=cast.desk_a, case_id=case.pk, way="pigeon", now=told)
    case = services.complaint_tell_result(actor=cast.desk_a, case_id=case.pk, way="phone", now=told)
    assert (case.result_told_at, case.result_told_way) == (told, "phone")
    visit = ReturnVisit.objects.get(case=case)
    assert visit.rule == "R-CMP-8"
    case = services.case_return_visit_record(
        actor=cast.desk_a,
        case_id=case.pk,
        method="phone",
        result="satisfied",
        rating=4,
        now=told + DAY,
    )
    assert services.case_close(actor=cast.desk_a, case_id=case.pk).status == CaseStatus.CLOSED


def test_unified_reply_wording_per_kind_r_cmp_12(cast):
    titles = [t.title for t in reply_templates_for(cast.company.pk, kind="complaint")]
    assert "已受理" in titles
    assert "预约上门" not in titles


# --- inquiries and paid services --------------------------------------------------------------


def test_inquiry_answered_then_closed(cast):
    case = services.case_create(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        kind="inquiry",
        channel="visit",
        description="停车月卡怎么办",
        customer_id=cast.alice.pk,
        house_id=cast.house_a1.pk,
        category_id=category("procedures", "inquiry").pk,
    )
    case = services.case_answer(
        actor=cast.desk_a, case_id=case.pk, answer="带行驶证到服务中心办理", now=T0
    )
    assert case.status == CaseStatus.ANSWERED
    assert case.first_answer_at == T0
    assert services.case_close(actor=cast.desk_a, case_id=case.pk).status == CaseStatus.CLOSED


def test_paid_service_from_price_list_charged_after_customer_acceptance_r_svc_1(cast):
    item = ServiceItem.objects.create(
        company=cast.company,
        code="bulb",
        name="更换灯泡",
        unit="个",
        price="15.00",
        department_kind="maintenance",
    )
    case = services.case_create(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        kind="paid_service",
        channel="phone",
        description="换客厅灯泡",
        customer_id=cast.alice.pk,
        house_id=cast.house_a1.pk,
        service_item_id=item.pk,
        quantity="3",
        now=T0,
    )
    assert case.department == cast.maint_dept_a
    assert str(case.agreed_price) == "45.00"
    services.case_dispatch(
        actor=cast.maint_head_a,
        case_id=case.pk,
        assignee_id=cast.tech_a.pk,
        appointment_start=T0 + DAY,
        now=T0,
    )
    services.case_start(actor=cast.tech_a, case_id=case.pk)
    services.case_complete(
        actor=cast.tech_a,
        case_id=case.pk,
        work_done="已换3个",
        signoff_kind="paper",
        signoff_form_number="YC-01",
    )
    assert not ChargeRequest.objects.filter(case=case).exists()
    case = services.paid_service_accept(actor=cast.desk_a, case_id=case.pk)
    assert case.status == CaseStatus.CHARGED
    assert str(ChargeRequest.objects.get(case=case).amount) == "45.00"
    assert services.case_close(actor=cast.desk_a, case_id=case.pk).status == CaseStatus.CLOSED


# --- notes, attachments, allowed actions ----------------------------------------------------------


def test_reply_is_visible_to_the_customer_and_counts_as_the_clear_answer_r_rep_7(cast, desk):
    case = desk.repair()
    services.case_note_add(actor=cast.desk_a, case_id=case.pk, text="内部：需要采购配件")
    assert CaseEvent.objects.get(case=case, action="note").is_public is False
    services.case_note_add(
        actor=cast.desk_a, case_id=case.pk, text="配件需订购，预计周五上门", public=True, now=T0
    )
    case.refresh_from_db()
    assert case.first_answer_at == T0


def test_photos_must_be_images_of_limited_size(cast, desk, settings):
    case = desk.repair()
    with pytest.raises(Invalid) as exc:
        services.case_attachment_add(
            actor=cast.desk_a,
            case_id=case.pk,
            upload=io.BytesIO(b"%PDF-1.4 fake"),
            filename="a.jpg",
        )
    assert "file" in exc.value.errors
    settings.PROPDESK_UPLOAD_MAX_BYTES = 10
    with pytest.raises(Invalid):
        services.case_attachment_add(
            actor=cast.desk_a, case_id=case.pk, upload=png_upload(), filename="a.png"
        )
    settings.PROPDESK_UPLOAD_MAX_BYTES = 10_000_000
    photo = services.case_attachment_add(
        actor=cast.desk_a, case_id=case.pk, upload=png_upload(), filename="现场.png"
    )
    assert photo.content_type == "image/png"


def test_allowed_actions_follow_the_table_and_the_users_capabilities(cast, desk):
    case = desk.repair()
    assert [t.action for t in allowed_transitions(cast.maint_head_a, case)] == [
        "dispatch",
        "cancel",
    ]
    assert [t.action for t in allowed_transitions(cast.desk_a, case)] == ["dispatch", "cancel"]
    assert allowed_transitions(cast.tech_a, case) == []
    desk.dispatched(case)
    case.refresh_from_db()
    assert "accept" in [t.action for t in allowed_transitions(cast.tech_a, case)]
    assert "accept" not in [t.action for t in allowed_transitions(cast.tech_a2, case)]
