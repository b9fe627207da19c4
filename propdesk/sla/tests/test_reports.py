"""Compliance report, return-visit coverage (R-REP-5) and the "about to breach" panel,
against figures computed by hand from cases driven through the real services."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from propdesk.core.errors import Forbidden, NotFound
from propdesk.servicedesk import services
from propdesk.servicedesk.tests.conftest import T0, category
from propdesk.sla.models import Clock, ClockState
from propdesk.sla.reports import (
    clocks_about_to_breach,
    compliance,
    compliance_xlsx,
    percentile_cont,
    return_visit_coverage,
)
from propdesk.sla.services import sla_sweep

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
MARCH = {"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 31)}


def forward(cast, case, at):
    services.case_forward(
        actor=cast.desk_a, case_id=case.pk, department_id=cast.maint_dept_a.pk, now=at
    )


@pytest.fixture
def complaints(cast, desk):
    """Four ordinary complaints received at T0 (Monday 09:00); R-CMP-4 is due T0+1h.

    forwarded after 30 min (met), 3 h (2 h late), 5 h (4 h late), and one not
    forwarded at all: at T0+11h it is 10 h late and still open.
    """
    cases = [desk.complaint(now=T0) for _ in range(4)]
    forward(cast, cases[0], T0 + HOUR / 2)
    forward(cast, cases[1], T0 + 3 * HOUR)
    forward(cast, cases[2], T0 + 5 * HOUR)
    return cases


def by_code(report):
    return {row.label.split()[0]: row for row in report.rows}


def test_percentile_is_the_linear_interpolation_postgresql_uses():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([5.0], 0.9) == 5.0
    assert percentile_cont([7200, 14400, 36000], 0.5) == 14400
    assert percentile_cont([7200, 14400, 36000], 0.9) == pytest.approx(31680)
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5


def test_compliance_per_policy_met_breached_how_late_still_running_r_cmp_4(cast, complaints):
    now = T0 + 11 * HOUR
    report = compliance(cast.supervisor_a, by="policy", now=now, **MARCH)
    rows = by_code(report)
    cmp4 = rows["R-CMP-4"]
    assert (cmp4.met, cmp4.breached, cmp4.running) == (1, 3, 0)
    # Late: 2 h, 4 h (stopped) and 10 h so far (still open, not swept yet).
    assert cmp4.late_median == pytest.approx(4 * 3600)
    assert cmp4.late_p90 == pytest.approx(31680)  # 4 h + (10 h − 4 h) × 0.8
    assert cmp4.rate == pytest.approx(0.25)
    cmp7 = rows["R-CMP-7"]  # 2 days to handle: nobody is late yet
    assert (cmp7.met, cmp7.breached, cmp7.running) == (0, 0, 4)
    assert cmp7.late_median is None
    assert (report.total.met, report.total.breached, report.total.running) == (1, 3, 4)
    assert report.total.late_median == pytest.approx(4 * 3600)


def test_the_sweep_does_not_change_the_figures(cast, complaints):
    now = T0 + 11 * HOUR
    before = by_code(compliance(cast.supervisor_a, by="policy", now=now, **MARCH))["R-CMP-4"]
    sla_sweep(now=now)
    assert Clock.objects.filter(case=complaints[3], state=ClockState.BREACHED).exists()
    after = by_code(compliance(cast.supervisor_a, by="policy", now=now, **MARCH))["R-CMP-4"]
    assert (after.met, after.breached, after.running) == (before.met, before.breached, 0)
    assert (after.late_median, after.late_p90) == pytest.approx(
        (before.late_median, before.late_p90)
    )


def test_compliance_per_department_community_and_month(cast, desk, complaints):
    now = T0 + 11 * HOUR
    # One complaint in February: R-CMP-4 due and met in February, R-CMP-7 due in March.
    february = dt.datetime(2026, 2, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    early = desk.complaint(now=february)
    forward(cast, early, february + HOUR / 4)
    period = {"date_from": dt.date(2026, 2, 1), "date_to": dt.date(2026, 3, 31)}
    months = compliance(cast.supervisor_a, by="month", now=now, **period)
    assert [(r.label, r.met, r.breached, r.running) for r in months.rows] == [
        ("2026-02", 1, 0, 0),
        ("2026-03", 1, 4, 4),  # the February case's R-CMP-7 fell due on 1 March, unmet
    ]
    # A security complaint is routed to the security department and forwarded in time.
    guard = desk.complaint(now=T0, category_id=category("security", "complaint").pk)
    services.case_forward(
        actor=cast.desk_a,
        case_id=guard.pk,
        department_id=cast.security_dept_a.pk,
        now=T0 + HOUR / 3,
    )
    departments = compliance(cast.supervisor_a, by="department", now=now, **MARCH)
    table = {r.key: (r.met, r.breached, r.running) for r in departments.rows}
    # Housing complaints are routed to maintenance at intake: R-CMP-4 met once and late
    # three times (2 h, 4 h, 10 h so far), four R-CMP-7 running, and the February
    # case's R-CMP-7, due 1 March 09:00 and 35 h late by now.
    assert table == {cast.maint_dept_a.pk: (1, 4, 4), cast.security_dept_a.pk: (1, 0, 1)}
    maintenance = next(r for r in departments.rows if r.key == cast.maint_dept_a.pk)
    assert maintenance.late_median == pytest.approx(7 * 3600)  # between 4 h and 10 h
    assert maintenance.late_p90 == pytest.approx((10 + (35 - 10) * 0.7) * 3600)
    assert [r.label for r in departments.rows] == sorted(r.label for r in departments.rows)
    communities = compliance(cast.admin, by="community", now=now, **MARCH)
    assert [(r.label, r.met, r.breached) for r in communities.rows] == [(cast.alpha.name, 2, 4)]


def test_compliance_is_scoped_to_the_users_communities(cast, complaints):
    services.case_create(
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
    now = T0 + 11 * HOUR
    mine = compliance(cast.supervisor_a, by="community", now=now, **MARCH)
    assert [r.key for r in mine.rows] == [cast.alpha.pk]
    everyone = compliance(cast.admin, by="community", now=now, **MARCH)
    assert {r.key: r.breached for r in everyone.rows} == {cast.alpha.pk: 3, cast.beta.pk: 1}
    with pytest.raises(NotFound):
        compliance(cast.supervisor_a, by="policy", community_id=cast.beta.pk, now=now, **MARCH)
    with pytest.raises(Forbidden):
        compliance(cast.tech_a, by="policy", now=now, **MARCH)
    with pytest.raises(Forbidden):
        compliance(cast.desk_a, by="policy", now=now, **MARCH)


# --- return-visit coverage ------------------------------------------------------------


def visit(cast, case, at):
    services.case_return_visit_record(
        actor=cast.desk_a,
        case_id=case.pk,
        method="phone",
        result="satisfied",
        rating=5,
        now=at,
    )


def test_return_visit_coverage_counts_done_on_time_and_lists_the_missing_r_rep_5(cast, desk):
    """Five repairs completed at T0 or T0+3d (visits due 2 days after completion)."""
    on_time = desk.completed(desk.repair(now=T0), now=T0)
    visit(cast, on_time, T0 + DAY)
    late = desk.completed(desk.repair(now=T0), now=T0)
    visit(cast, late, T0 + 3 * DAY)
    missing = desk.completed(desk.repair(now=T0), now=T0)
    pending = desk.completed(desk.repair(now=T0 + 3 * DAY), now=T0 + 3 * DAY)
    # Reworked: the first visit was unsatisfied, the repair completed again, not yet visited.
    rework = desk.completed(desk.repair(now=T0), now=T0)
    services.case_return_visit_record(
        actor=cast.desk_a,
        case_id=rework.pk,
        method="phone",
        result="unsatisfied",
        rating=2,
        comment="还在滴水",
        now=T0 + HOUR,
    )
    services.case_accept(actor=cast.tech_a, case_id=rework.pk, now=T0 + 2 * HOUR)
    services.case_start(actor=cast.tech_a, case_id=rework.pk, now=T0 + 2 * HOUR)
    services.case_complete(
        actor=cast.tech_a,
        case_id=rework.pk,
        work_done="再次更换阀芯",
        signoff_kind="absent",
        now=T0 + 3 * HOUR,
    )
    now = T0 + 4 * DAY
    cover = return_visit_coverage(cast.supervisor_a, now=now, **MARCH)
    total = cover.total
    assert (total.completed, total.done, total.on_time, total.overdue, total.pending) == (
        5,
        2,
        1,
        2,
        1,
    )
    assert total.rate == pytest.approx(0.4)
    assert total.on_time_rate == pytest.approx(0.2)
    assert [m.case_id for m in cover.missing] == [missing.pk, rework.pk, pending.pk]
    assert [m.overdue for m in cover.missing] == [True, True, False]
    assert cover.missing[0].due_at == T0 + 2 * DAY
    assert [r.key for r in cover.by_community] == [cast.alpha.pk]


def test_return_visit_coverage_is_scoped(cast):
    with pytest.raises(NotFound):
        return_visit_coverage(cast.desk_b, community_id=cast.alpha.pk, **MARCH)
    with pytest.raises(Forbidden):
        return_visit_coverage(cast.tech_a, **MARCH)
    empty = return_visit_coverage(cast.supervisor_a, **MARCH)
    assert (empty.total.completed, empty.total.rate, empty.missing) == (0, None, [])


# --- about to breach --------------------------------------------------------------------


def test_about_to_breach_lists_running_clocks_due_soon_worst_first(cast, desk):
    first = desk.complaint(now=T0)  # R-CMP-4 due T0+1h
    second = desk.complaint(now=T0 + HOUR)  # due T0+2h
    later = desk.complaint(now=T0 + 5 * HOUR)  # due T0+6h: outside the 4 hours at T0+1.5h
    forward(cast, later, T0 + 5 * HOUR)  # and met anyway
    now = T0 + 1.5 * HOUR
    rows = clocks_about_to_breach(cast.supervisor_a, now=now)
    assert [(r.clock.case_id, r.clock.policy.code) for r in rows] == [
        (first.pk, "R-CMP-4"),
        (second.pk, "R-CMP-4"),
    ]
    assert [r.seconds_left for r in rows] == [-1800, 1800]
    assert rows[0].late
    assert clocks_about_to_breach(cast.maint_head_a, now=now)  # department heads watch too
    with pytest.raises(Forbidden):
        clocks_about_to_breach(cast.desk_a, now=now)


# --- Excel ------------------------------------------------------------------------------


def test_compliance_workbook_opens_and_carries_the_numbers(cast, desk, complaints):
    done = desk.completed(desk.repair(now=T0), now=T0)
    visit(cast, done, T0 + DAY)
    missing = desk.completed(desk.repair(now=T0), now=T0)
    content = compliance_xlsx(cast.supervisor_a, now=T0 + 4 * DAY, **MARCH)
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["维度", "分组", "已达标", "已超时", "进行中"]
    cmp4 = next(r for r in rows if str(r[1]).startswith("R-CMP-4"))
    # At T0+4d the unforwarded complaint is 95 h late: late values 2 h, 4 h, 95 h.
    assert cmp4[2:5] == [1, 3, 0]
    assert cmp4[5] == 25.0
    assert cmp4[6] == 240.0  # median, minutes
    assert cmp4[7] == pytest.approx(240 + (95 * 60 - 240) * 0.8)  # p90, minutes
    assert rows[-1][0] == "合计"
    visits = book["回访"]
    lines = [list(r) for r in visits.iter_rows(values_only=True)]
    assert lines[0][:4] == ["小区", "已完成维修", "已回访", "按时回访"]
    assert lines[1][:4] == [cast.alpha.name, 2, 1, 1]
    assert any(str(r[0]).startswith(missing.number) for r in lines)


def test_the_workbook_needs_the_export_right(cast, complaints):
    with pytest.raises(Forbidden):
        compliance_xlsx(cast.maint_head_a, **MARCH)  # may read the report, not export it
