"""Deadline clocks of the service standards (issue 5): start, stop, pause, precedence,
the working-day calendar, the sweep and escalation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from propdesk.notify.models import OutboxMessage
from propdesk.servicedesk import services
from propdesk.servicedesk.selectors import case_queue
from propdesk.servicedesk.tests.conftest import T0, category
from propdesk.sla.models import CalendarOverride, Clock, ClockState
from propdesk.sla.services import sla_sweep

SH = ZoneInfo("Asia/Shanghai")
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def clock(case, code):
    return Clock.objects.select_related("policy").get(case=case, policy__code=code)


def forwarded_and_handled(cast, case, now):
    services.case_forward(
        actor=cast.desk_a, case_id=case.pk, department_id=cast.maint_dept_a.pk, now=now
    )
    services.case_handle(actor=cast.maint_head_a, case_id=case.pk, now=now)


def resolve(cast, case, now):
    return services.complaint_resolve(
        actor=cast.maint_head_a,
        case_id=case.pk,
        judgement="valid",
        result="已处理",
        responsibility="company",
        cause_factors=["people"],
        remedy="培训",
        now=now,
    )


def test_complaint_forwarded_within_1_hour_is_met_r_cmp_4(cast, desk):
    case = desk.complaint(now=T0)
    c = clock(case, "R-CMP-4")
    assert c.due_at == T0 + HOUR
    services.case_forward(
        actor=cast.desk_a,
        case_id=case.pk,
        department_id=cast.maint_dept_a.pk,
        now=T0 + 30 * dt.timedelta(minutes=1),
    )
    c.refresh_from_db()
    assert c.state == ClockState.MET


def test_late_forward_is_breached_with_how_late_r_cmp_4(cast, desk):
    case = desk.complaint(now=T0)
    services.case_forward(
        actor=cast.desk_a, case_id=case.pk, department_id=cast.maint_dept_a.pk, now=T0 + 3 * HOUR
    )
    c = clock(case, "R-CMP-4")
    assert c.state == ClockState.BREACHED
    assert c.breached_at == T0 + HOUR
    assert c.late_seconds == 2 * 3600


def test_major_complaint_director_clock_is_same_working_day_and_met_at_once_r_cmp_6(cast, desk):
    case = desk.complaint("major", now=T0)
    c = clock(case, "R-CMP-6")
    assert c.due_at.astimezone(SH) == dt.datetime(2026, 3, 2, 18, 0, tzinfo=SH)
    assert c.state == ClockState.MET


@pytest.mark.parametrize(
    ("severity", "days"), [("minor", 3), ("ordinary", 2), ("important", 10), ("major", 10)]
)
def test_handling_deadline_by_severity_r_cmp_7(cast, desk, severity, days):
    case = desk.complaint(severity, now=T0)
    assert clock(case, "R-CMP-7").due_at == T0 + days * DAY
    assert Clock.objects.filter(case=case, policy__code="R-CMP-7").count() == 1  # one per rule


def test_ordinary_complaint_due_at_the_residents_requested_time_r_cmp_7(cast, desk):
    asked = T0 + 5 * DAY
    case = desk.complaint("ordinary", requested_by=asked, now=T0)
    assert clock(case, "R-CMP-7").due_at == asked
    case.refresh_from_db()
    assert case.due_at == T0 + HOUR  # the worst running clock is still the 1-hour forward


def test_result_told_the_same_working_day_across_national_day_r_cmp_8(cast, desk):
    # Resolved on a statutory holiday (2026-10-03): due at the end of the next working day.
    resolved = dt.datetime(2026, 10, 3, 10, 0, tzinfo=SH)
    case = desk.complaint(now=resolved - HOUR)
    forwarded_and_handled(cast, case, resolved - HOUR / 2)
    resolve(cast, case, resolved)
    assert clock(case, "R-CMP-8").due_at == dt.datetime(2026, 10, 8, 18, 0, tzinfo=SH)


def test_calendar_override_moves_the_same_day_deadline_r_cmp_8(cast, desk):
    CalendarOverride.objects.create(
        community=cast.alpha, date=dt.date(2026, 10, 8), is_workday=False
    )
    resolved = dt.datetime(2026, 10, 3, 10, 0, tzinfo=SH)
    case = desk.complaint(now=resolved - HOUR)
    forwarded_and_handled(cast, case, resolved - HOUR / 2)
    resolve(cast, case, resolved)
    assert clock(case, "R-CMP-8").due_at == dt.datetime(2026, 10, 9, 18, 0, tzinfo=SH)


def test_make_up_saturday_counts_as_a_working_day_r_cmp_8(cast, desk):
    # 2026-10-10 is a Saturday worked in exchange for National Day (补班).
    resolved = dt.datetime(2026, 10, 10, 9, 0, tzinfo=SH)
    case = desk.complaint(now=resolved - HOUR)
    forwarded_and_handled(cast, case, resolved - HOUR / 2)
    resolve(cast, case, resolved)
    assert clock(case, "R-CMP-8").due_at == dt.datetime(2026, 10, 10, 18, 0, tzinfo=SH)


def test_leak_repair_return_visit_clock_is_a_window_from_the_leak_test_r_rep_5(cast, desk):
    case = desk.repair("leak.bathroom", now=T0)
    desk.in_progress(case, now=T0)
    leak_test = T0 + 2 * DAY
    services.case_complete(
        actor=cast.tech_a,
        case_id=case.pk,
        work_done="做防水",
        signoff_kind="absent",
        leak_test_at=leak_test,
        now=T0 + HOUR,
    )
    visits = Clock.objects.filter(case=case, policy__code="R-REP-5")
    assert visits.count() == 1  # the leak policy beats the generic one (most specific wins)
    c = visits.get()
    assert (c.not_before, c.due_at) == (leak_test, leak_test + 3 * DAY)
    services.case_leak_test_record(
        actor=cast.tech_a, case_id=case.pk, at=T0 + 3 * DAY, now=T0 + DAY
    )
    c.refresh_from_db()
    assert c.due_at == T0 + 6 * DAY


def test_safety_repair_return_visit_within_2_days_r_rep_5(cast, desk):
    case = desk.completed(desk.repair("gas.smell", now=T0), now=T0)
    c = clock(case, "R-REP-5")
    assert c.policy.requires_safety
    assert c.due_at == T0 + 2 * DAY


def test_on_hold_pauses_the_on_site_clock_and_moves_its_deadline(cast, desk):
    case = desk.repair(now=T0)
    desk.dispatched(case, now=T0)  # appointment T0+1h .. T0+3h
    c = clock(case, "R-REP-3")
    assert c.due_at == T0 + 3 * HOUR
    services.case_accept(actor=cast.tech_a, case_id=case.pk, now=T0 + HOUR / 2)
    services.case_hold(actor=cast.tech_a, case_id=case.pk, reason="业主不在家", now=T0 + HOUR)
    c.refresh_from_db()
    assert c.state == ClockState.PAUSED
    services.case_resume(actor=cast.tech_a, case_id=case.pk, now=T0 + 5 * HOUR)
    c.refresh_from_db()
    assert c.state == ClockState.RUNNING
    assert c.due_at == T0 + 7 * HOUR
    assert c.paused_seconds == 4 * 3600


def test_sweep_marks_breaches_once_escalates_once_and_never_erases_them(cast, desk):
    case = desk.complaint(now=T0)
    assert sla_sweep(now=T0 + HOUR / 2)["breached"] == 0
    counts = sla_sweep(now=T0 + 2 * HOUR)
    assert counts["breached"] >= 1
    c = clock(case, "R-CMP-4")
    assert c.state == ClockState.BREACHED
    assert c.breached_at == T0 + HOUR
    alerts = OutboxMessage.objects.filter(ref_id=str(case.pk), dedupe_key__startswith="sla:")
    assert alerts.filter(staff_user=cast.director_a).count() == 1
    sla_sweep(now=T0 + 3 * HOUR)
    assert alerts.filter(staff_user=cast.director_a).count() == 1
    # Forwarding late stops the clock but the breach stays.
    services.case_forward(
        actor=cast.desk_a, case_id=case.pk, department_id=cast.maint_dept_a.pk, now=T0 + 4 * HOUR
    )
    c.refresh_from_db()
    assert c.state == ClockState.BREACHED
    assert c.met_at == T0 + 4 * HOUR


def test_warning_level_rises_at_three_quarters_of_the_time(cast, desk):
    case = desk.complaint(now=T0)
    sla_sweep(now=T0 + 50 * dt.timedelta(minutes=1))
    assert clock(case, "R-CMP-4").warning_level == 1


def test_overdue_queue_is_never_stale_even_before_the_sweep(cast, desk):
    case = desk.complaint(now=T0)
    overdue = case_queue(cast.desk_a, queue="overdue", now=T0 + 2 * HOUR)
    assert case in list(overdue)
    assert case not in list(case_queue(cast.desk_a, queue="overdue", now=T0 + HOUR / 2))


def test_cancelling_stops_the_running_clocks(cast, desk):
    case = desk.repair(now=T0)
    services.case_cancel(actor=cast.maint_head_a, case_id=case.pk, reason="重复报修", now=T0)
    states = set(Clock.objects.filter(case=case).values_list("state", flat=True))
    assert states == {ClockState.CANCELLED}


def test_category_decides_which_return_visit_policy_applies(cast, desk):
    """Precedence is shown on the case: the clock names its policy."""
    plain = desk.completed(desk.repair("water.tap", now=T0), now=T0)
    safety = desk.completed(desk.repair("elevator.noise", now=T0), now=T0)
    assert not clock(plain, "R-REP-5").policy.requires_safety
    assert clock(safety, "R-REP-5").policy.requires_safety
    assert category("elevator.noise").parent.is_safety_facility


def test_paid_service_is_due_at_the_agreed_time_only_when_one_was_agreed_r_svc_1(cast):
    from propdesk.servicedesk.models import ServiceItem

    item = ServiceItem.objects.create(
        company=cast.company,
        code="bulb",
        name="更换灯泡",
        price="15.00",
        department_kind="maintenance",
    )

    def order():
        return services.case_create(
            actor=cast.desk_a,
            community_id=cast.alpha.pk,
            kind="paid_service",
            channel="phone",
            description="换灯泡",
            customer_id=cast.alice.pk,
            house_id=cast.house_a1.pk,
            service_item_id=item.pk,
            now=T0,
        )

    agreed = order()
    services.case_dispatch(
        actor=cast.maint_head_a,
        case_id=agreed.pk,
        assignee_id=cast.tech_a.pk,
        appointment_start=T0 + HOUR,
        appointment_end=T0 + 2 * HOUR,
        now=T0,
    )
    assert clock(agreed, "R-SVC-1").due_at == T0 + 2 * HOUR
    unagreed = order()
    services.case_dispatch(
        actor=cast.maint_head_a, case_id=unagreed.pk, assignee_id=cast.tech_a.pk, now=T0
    )
    assert not Clock.objects.filter(case=unagreed, policy__code="R-SVC-1").exists()


def test_bulk_assign_dispatches_the_received_and_reassigns_the_dispatched(cast, desk):
    fresh = desk.repair(now=T0)
    sent = desk.dispatched(desk.repair(now=T0), now=T0)
    for case in (fresh, sent):
        services.case_assign(
            actor=cast.maint_head_a, case_id=case.pk, assignee_id=cast.tech_a2.pk, now=T0
        )
    from propdesk.servicedesk.models import CaseEvent

    assert CaseEvent.objects.filter(case=fresh, action="dispatch").exists()
    assert CaseEvent.objects.filter(case=sent, action="reassign").exists()
    fresh.refresh_from_db()
    sent.refresh_from_db()
    assert fresh.assignee == sent.assignee == cast.tech_a2


def test_severity_raised_after_an_hour_recomputes_r_cmp_7_and_starts_r_cmp_6(cast, desk):
    case = desk.complaint("ordinary", now=T0)
    assert clock(case, "R-CMP-7").due_at == T0 + 2 * DAY
    services.case_reclassify(
        actor=cast.supervisor_a, case_id=case.pk, severity="major", reason="涉及多户", now=T0 + HOUR
    )
    live = Clock.objects.filter(case=case, policy__code="R-CMP-7").exclude(
        state=ClockState.CANCELLED
    )
    assert [(c.policy.severity, c.due_at) for c in live.select_related("policy")] == [
        ("major", T0 + 10 * DAY)
    ]
    # Major: the director is told at once, which meets R-CMP-6 (same working day).
    assert clock(case, "R-CMP-6").state == ClockState.MET
    case.refresh_from_db()
    running = Clock.objects.filter(case=case, state=ClockState.RUNNING)
    assert case.due_at == min(c.due_at for c in running)
    assert case.events.filter(action="reclassify").get().data == {"severity": ["ordinary", "major"]}


def test_breach_recorded_survives_a_recompute_r_cmp_7(cast, desk):
    case = desk.complaint("ordinary", now=T0)
    sla_sweep(now=T0 + 3 * DAY)
    breached = clock(case, "R-CMP-7")
    assert breached.state == ClockState.BREACHED
    services.case_reclassify(
        actor=cast.supervisor_a,
        case_id=case.pk,
        severity="important",
        reason="升级为重要投诉",
        now=T0 + 3 * DAY + HOUR,
    )
    breached.refresh_from_db()
    assert breached.state == ClockState.BREACHED
    assert breached.breached_at == T0 + 2 * DAY


def test_reclassify_refuses_bad_input_and_changes_nothing(cast, desk):
    from propdesk.core.errors import Forbidden, Invalid

    case = desk.complaint("ordinary", now=T0)
    before = list(Clock.objects.filter(case=case).values_list("policy_id", "due_at", "state"))
    with pytest.raises(Invalid) as err:
        services.case_reclassify(
            actor=cast.supervisor_a, case_id=case.pk, severity="huge", reason="x", now=T0
        )
    assert "severity" in err.value.errors
    with pytest.raises(Invalid) as err:
        services.case_reclassify(actor=cast.supervisor_a, case_id=case.pk, reason="", now=T0)
    assert "reason" in err.value.errors
    with pytest.raises(Forbidden):
        services.case_reclassify(
            actor=cast.tech_a, case_id=case.pk, severity="major", reason="x", now=T0
        )
    assert (
        list(Clock.objects.filter(case=case).values_list("policy_id", "due_at", "state")) == before
    )
    assert not case.events.filter(action="reclassify").exists()


def test_reclassify_to_a_leak_category_waits_for_the_leak_test_r_rep_5(cast, desk):
    case = desk.repair("water.tap", now=T0)
    services.case_reclassify(
        actor=cast.supervisor_a,
        case_id=case.pk,
        category_id=category("leak.bathroom").pk,
        reason="实为渗漏",
        now=T0 + HOUR,
    )
    case.refresh_from_db()
    assert case.category.code == "leak.bathroom"
    # The leak return-visit clock starts only at the leak test, not at reclassification.
    assert not Clock.objects.filter(case=case, policy__requires_leak=True).exists()
    assert case.events.filter(action="reclassify").exists()


def test_console_reclassify_form(client, cast, desk):
    case = desk.complaint("ordinary", now=T0)
    client.force_login(cast.supervisor_a)
    page = client.get(f"/cases/{case.pk}/")
    assert b'name="severity"' in page.content
    resp = client.post(
        f"/cases/{case.pk}/act/reclassify/", {"severity": "important", "reason": "升级"}
    )
    assert resp.status_code == 302
    case.refresh_from_db()
    assert case.severity == "important"


def _staff_messages(case, user):
    return OutboxMessage.objects.filter(
        channel="staff", staff_user=user, ref_id=str(case.pk), dedupe_key__contains=":L"
    )


def test_escalation_ladder_fires_each_level_once_in_order_r_cmp_4(cast, desk):
    case = desk.complaint(now=T0)
    c = clock(case, "R-CMP-4")
    levels = list(c.policy.levels.values_list("offset_minutes", "target", "action"))
    assert levels == [
        (-30, "assignee", "notify"),
        (120, "cs_supervisor", "raise_priority"),
        (1440, "director", "notify"),
    ]
    assert c.next_action_at == T0 + 30 * dt.timedelta(minutes=1)
    sla_sweep(now=T0 + 31 * dt.timedelta(minutes=1))  # level 1: nobody assigned yet, no message
    c.refresh_from_db()
    assert c.levels_done == 1
    assert c.next_action_at == T0 + 3 * HOUR
    sla_sweep(now=T0 + 3 * HOUR + dt.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.priority == "urgent"
    assert case.events.filter(action="escalate").count() == 1
    assert _staff_messages(case, cast.supervisor_a).count() == 1
    # Sweeping again changes nothing: each level fires once.
    sla_sweep(now=T0 + 3 * HOUR + 2 * dt.timedelta(minutes=1))
    assert _staff_messages(case, cast.supervisor_a).count() == 1
    assert case.events.filter(action="escalate").count() == 1
    sla_sweep(now=T0 + HOUR + DAY)
    assert _staff_messages(case, cast.director_a).count() == 1
    c.refresh_from_db()
    assert c.levels_done == 3
    assert c.next_action_at is None


def test_a_late_sweep_fires_every_level_that_came_due(cast, desk):
    case = desk.complaint(now=T0)
    sla_sweep(now=T0 + 2 * DAY)
    c = clock(case, "R-CMP-4")
    assert c.levels_done == 3
    assert _staff_messages(case, cast.supervisor_a).count() == 1
    assert _staff_messages(case, cast.director_a).count() == 1


def test_met_clock_does_not_escalate(cast, desk):
    case = desk.complaint(now=T0)
    forwarded_and_handled(cast, case, T0 + 10 * dt.timedelta(minutes=1))
    c = clock(case, "R-CMP-4")
    assert c.state == ClockState.MET
    assert c.next_action_at is None
    sla_sweep(now=T0 + 2 * DAY)
    c.refresh_from_db()
    assert c.levels_done == 0
    assert not _staff_messages(case, cast.director_a).filter(subject__contains="R-CMP-4").exists()


def test_paused_clock_does_not_escalate_and_resume_reschedules(cast, desk):
    case = desk.dispatched(desk.repair(now=T0), now=T0)
    running = Clock.objects.filter(case=case, state=ClockState.RUNNING).select_related("policy")
    pausing = [c for c in running if "on_hold" in (c.policy.pause_statuses or [])]
    if not pausing:
        pytest.skip("no seeded repair policy pauses on hold")
    c = pausing[0]
    services.case_accept(actor=cast.tech_a, case_id=case.pk, now=T0 + HOUR / 2)
    services.case_hold(actor=cast.tech_a, case_id=case.pk, reason="等配件", now=T0 + HOUR)
    c.refresh_from_db()
    assert c.state == ClockState.PAUSED
    assert c.next_action_at is None
    services.case_resume(actor=cast.tech_a, case_id=case.pk, now=T0 + 3 * HOUR)
    c.refresh_from_db()
    assert c.state == ClockState.RUNNING
    first = c.policy.levels.order_by("offset_minutes").first()
    assert c.next_action_at == c.due_at + dt.timedelta(minutes=first.offset_minutes)


def test_repair_answered_within_30_minutes_resp_30(cast, desk):
    case = desk.repair(now=T0)
    c = clock(case, "RESP-30")
    assert c.due_at == T0 + 30 * dt.timedelta(minutes=1)
    desk.dispatched(case, now=T0 + 20 * dt.timedelta(minutes=1))
    c.refresh_from_db()
    assert c.state == ClockState.MET


def test_on_site_within_the_appointment_window_r_rep_3(cast, desk):
    case = desk.dispatched(desk.repair(now=T0), now=T0)  # window: T0+1h .. T0+3h
    c = clock(case, "R-REP-3")
    assert (c.not_before, c.due_at) == (T0 + HOUR, T0 + 3 * HOUR)
    services.case_accept(actor=cast.tech_a, case_id=case.pk, now=T0 + HOUR)
    services.case_start(actor=cast.tech_a, case_id=case.pk, now=T0 + 4 * HOUR)
    c.refresh_from_db()
    assert c.state == ClockState.BREACHED
    assert c.late_seconds == 3600


def test_return_visit_within_2_days_after_the_result_is_told_r_cmp_8_2(cast, desk):
    case = desk.complaint(now=T0)
    forwarded_and_handled(cast, case, T0 + HOUR / 2)
    resolve(cast, case, T0 + HOUR)
    services.complaint_tell_result(
        actor=cast.desk_a, case_id=case.pk, way="phone", now=T0 + 2 * HOUR
    )
    c = clock(case, "R-CMP-8.2")
    assert c.started_at == T0 + 2 * HOUR
    assert c.due_at == T0 + 2 * HOUR + 2 * DAY


def test_major_complaint_received_at_17_50_is_due_at_18_00_the_same_day_r_cmp_6(cast, desk):
    received = dt.datetime(2026, 3, 3, 17, 50, tzinfo=SH)  # a Tuesday
    case = desk.complaint("major", now=received)
    c = clock(case, "R-CMP-6")
    assert c.due_at == dt.datetime(2026, 3, 3, 18, 0, tzinfo=SH)
    assert c.state == ClockState.MET  # the director was told at once


def test_leak_test_on_the_friday_before_national_day_r_rep_5(cast, desk):
    # 2026-09-25 is the Friday before the National Day holiday (10-01..10-07); the
    # return-visit window counts natural days from the leak test: 09-25 .. 09-28.
    leak_test = dt.datetime(2026, 9, 25, 16, 0, tzinfo=SH)
    case = desk.repair("leak.bathroom", now=leak_test - DAY)
    desk.in_progress(case, now=leak_test - DAY)
    services.case_complete(
        actor=cast.tech_a,
        case_id=case.pk,
        work_done="做防水",
        signoff_kind="absent",
        leak_test_at=leak_test,
        now=leak_test - HOUR,
    )
    c = clock(case, "R-REP-5")
    assert (c.not_before, c.due_at) == (leak_test, leak_test + 3 * DAY)
