"""Deadline settings per community (issue 5): customised policies, working hours,
calendar overrides, the precedence the configuration page shows, and the 60-day view."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from propdesk.core.errors import Conflict, Forbidden, Invalid, NotFound
from propdesk.core.models import AuditEvent
from propdesk.servicedesk import services
from propdesk.servicedesk.tests.conftest import T0, category
from propdesk.sla import config
from propdesk.sla.models import CalendarOverride, Clock, CommunityHours, Policy
from propdesk.sla.selectors import calendar_days, calendar_settings, policy_precedence
from propdesk.sla.services import calendar_for, policies_for

SH = ZoneInfo("Asia/Shanghai")
HOUR = dt.timedelta(hours=1)


def default(code, **conditions):
    return Policy.objects.get(code=code, community__isnull=True, **conditions)


def counts():
    return (
        Policy.objects.count(),
        CommunityHours.objects.count(),
        CalendarOverride.objects.count(),
        AuditEvent.objects.count(),
    )


def customise(cast, code="R-CMP-4", actor=None, **conditions):
    return config.policy_customise(
        actor=actor or cast.supervisor_a,
        community_id=cast.alpha.pk,
        policy_id=default(code, **conditions).pk,
        now=T0,
    )


# --- customising a policy -----------------------------------------------------------------


def test_customise_copies_the_default_for_one_community_and_the_default_stays(cast, desk):
    original = default("R-CMP-4")
    copy = customise(cast)
    assert copy.pk != original.pk
    assert copy.community == cast.alpha
    assert (copy.code, copy.kind, copy.target_kind, copy.target_minutes) == (
        "R-CMP-4",
        "complaint",
        "duration",
        60,
    )
    assert copy.escalate_to == original.escalate_to
    assert Policy.objects.filter(pk=original.pk, community__isnull=True).exists()
    event = AuditEvent.objects.get(object_type="sla.policy", object_id=str(copy.pk))
    assert event.action == "create"
    assert event.community_id == cast.alpha.pk
    # Alpha's cases get the copy (most specific: the community's own), Beta's the default.
    alpha_case = desk.complaint(now=T0)
    assert Clock.objects.get(case=alpha_case, policy__code="R-CMP-4").policy_id == copy.pk
    beta_case = services.case_create(
        actor=cast.desk_b,
        community_id=cast.beta.pk,
        kind="complaint",
        channel="phone",
        description="噪音",
        house_id=cast.house_b1.pk,
        customer_id=cast.carol_b.pk,
        category_id=category("housing", "complaint").pk,
        severity="ordinary",
        now=T0,
    )
    assert Clock.objects.get(case=beta_case, policy__code="R-CMP-4").policy_id == original.pk


def test_customising_twice_or_a_community_policy_is_refused_and_writes_nothing(cast):
    copy = customise(cast)
    before = counts()
    with pytest.raises(Conflict):
        customise(cast)
    with pytest.raises(Conflict):
        config.policy_customise(
            actor=cast.supervisor_a, community_id=cast.alpha.pk, policy_id=copy.pk, now=T0
        )
    assert counts() == before


def test_edited_policy_applies_to_new_clocks_and_leaves_running_ones_alone(cast, desk):
    copy = customise(cast)
    first = desk.complaint(now=T0)
    config.policy_update(
        actor=cast.supervisor_a,
        policy_id=copy.pk,
        name="投诉2小时内转交",
        target_kind="duration",
        target="2",
        target_unit="hours",
        warn_ratio="0.5",
        escalate_to=["department_head", "director"],
        is_active=True,
        now=T0 + HOUR,
    )
    copy.refresh_from_db()
    assert (copy.name, copy.target_minutes, str(copy.warn_ratio)) == (
        "投诉2小时内转交",
        120,
        "0.50",
    )
    assert copy.escalate_to == ["department_head", "director"]
    # The running clock keeps its deadline; a case received now gets the new target.
    assert Clock.objects.get(case=first, policy=copy).due_at == T0 + HOUR
    second = desk.complaint(now=T0 + HOUR)
    clock = Clock.objects.get(case=second, policy=copy)
    assert clock.due_at == T0 + 3 * HOUR
    assert clock.warn_at == T0 + 2 * HOUR  # half of the time
    update = AuditEvent.objects.get(object_id=str(copy.pk), action="update")
    assert update.changes["target_minutes"] == [60, 120]
    assert set(update.changes) == {"name", "target_minutes", "warn_ratio", "escalate_to"}


def test_working_day_and_window_targets_are_stored_in_their_units(cast):
    copy = customise(cast, "R-REP-5", requires_leak=True)
    config.policy_update(
        actor=cast.supervisor_a,
        policy_id=copy.pk,
        target_kind="window",
        target="4",
        target_unit="days",
        window_start="1",
        now=T0,
    )
    copy.refresh_from_db()
    assert (copy.target_minutes, copy.window_start_minutes) == (4 * 1440, 1440)
    config.policy_update(
        actor=cast.supervisor_a, policy_id=copy.pk, target_kind="working_days", target="2", now=T0
    )
    copy.refresh_from_db()
    assert (copy.target_kind, copy.target_minutes, copy.window_start_minutes) == (
        "working_days",
        2,
        0,
    )


def test_bad_policy_input_names_each_field_and_changes_nothing(cast):
    copy = customise(cast)
    before = counts()
    with pytest.raises(Invalid) as exc:
        config.policy_update(
            actor=cast.supervisor_a,
            policy_id=copy.pk,
            name="",
            target="soon",
            target_unit="hours",
            warn_ratio="1.5",
            escalate_to=["boss"],
            is_active="perhaps",
            now=T0,
        )
    assert set(exc.value.errors) == {"name", "target", "warn_ratio", "escalate_to", "is_active"}
    with pytest.raises(Invalid) as exc:
        config.policy_update(
            actor=cast.supervisor_a,
            policy_id=copy.pk,
            target_kind="working",
            target="2",
            target_unit="days",
            now=T0,
        )
    assert set(exc.value.errors) == {"target_unit"}
    with pytest.raises(Invalid) as exc:
        config.policy_update(
            actor=cast.supervisor_a,
            policy_id=copy.pk,
            target_kind="window",
            target="2",
            target_unit="hours",
            window_start="3",
            now=T0,
        )
    assert set(exc.value.errors) == {"window_start"}
    with pytest.raises(Invalid) as exc:
        config.policy_update(
            actor=cast.supervisor_a, policy_id=copy.pk, target_kind="appointment", now=T0
        )
    assert set(exc.value.errors) == {"target_kind"}
    with pytest.raises(Invalid) as exc:
        config.policy_update(
            actor=cast.supervisor_a, policy_id=copy.pk, target="400", target_unit="days", now=T0
        )
    assert set(exc.value.errors) == {"target"}
    copy.refresh_from_db()
    assert (copy.name, copy.target_minutes, copy.is_active) == (
        default("R-CMP-4").name,
        60,
        True,
    )
    assert counts() == before


def test_a_default_policy_is_not_edited_in_place(cast):
    with pytest.raises(Conflict):
        config.policy_update(
            actor=cast.supervisor_a, policy_id=default("R-CMP-4").pk, target="5", now=T0
        )
    assert default("R-CMP-4").target_minutes == 60


def test_only_staff_who_configure_deadlines_of_the_community_may_change_policies(cast):
    copy = customise(cast)
    before = counts()
    with pytest.raises(NotFound):  # staff of another community: the community does not exist
        customise(cast, actor=cast.desk_b)
    with pytest.raises(NotFound):
        config.policy_update(actor=cast.desk_b, policy_id=copy.pk, target="5", now=T0)
    with pytest.raises(Forbidden):  # the community's own technician may not
        config.policy_update(actor=cast.tech_a, policy_id=copy.pk, target="5", now=T0)
    with pytest.raises(Forbidden):
        config.policy_customise(
            actor=cast.desk_a,
            community_id=cast.alpha.pk,
            policy_id=default("R-CMP-7", severity="minor").pk,
            now=T0,
        )
    assert counts() == before
    config.policy_update(actor=cast.director_a, policy_id=copy.pk, target="5", now=T0)
    copy.refresh_from_db()
    assert copy.target_minutes == 5


def test_a_clock_started_under_the_default_still_stops_after_customising_r_cmp_4(cast, desk):
    case = desk.complaint(now=T0)
    customise(cast)
    services.case_forward(
        actor=cast.desk_a, case_id=case.pk, department_id=cast.maint_dept_a.pk, now=T0 + HOUR / 2
    )
    clock = Clock.objects.get(case=case, policy__code="R-CMP-4")
    assert clock.policy_id == default("R-CMP-4").pk  # not rewritten
    assert clock.state == "met"


def test_an_inactive_community_policy_gives_the_rule_back_to_the_default(cast, desk):
    copy = customise(cast)
    config.policy_update(actor=cast.supervisor_a, policy_id=copy.pk, is_active=False, now=T0)
    case = desk.complaint(now=T0)
    assert [p.pk for p in policies_for(case) if p.code == "R-CMP-4"] == [default("R-CMP-4").pk]


# --- precedence as the page shows it ------------------------------------------------------


def lines_of(groups, code):
    return next(g.lines for g in groups if g.code == code)


def test_precedence_most_specific_first_and_the_copy_replaces_the_default(cast):
    groups = policy_precedence(cast.supervisor_a, community_id=cast.alpha.pk)
    rep5 = lines_of(groups, "R-REP-5")
    assert [line.status for line in rep5] == ["in_force", "in_force", "in_force"]
    assert rep5[-1].policy.requires_safety is rep5[-1].policy.requires_leak is False
    copy = customise(cast)
    groups = policy_precedence(cast.supervisor_a, community_id=cast.alpha.pk)
    cmp4 = lines_of(groups, "R-CMP-4")
    assert [(line.policy.pk, line.status) for line in cmp4] == [
        (copy.pk, "in_force"),
        (default("R-CMP-4").pk, "replaced"),
    ]
    assert cmp4[1].beaten_by == copy


def test_a_broad_community_policy_keeps_more_specific_defaults_in_force_r_rep_5(cast):
    # Conditions rank first: a community's copy of the generic R-REP-5 replaces the
    # generic default only; leak repairs keep their own window after the leak test.
    copy = customise(cast, "R-REP-5", requires_leak=False, requires_safety=False)
    groups = policy_precedence(cast.supervisor_a, community_id=cast.alpha.pk)
    rep5 = {line.policy.pk: line for line in lines_of(groups, "R-REP-5")}
    leak = default("R-REP-5", requires_leak=True)
    generic = default("R-REP-5", requires_leak=False, requires_safety=False)
    assert rep5[leak.pk].status == "in_force"
    assert rep5[generic.pk].status == "replaced"
    assert rep5[generic.pk].beaten_by == copy


def test_precedence_page_is_scoped_and_needs_the_capability(cast):
    with pytest.raises(NotFound):
        policy_precedence(cast.desk_b, community_id=cast.alpha.pk)
    with pytest.raises(Forbidden):
        policy_precedence(cast.tech_a, community_id=cast.alpha.pk)


# --- working hours ------------------------------------------------------------------------


def test_working_hours_are_stored_in_order_and_move_same_day_deadlines_r_cmp_8(cast, desk):
    config.hours_set(
        actor=cast.supervisor_a,
        community_id=cast.alpha.pk,
        intervals="13:00-17:00\n08:00-12:00",
        now=T0,
    )
    assert CommunityHours.objects.get(community=cast.alpha).intervals == [
        "08:00-12:00",
        "13:00-17:00",
    ]
    assert calendar_for(cast.alpha).hours == (
        (dt.time(8), dt.time(12)),
        (dt.time(13), dt.time(17)),
    )
    case = desk.complaint("major", now=T0)
    clock = Clock.objects.get(case=case, policy__code="R-CMP-6")
    assert clock.due_at == dt.datetime(2026, 3, 2, 17, 0, tzinfo=SH)  # not the default 18:00


def test_a_desk_open_until_midnight_and_back_to_the_default_hours(cast):
    row = config.hours_set(
        actor=cast.supervisor_a, community_id=cast.alpha.pk, intervals=["18:00-24:00"], now=T0
    )
    assert row is not None
    assert row.intervals == ["18:00-00:00"]
    assert calendar_for(cast.alpha).end_of_working_day(T0) == dt.datetime(
        2026, 3, 3, 0, 0, tzinfo=SH
    )
    assert (
        config.hours_set(actor=cast.supervisor_a, community_id=cast.alpha.pk, intervals="") is None
    )
    assert not CommunityHours.objects.filter(community=cast.alpha).exists()
    assert AuditEvent.objects.filter(object_type="sla.communityhours", action="delete").exists()


@pytest.mark.parametrize(
    ("intervals", "reason"),
    [
        ("08:30-12:00, 11:30-14:00", "overlap"),
        ("12:00-08:00", "before the end"),
        ("25:00-26:00", "time of day"),
        ("早上", "like 08:30-12:00"),
        (["08:00-09:00"] * 7, "At most"),
    ],
)
def test_bad_working_hours_are_refused_with_the_reason_and_nothing_changes(
    cast, intervals, reason, settings
):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    before = counts()
    with translation.override("en"), pytest.raises(Invalid) as exc:
        config.hours_set(
            actor=cast.supervisor_a, community_id=cast.alpha.pk, intervals=intervals, now=T0
        )
    assert list(exc.value.errors) == ["intervals"]
    assert reason in str(exc.value.errors["intervals"][0])
    assert counts() == before


def test_hours_of_another_community_are_not_found_and_a_technician_may_not(cast):
    with pytest.raises(NotFound):
        config.hours_set(actor=cast.desk_b, community_id=cast.alpha.pk, intervals="09:00-17:00")
    with pytest.raises(Forbidden):
        config.hours_set(actor=cast.tech_a, community_id=cast.alpha.pk, intervals="09:00-17:00")
    assert not CommunityHours.objects.exists()


# --- calendar overrides -----------------------------------------------------------------


def test_a_local_day_off_moves_deadlines_of_that_community_only_r_cmp_8(cast):
    day = dt.date(2026, 10, 9)  # a Friday, working day by the statutory calendar
    config.override_set(
        actor=cast.supervisor_a,
        community_id=cast.alpha.pk,
        date="2026-10-09",
        is_workday=False,
        note="小区停电检修",
        now=T0,
    )
    assert calendar_for(cast.alpha).is_workday(day) is False
    assert calendar_for(cast.beta).is_workday(day) is True
    # Setting the same date again updates the row (one per community and date).
    row = config.override_set(
        actor=cast.supervisor_a, community_id=cast.alpha.pk, date=day, is_workday="1", now=T0
    )
    assert CalendarOverride.objects.filter(community=cast.alpha, date=day).count() == 1
    assert row.is_workday is True
    config.override_delete(actor=cast.supervisor_a, override_id=row.pk, now=T0)
    assert not CalendarOverride.objects.exists()
    assert AuditEvent.objects.filter(object_type="sla.calendaroverride").count() == 3


def test_a_date_for_every_community_needs_a_company_administrator(cast):
    with pytest.raises(Forbidden):
        config.override_set(
            actor=cast.supervisor_a, community_id=None, date="2027-02-05", is_workday=False
        )
    row = config.override_set(
        actor=cast.admin, community_id=None, date="2027-02-05", is_workday=False, note="春节"
    )
    assert row.community_id is None
    assert calendar_for(cast.alpha).is_workday(dt.date(2027, 2, 5)) is False
    assert calendar_for(cast.beta).is_workday(dt.date(2027, 2, 5)) is False
    with pytest.raises(Forbidden):
        config.override_delete(actor=cast.supervisor_a, override_id=row.pk)
    config.override_delete(actor=cast.admin, override_id=row.pk)


def test_a_communitys_own_date_beats_the_date_for_every_community(cast):
    day = dt.date(2027, 2, 6)  # a Saturday
    config.override_set(actor=cast.admin, community_id=None, date=day, is_workday=False)
    config.override_set(
        actor=cast.supervisor_a, community_id=cast.alpha.pk, date=day, is_workday=True
    )
    assert calendar_for(cast.alpha).is_workday(day) is True
    assert calendar_for(cast.beta).is_workday(day) is False
    (shown,) = calendar_days(cast.supervisor_a, community_id=cast.alpha.pk, start=day, days=1)
    assert (shown.is_workday, shown.override.community_id) == (True, cast.alpha.pk)


def test_bad_override_input_names_the_fields_and_writes_nothing(cast):
    before = counts()
    with pytest.raises(Invalid) as exc:
        config.override_set(
            actor=cast.supervisor_a,
            community_id=cast.alpha.pk,
            date="2026-13-01",
            is_workday="perhaps",
            note="x" * 101,
        )
    assert set(exc.value.errors) == {"date", "is_workday", "note"}
    with pytest.raises(NotFound):
        config.override_set(
            actor=cast.desk_b, community_id=cast.alpha.pk, date="2026-10-09", is_workday=False
        )
    with pytest.raises(Forbidden):
        config.override_set(
            actor=cast.tech_a, community_id=cast.alpha.pk, date="2026-10-09", is_workday=False
        )
    assert counts() == before


def test_an_override_of_another_community_is_not_found(cast):
    row = CalendarOverride.objects.create(
        community=cast.beta, date=dt.date(2026, 10, 9), is_workday=False
    )
    with pytest.raises(NotFound):
        config.override_delete(actor=cast.supervisor_a, override_id=row.pk)
    assert CalendarOverride.objects.filter(pk=row.pk).exists()


# --- the 60-day view ----------------------------------------------------------------------


def test_calendar_view_shows_holidays_make_up_days_and_overrides(cast):
    config.override_set(
        actor=cast.supervisor_a,
        community_id=cast.alpha.pk,
        date="2026-10-09",
        is_workday=False,
        note="停电",
    )
    days = {
        d.date: d
        for d in calendar_days(
            cast.supervisor_a, community_id=cast.alpha.pk, start=dt.date(2026, 9, 28)
        )
    }
    assert len(days) == 60
    assert days[dt.date(2026, 9, 30)].kind == "workday"
    assert (days[dt.date(2026, 10, 1)].kind, days[dt.date(2026, 10, 1)].is_workday) == (
        "holiday",
        False,
    )
    assert days[dt.date(2026, 10, 1)].label == "国庆节"
    assert (days[dt.date(2026, 10, 10)].kind, days[dt.date(2026, 10, 10)].is_workday) == (
        "makeup",
        True,
    )
    assert days[dt.date(2026, 10, 11)].kind == "weekend"
    assert (days[dt.date(2026, 10, 9)].kind, days[dt.date(2026, 10, 9)].label) == (
        "override_off",
        "停电",
    )


def test_calendar_settings_flag_a_year_the_holiday_package_does_not_know(cast):
    settings_ = calendar_settings(
        cast.supervisor_a, community_id=cast.alpha.pk, today=dt.date(2026, 12, 1)
    )
    assert settings_.is_default
    assert settings_.intervals == ["08:30-12:00", "13:30-18:00"]
    assert 2027 in settings_.unknown_years
    days = calendar_days(cast.supervisor_a, community_id=cast.alpha.pk, start=dt.date(2027, 1, 4))
    assert days[0].kind == "unknown"  # a Monday of 2027: Monday–Friday until overridden
    assert days[0].is_workday
