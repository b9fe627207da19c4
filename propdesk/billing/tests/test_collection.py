"""Arrears, collection rate, the dunning ladder, legal files and publication (R-FEE-3..6).

Every figure is computed by hand in the test's comments; the bills are one-off
charges with chosen due dates, so the sums are plain.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from propdesk.billing import dunning, legal, publication, reports, services
from propdesk.billing.models import (
    CaseState,
    ContactLog,
    DunningCase,
    DunningEvent,
    DunningRunLog,
    DunningStep,
    IncomeStatement,
    IncomeStatementLine,
    PlanState,
    SuspendReason,
)
from propdesk.billing.tests.conftest import at, charge
from propdesk.core.errors import Conflict, Forbidden, Invalid, NotFound
from propdesk.notify.models import OutboxMessage
from propdesk.testing.counts import row_counts

D = Decimal
SH = ZoneInfo("Asia/Shanghai")
DUNNING_TABLES = (
    "billing.DunningCase",
    "billing.DunningEvent",
    "billing.ContactLog",
    "billing.PaymentPlan",
    "billing.DunningLetter",
    "notify.OutboxMessage",
)


def pay(cast, house, amount, day, key, bills=None):
    payment, _replayed = services.payment_post(
        actor=cast.admin,
        house_id=house.pk,
        amount=amount,
        method="cash",
        idempotency_key=key,
        bill_ids=[b.pk for b in bills] if bills else None,
        now=at(day),
    )
    return payment


def run(cast, day):
    return dunning.dunning_run(community_id=cast.alpha.pk, today=day, now=at(day, 2))


def case_of(house):
    return DunningCase.objects.exclude(state=CaseState.CLOSED).get(house=house)


def on_worklist(cast, day):
    return {
        (c.house_id, c.step.action)
        for c in dunning.worklist(cast.cashier_a, community_id=cast.alpha.pk, today=day)
    }


# --- arrears by age (R-FEE-3) --------------------------------------------------------------


def test_months_back_keeps_the_day_or_the_months_last():
    assert reports.months_back(dt.date(2026, 11, 15), 3) == dt.date(2026, 8, 15)
    assert reports.months_back(dt.date(2026, 5, 31), 3) == dt.date(2026, 2, 28)
    assert reports.months_back(dt.date(2026, 2, 15), 12) == dt.date(2025, 2, 15)


@pytest.fixture
def aged(cast, fees):
    """As of 2026-11-15, house 1-1-101 owes in every bucket and 1-1-102 in the first."""
    a1, a2 = cast.house_a1, cast.house_a2
    old = charge(cast, fees, a1, "400.00", dt.date(2025, 6, 1), "2025-06")  # > 12 months
    charge(cast, fees, a1, "300.00", dt.date(2026, 1, 1), "2026-01")  # 7–12
    charge(cast, fees, a1, "200.00", dt.date(2026, 6, 1), "2026-06")  # 4–6
    charge(cast, fees, a1, "100.00", dt.date(2026, 8, 15), "2026-08")  # 1–3: exactly 3 months
    charge(cast, fees, a1, "50.00", dt.date(2026, 11, 20), "2026-11")  # not due yet
    charge(cast, fees, a2, "80.00", dt.date(2026, 11, 1), "2026-11")  # 1–3
    charge(cast, fees, cast.house_b1, "999.00", dt.date(2026, 1, 1), "2026-01")  # Beta
    pay(cast, a1, "150.00", dt.date(2026, 11, 2), "aged-1", bills=[old])  # 400 → 250 open
    return dt.date(2026, 11, 15)


def test_arrears_by_age_per_community_building_and_house_r_fee_3(cast, aged):
    report = reports.arrears_by_age(cast.director_a, level="community", as_of=aged)
    assert [r.label for r in report.rows] == [cast.alpha.name]
    alpha = report.rows[0]
    assert alpha.buckets() == [D("180.00"), D("200.00"), D("300.00"), D("250.00")]
    assert alpha.total == D("930.00")
    assert alpha.houses == 2

    by_building = reports.arrears_by_age(
        cast.director_a, level="building", community_id=cast.alpha.pk, as_of=aged
    )
    assert [(r.key, r.total) for r in by_building.rows] == [(cast.building_a.pk, D("930.00"))]

    by_house = reports.arrears_by_age(
        cast.director_a, level="house", building_id=cast.building_a.pk, as_of=aged
    )
    assert [(r.label, r.buckets()) for r in by_house.rows] == [
        ("1-1-101", [D("100.00"), D("200.00"), D("300.00"), D("250.00")]),
        ("1-1-102", [D("80.00"), D("0.00"), D("0.00"), D("0.00")]),
    ]
    assert by_house.total.total == D("930.00")


def test_arrears_report_is_one_query_and_scoped(cast, aged, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the scope (cached on the user) and the aggregate
        report = reports.arrears_by_age(cast.admin, level="community", as_of=aged)
    assert {r.label: r.total for r in report.rows} == {
        cast.alpha.name: D("930.00"),
        cast.beta.name: D("999.00"),
    }
    with pytest.raises(NotFound):
        reports.arrears_by_age(cast.director_a, community_id=cast.beta.pk, as_of=aged)
    with pytest.raises(Forbidden):
        reports.arrears_by_age(cast.tech_a, as_of=aged)
    with pytest.raises(Invalid):
        reports.arrears_by_age(cast.director_a, level="street", as_of=aged)


def test_arrears_excel_has_the_buckets_and_total(cast, aged):
    report = reports.arrears_by_age(cast.director_a, level="house", as_of=aged)
    sheet = openpyxl.load_workbook(io.BytesIO(reports.arrears_xlsx(report))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "1-1-101"
    assert [D(str(v)) for v in rows[1][1:6]] == [D(x) for x in ("100", "200", "300", "250", "850")]
    assert D(str(rows[-1][5])) == D("930")


# --- collection rate -------------------------------------------------------------------------


@pytest.fixture
def year_2026(cast, fees):
    a1, a2 = cast.house_a1, cast.house_a2
    d = dt.date
    b0 = charge(cast, fees, a1, "300.00", d(2025, 12, 10), "2025-12")  # past year's arrears
    b1 = charge(cast, fees, a1, "100.00", d(2026, 1, 5), "2026-01")
    charge(cast, fees, a1, "100.00", d(2026, 2, 5), "2026-02")
    b3 = charge(cast, fees, a2, "200.00", d(2026, 1, 5), "2026-01")
    b4 = charge(cast, fees, a2, "500.00", d(2026, 2, 5), "2026-02")
    services.bill_cancel(  # a bill made in error counts nowhere
        actor=cast.admin,
        bill_id=b4.pk,
        reason="录入错误",
        approver=cast.director_a,
        now=at(d(2026, 2, 6)),
    )
    pay(cast, a1, "100.00", d(2026, 1, 20), "rate-1", bills=[b1])
    pay(cast, a1, "120.00", d(2026, 2, 10), "rate-2", bills=[b0])
    pay(cast, a2, "50.00", d(2026, 3, 5), "rate-3", bills=[b3])
    services.bill_waive(
        actor=cast.cashier_a,
        bill_id=b3.pk,
        amount="20.00",
        reason="维修期间减免",
        approver=cast.director_a,
        now=at(d(2026, 3, 6)),
    )
    return d(2026, 3, 31)


def test_collection_rate_month_by_month_and_past_arrears(cast, year_2026):
    report = reports.collection_rate(
        cast.director_a, community_id=cast.alpha.pk, year=2026, as_of=year_2026
    )
    jan, feb, mar = report.total.months[:3]
    # January: billed 100 + 200 − 20 waived = 280; collected 100 + 50 = 150.
    assert (jan.billed, jan.collected, jan.rate) == (D("280.00"), D("150.00"), D("53.57"))
    # February: 100 billed (the 500 was cancelled), nothing collected.
    assert (feb.billed, feb.collected, feb.rate) == (D("100.00"), D("0.00"), D("0.00"))
    assert report.total.months[3].rate is None  # nothing billed in April
    # To date, by month end: January 100 of 280, February 100 of 380, March 150 of 380.
    assert (jan.cum_billed, jan.cum_collected, jan.cum_rate) == (D("280"), D("100"), D("35.71"))
    assert (feb.cum_billed, feb.cum_collected) == (D("380"), D("100"))
    assert (mar.cum_collected, mar.cum_rate) == (D("150"), D("39.47"))
    assert (report.total.billed, report.total.collected, report.total.rate) == (
        D("380.00"),
        D("150.00"),
        D("39.47"),
    )
    # Past years: 300 owed on 1 January, 120 of it paid in February.
    assert report.total.past_owed == D("300.00")
    assert report.total.past_collected[:3] == [D("0"), D("120.00"), D("120.00")]
    assert report.total.past_rate == D("40.00")
    assert [b.label for b in report.buildings] == [cast.building_a.name]


def test_collection_rate_excel_and_scope(cast, year_2026):
    report = reports.collection_rate(
        cast.director_a, community_id=cast.alpha.pk, year=2026, as_of=year_2026
    )
    sheet = openpyxl.load_workbook(io.BytesIO(reports.collection_rate_xlsx(report))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:5] == (cast.alpha.name, "2026-01", 280, 150, 53.57)
    with pytest.raises(NotFound):
        reports.collection_rate(cast.desk_b, community_id=cast.alpha.pk, year=2026)
    with pytest.raises(Invalid):
        reports.collection_rate(cast.director_a, community_id=cast.alpha.pk, year=1900)


# --- the dunning ladder ----------------------------------------------------------------------


@pytest.fixture
def overdue(cast, fees):
    """Both houses of Alpha owe a bill due on 1 January 2026."""
    return [
        charge(cast, fees, cast.house_a1, "100.00", dt.date(2026, 1, 1), "2026-01"),
        charge(cast, fees, cast.house_a2, "250.00", dt.date(2026, 1, 1), "2026-01"),
    ]


def test_default_ladder_is_seeded_with_the_letter_3_months_after_the_reminder_r_fee_4(cast, fees):
    steps = list(DunningStep.objects.filter(community=cast.alpha).order_by("order"))
    assert [s.action for s in steps] == ["reminder", "visit", "letter", "legal"]
    letter = steps[2]
    assert (letter.wait_days, letter.counts_from) == (90, 1)


def test_reminder_sms_states_the_amount_due_r_fee_3(cast, overdue):
    run(cast, dt.date(2026, 1, 10))
    case = case_of(cast.house_a1)
    assert (case.step.action, case.step_due) == ("reminder", dt.date(2026, 1, 16))
    assert not OutboxMessage.objects.exists()  # 15 days' grace first

    counts = run(cast, dt.date(2026, 1, 16))
    assert counts["sms"] == 2
    sms = OutboxMessage.objects.get(customer=cast.alice)
    assert sms.channel == "sms"
    assert "100.00" in sms.body
    assert "1-1-101" in sms.body
    log = ContactLog.objects.get(house=cast.house_a1)
    assert (log.how, log.amount_due) == ("sms", D("100.00"))
    case.refresh_from_db()
    assert case.step.action == "visit"
    assert case.step_due == dt.date(2026, 2, 15)
    assert (cast.house_a1.pk, "visit") not in on_worklist(cast, dt.date(2026, 2, 14))
    assert (cast.house_a1.pk, "visit") in on_worklist(cast, dt.date(2026, 2, 15))
    # Paid at the desk that morning: off the list at once, the case closes at the next run.
    pay(cast, cast.house_a1, "100.00", dt.date(2026, 2, 15), "desk-a1")
    assert (cast.house_a1.pk, "visit") not in on_worklist(cast, dt.date(2026, 2, 15))


def test_letter_exactly_3_months_after_the_phone_reminder_not_for_those_who_paid_r_fee_4(
    cast, overdue
):
    run(cast, dt.date(2026, 1, 16))  # both reminded by SMS
    day = dt.date(2026, 1, 17)
    while day <= dt.date(2026, 4, 15):  # the worker runs every day
        if day == dt.date(2026, 3, 1):
            pay(cast, cast.house_a2, "250.00", day, "paid-a2")
        run(cast, day)
        day += dt.timedelta(days=1)
    # 89 days after the reminder: no letter yet (the optional visit is still on the list).
    assert on_worklist(cast, dt.date(2026, 4, 15)) == {(cast.house_a1.pk, "visit")}
    run(cast, dt.date(2026, 4, 16))
    # 90 days after it: the letter, and only for the house that has not paid.
    assert on_worklist(cast, dt.date(2026, 4, 16)) == {(cast.house_a1.pk, "letter")}
    paid = DunningCase.objects.get(house=cast.house_a2)
    assert (paid.state, paid.closed_on) == (CaseState.CLOSED, dt.date(2026, 3, 1))
    assert (
        DunningEvent.objects.filter(case=case_of(cast.house_a1), action="step_skipped").count() == 1
    )

    case = case_of(cast.house_a1)
    letter = dunning.dunning_letter_create(
        actor=cast.cashier_a, case_id=case.pk, now=at(dt.date(2026, 4, 16))
    )
    assert (letter.number, letter.amount_claimed) == ("CJ26-000001", D("100.00"))
    pdf = legal.letter_pdf(letter)
    assert pdf.startswith(b"%PDF")
    sent = dunning.dunning_letter_send(
        actor=cast.cashier_a,
        letter_id=letter.pk,
        express_company="顺丰速运",
        tracking_number="SF1234567890",
        now=at(dt.date(2026, 4, 17)),
    )
    assert (sent.tracking_number, sent.sent_on) == ("SF1234567890", dt.date(2026, 4, 17))
    case.refresh_from_db()
    assert case.step.action == "legal"
    assert case.done["3"] == "2026-04-17"
    # Legal collection waits for at least 1,000 overdue (the default ladder's threshold).
    run(cast, dt.date(2026, 8, 1))
    assert on_worklist(cast, dt.date(2026, 8, 1)) == set()


def test_letter_without_tracking_number_is_refused_and_nothing_written_r_fee_4(cast, overdue):
    run(cast, dt.date(2026, 1, 16))
    case = case_of(cast.house_a1)
    letter = dunning.dunning_letter_create(
        actor=cast.cashier_a, case_id=case.pk, now=at(dt.date(2026, 4, 16))
    )
    before = row_counts(*DUNNING_TABLES)
    with pytest.raises(Invalid) as refused:
        dunning.dunning_letter_send(
            actor=cast.cashier_a, letter_id=letter.pk, express_company="EMS", tracking_number=" "
        )
    assert "tracking_number" in refused.value.errors
    letter.refresh_from_db()
    assert (letter.sent_on, letter.tracking_number) == (None, "")
    assert row_counts(*DUNNING_TABLES) == before


def test_daily_run_is_idempotent(cast, overdue):
    run(cast, dt.date(2026, 1, 16))
    before = row_counts(*DUNNING_TABLES, "billing.DunningRunLog")
    cases = list(DunningCase.objects.order_by("pk").values())
    again = run(cast, dt.date(2026, 1, 16))
    assert not any(again.values())
    assert row_counts(*DUNNING_TABLES, "billing.DunningRunLog") == before
    assert list(DunningCase.objects.order_by("pk").values()) == cases


def test_payment_plan_suspends_the_ladder_while_kept(cast, overdue):
    run(cast, dt.date(2026, 1, 16))
    plan = dunning.payment_plan_start(
        actor=cast.cashier_a,
        house_id=cast.house_a2.pk,
        instalments=[("2026-02-01", "100.00"), ("2026-03-01", "150.00")],
        note="分两期",
        now=at(dt.date(2026, 1, 20)),
    )
    case = case_of(cast.house_a2)
    assert (case.state, case.suspend_reason) == (CaseState.SUSPENDED, SuspendReason.PAYMENT_PLAN)
    pay(cast, cast.house_a2, "100.00", dt.date(2026, 2, 1), "plan-1")
    run(cast, dt.date(2026, 2, 20))  # the first instalment was paid: still kept
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED
    assert (cast.house_a2.pk, "visit") not in on_worklist(cast, dt.date(2026, 2, 20))
    run(cast, dt.date(2026, 3, 2))  # the second was missed: broken, the ladder resumes
    plan.refresh_from_db()
    case.refresh_from_db()
    assert (plan.state, case.state) == (PlanState.BROKEN, CaseState.ACTIVE)
    assert (cast.house_a2.pk, "visit") in on_worklist(cast, dt.date(2026, 3, 2))


def test_stopping_a_payment_plan_resumes_the_ladder(cast, overdue):
    run(cast, dt.date(2026, 1, 16))
    plan = dunning.payment_plan_start(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        instalments=[{"due": "2026-02-01", "amount": "100.00"}],
        now=at(dt.date(2026, 1, 20)),
    )
    dunning.payment_plan_stop(
        actor=cast.cashier_a, plan_id=plan.pk, reason="业主反悔", now=at(dt.date(2026, 1, 21))
    )
    assert case_of(cast.house_a1).state == CaseState.ACTIVE
    with pytest.raises(Conflict):
        dunning.payment_plan_stop(actor=cast.cashier_a, plan_id=plan.pk, reason="again")


def test_open_complaint_suspends_the_ladder_until_it_ends(cast, overdue):
    from propdesk.servicedesk import services as desk
    from propdesk.servicedesk.models import Category

    run(cast, dt.date(2026, 1, 16))
    complaint = desk.case_create(
        actor=cast.desk_a,
        community_id=cast.alpha.pk,
        kind="complaint",
        channel="phone",
        description="对物业费账单有异议",
        house_id=cast.house_a1.pk,
        customer_id=cast.alice.pk,
        category_id=Category.objects.filter(company__isnull=True, kind="complaint").first().pk,
        now=at(dt.date(2026, 1, 18)),
    )
    run(cast, dt.date(2026, 2, 15))
    case = case_of(cast.house_a1)
    assert (case.state, case.suspend_reason) == (CaseState.SUSPENDED, SuspendReason.DISPUTE)
    assert on_worklist(cast, dt.date(2026, 2, 15)) == {(cast.house_a2.pk, "visit")}
    desk.case_cancel(actor=cast.supervisor_a, case_id=complaint.pk, reason="业主撤回")
    run(cast, dt.date(2026, 2, 16))
    case.refresh_from_db()
    assert case.state == CaseState.ACTIVE
    assert (cast.house_a1.pk, "visit") in on_worklist(cast, dt.date(2026, 2, 16))


def test_paying_in_full_closes_the_case_and_contacts_stay_with_the_house(cast, fees, overdue):
    run(cast, dt.date(2026, 1, 16))
    dunning.contact_log_add(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        how="phone",
        answer="will_pay",
        promise_date="2026-01-25",
        note="业主说月底前交",
        now=at(dt.date(2026, 1, 17)),
    )
    pay(cast, cast.house_a1, "100.00", dt.date(2026, 1, 24), "full-a1")
    run(cast, dt.date(2026, 1, 25))
    first = DunningCase.objects.get(house=cast.house_a1)
    assert first.state == CaseState.CLOSED
    # Next period the house falls behind again: a new case, and the old notes are still there.
    charge(cast, fees, cast.house_a1, "100.00", dt.date(2026, 5, 1), "2026-05")
    run(cast, dt.date(2026, 5, 2))
    history = dunning.house_collection(cast.cashier_a, cast.house_a1.pk)
    assert len(history["cases"]) == 2
    assert [c.note for c in history["contacts"] if c.how == "phone"] == ["业主说月底前交"]


def test_a_phone_call_completes_the_reminder_when_no_sms_goes(cast, overdue):
    DunningStep.objects.filter(community=cast.alpha, order=1).update(auto_sms=False)
    run(cast, dt.date(2026, 1, 16))
    assert (cast.house_a1.pk, "reminder") in on_worklist(cast, dt.date(2026, 1, 16))
    dunning.contact_log_add(
        actor=cast.cashier_a,
        house_id=cast.house_a1.pk,
        how="phone",
        answer="no_answer",
        now=at(dt.date(2026, 1, 16)),
    )
    case = case_of(cast.house_a1)
    assert (case.step.action, case.done) == ("visit", {"1": "2026-01-16"})
    assert not OutboxMessage.objects.exists()


def test_legal_collection_needs_a_sent_letter_first_r_fee_5(cast, overdue):
    run(cast, dt.date(2026, 1, 16))
    case = case_of(cast.house_a1)
    with pytest.raises(Conflict):
        dunning.dunning_case_legal(actor=cast.cashier_a, case_id=case.pk, note="长期拒缴")
    letter = dunning.dunning_letter_create(actor=cast.cashier_a, case_id=case.pk)
    dunning.dunning_letter_send(
        actor=cast.cashier_a, letter_id=letter.pk, express_company="EMS", tracking_number="EA1"
    )
    case = dunning.dunning_case_legal(actor=cast.cashier_a, case_id=case.pk, note="长期拒缴")
    assert case.state == CaseState.LEGAL
    assert ContactLog.objects.filter(case=case, how="legal").count() == 1


def test_bad_ladder_and_contact_input_is_refused_and_nothing_written(cast, overdue):
    run(cast, dt.date(2026, 1, 16))
    before = row_counts(*DUNNING_TABLES, "billing.DunningStep")
    bad_calls = [
        lambda: dunning.dunning_step_set(
            actor=cast.director_a, community_id=cast.alpha.pk, order=5, action="fax", wait_days=3
        ),
        lambda: dunning.dunning_step_set(
            actor=cast.director_a,
            community_id=cast.alpha.pk,
            order=5,
            action="letter",
            wait_days=30,
            counts_from=9,
        ),
        lambda: dunning.dunning_step_set(
            actor=cast.director_a,
            community_id=cast.alpha.pk,
            order=5,
            action="visit",
            wait_days=-1,
            min_overdue="-5",
        ),
        lambda: dunning.payment_plan_start(
            actor=cast.cashier_a, house_id=cast.house_a1.pk, instalments=[("2026-02-01", "-10.00")]
        ),
        lambda: dunning.payment_plan_start(
            actor=cast.cashier_a, house_id=cast.house_a1.pk, instalments=[("2026-02-01", "1.005")]
        ),
        lambda: dunning.payment_plan_start(
            actor=cast.cashier_a, house_id=cast.house_a1.pk, instalments=[("2099-02-01", "999.00")]
        ),
        lambda: dunning.contact_log_add(
            actor=cast.cashier_a, house_id=cast.house_a1.pk, how="pigeon", answer="refused"
        ),
        lambda: dunning.contact_log_add(
            actor=cast.cashier_a, house_id=cast.house_a1.pk, how="phone", answer="will_pay"
        ),
    ]
    for call in bad_calls:
        with pytest.raises(Invalid):
            call()
    assert row_counts(*DUNNING_TABLES, "billing.DunningStep") == before


def test_collectors_act_only_in_their_community_and_with_the_permission(cast, overdue):
    run(cast, dt.date(2026, 1, 16))
    case = case_of(cast.house_a1)
    before = row_counts(*DUNNING_TABLES)
    from propdesk.testing.cast import _staff

    cashier_b = _staff("cashier_b", "cashier", cast.beta, company=cast.company)
    with pytest.raises(NotFound):
        dunning.contact_log_add(
            actor=cashier_b, house_id=cast.house_a1.pk, how="phone", answer="refused"
        )
    with pytest.raises(NotFound):
        dunning.dunning_letter_create(actor=cashier_b, case_id=case.pk)
    with pytest.raises(Forbidden):  # the director sees, but does not collect
        dunning.dunning_letter_create(actor=cast.director_a, case_id=case.pk)
    with pytest.raises(Forbidden):  # the cashier collects, but does not configure
        dunning.dunning_step_set(
            actor=cast.cashier_a,
            community_id=cast.alpha.pk,
            order=1,
            action="reminder",
            wait_days=1,
        )
    assert row_counts(*DUNNING_TABLES) == before


def test_worker_runs_each_community_once_a_day(cast, overdue):
    from propdesk.jobs import registry

    registry.autodiscover()
    assert registry.SWEEPS["billing.dunning"].fn is dunning.dunning_sweep
    now = at(dt.date(2026, 1, 16), 3)
    assert dunning.dunning_sweep(now=now) == 2  # Alpha and Beta (seeded ladders)
    assert dunning.dunning_sweep(now=now + dt.timedelta(hours=1)) == 0
    assert DunningRunLog.objects.filter(day=dt.date(2026, 1, 16)).count() == 2
    assert OutboxMessage.objects.filter(channel="sms").count() == 2


# --- the legal-collection file (R-FEE-5) -------------------------------------------------------


def test_legal_file_bundles_bills_payments_contacts_and_letters_r_fee_5(cast, fees, overdue):
    dunning.collection_policy_set(
        actor=cast.director_a, community_id=cast.alpha.pk, service_contract_ref="WY-2020-018"
    )
    run(cast, dt.date(2026, 1, 16))
    pay(cast, cast.house_a2, "50.00", dt.date(2026, 2, 1), "part-a2")
    for house in (cast.house_a1, cast.house_a2):
        case = case_of(house)
        letter = dunning.dunning_letter_create(
            actor=cast.cashier_a, case_id=case.pk, now=at(dt.date(2026, 4, 16))
        )
        dunning.dunning_letter_send(
            actor=cast.cashier_a,
            letter_id=letter.pk,
            express_company="EMS",
            tracking_number=f"EA{house.pk:09d}CN",
            now=at(dt.date(2026, 4, 17)),
        )
    blob = legal.legal_file(
        cast.cashier_a, [cast.house_a1.pk, cast.house_a2.pk], as_of=dt.date(2026, 5, 1)
    )
    bundle = zipfile.ZipFile(io.BytesIO(blob))
    names = sorted(bundle.namelist())
    assert names == ["A-1-1-101.pdf", "A-1-1-102.pdf", "legal-file.xlsx"]
    assert bundle.read("A-1-1-101.pdf").startswith(b"%PDF")
    book = openpyxl.load_workbook(io.BytesIO(bundle.read("legal-file.xlsx")))
    assert book.sheetnames == ["汇总", "账单", "缴费记录", "催缴及联系记录", "催缴函"]
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[1][1:4] == ("1-1-101", "张伟", "WY-2020-018")
    assert [D(str(r[6])) for r in summary[1:]] == [D("100"), D("200")]  # 250 − 50 paid
    letters = list(book["催缴函"].iter_rows(values_only=True))
    assert {r[6] for r in letters[1:]} == {
        f"EA{h.pk:09d}CN" for h in (cast.house_a1, cast.house_a2)
    }
    contacts = list(book["催缴及联系记录"].iter_rows(values_only=True))
    assert {r[3] for r in contacts[1:]} == {"短信", "信函"}
    payments = list(book["缴费记录"].iter_rows(values_only=True))
    assert [(r[1], D(str(r[3]))) for r in payments[1:]] == [("1-1-102", D("50"))]


def test_legal_file_refuses_houses_out_of_scope(cast, overdue):
    with pytest.raises(Invalid):
        legal.legal_file(cast.cashier_a, [cast.house_b1.pk])
    with pytest.raises(Invalid):
        legal.legal_file(cast.cashier_a, [])
    with pytest.raises(Forbidden):
        legal.legal_file(cast.director_a, [cast.house_a1.pk])


# --- income and expenditure publication (R-FEE-6) -------------------------------------------------


def test_income_statement_entered_and_published_r_fee_6(cast):
    statement = publication.income_statement_save(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        period="2026-H1",
        title="2026年上半年收支公示",
        lines=[
            ("income", "物业服务费", "1200000.00"),
            ("income", "停车管理费", "300000.00"),
            ("expenditure", "人员费用", "800000.00"),
            ("expenditure", "公共能耗", "150000.50"),
        ],
    )
    totals = publication.statement_totals(statement)
    assert totals == {
        "income": D("1500000.00"),
        "expenditure": D("950000.50"),
        "balance": D("549999.50"),
    }
    assert not publication.published_statements(cast.alpha.pk).exists()
    publication.income_statement_publish(actor=cast.director_a, statement_id=statement.pk)
    assert list(publication.published_statements(cast.alpha.pk)) == [statement]
    with pytest.raises(Conflict):
        publication.income_statement_save(
            actor=cast.director_a,
            community_id=cast.alpha.pk,
            period="2026-H1",
            lines=[("income", "x", "1")],
        )


def test_income_statement_import_from_a_sheet_r_fee_6(cast):
    from propdesk.imports.tables import xlsx_bytes

    sheet = xlsx_bytes(
        ["收支", "科目", "金额"],
        [["收入", "物业服务费", "1000.00"], ["支出", "绿化养护", "250.00"]],
        title="收支",
    )
    statement = publication.income_statement_import(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        period="2026-11",
        filename="s.xlsx",
        content=sheet,
    )
    assert [(line.kind, line.category, line.amount) for line in statement.lines.all()] == [
        ("expenditure", "绿化养护", D("250.00")),
        ("income", "物业服务费", D("1000.00")),
    ]


def test_income_statement_bad_input_refused_and_nothing_written_r_fee_6(cast):
    from propdesk.imports.tables import xlsx_bytes

    tables = ("billing.IncomeStatement", "billing.IncomeStatementLine")
    before = row_counts(*tables)
    with pytest.raises(Invalid) as negative:
        publication.income_statement_save(
            actor=cast.director_a,
            community_id=cast.alpha.pk,
            period="2026",
            lines=[("income", "物业费", "-1")],
        )
    assert "lines.0.amount" in negative.value.errors
    with pytest.raises(Invalid):
        publication.income_statement_save(
            actor=cast.director_a,
            community_id=cast.alpha.pk,
            period="26年",
            lines=[("income", "x", "1")],
        )
    bad_sheet = xlsx_bytes(["收支", "科目", "金额"], [["收入", "物业服务费", "abc"]], title="x")
    with pytest.raises(Invalid) as bad:
        publication.income_statement_import(
            actor=cast.director_a,
            community_id=cast.alpha.pk,
            period="2026",
            filename="s.xlsx",
            content=bad_sheet,
        )
    assert list(bad.value.errors) == ["第 2 行 amount"]
    with pytest.raises(Forbidden):
        publication.income_statement_save(
            actor=cast.cashier_a,
            community_id=cast.alpha.pk,
            period="2026",
            lines=[("income", "x", "1")],
        )
    assert row_counts(*tables) == before
    assert not IncomeStatement.objects.exists()
    assert not IncomeStatementLine.objects.exists()
