"""Billing is scoped by `community_filter` (accounts.selectors): staff of Alpha find
nothing of Beta, and the company's all-communities administrator nothing of another
company's community γ, in every list, report, single-record read and service.

The rows of γ are written by a superuser, who sees every company."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from propdesk.accounts.models import User, UserKind
from propdesk.accounts.roles import Role
from propdesk.billing import dunning, legal, publication, reports, selectors, services
from propdesk.billing.models import DunningCase, FeeItem
from propdesk.billing.seeds import seed_community
from propdesk.billing.tests.conftest import at
from propdesk.core.errors import Invalid, NotFound
from propdesk.testing.cast import _staff, other_company

DUE = dt.date(2026, 1, 1)
TODAY = dt.date(2026, 1, 16)  # the first rung of the default ladder is due


@pytest.fixture
def spread(cast, fees):
    """In each of Alpha, Beta and γ (another company): a bill, a payment with its
    receipt, a billing run, an income statement, a dunning case, a payment plan
    and a letter, all of house 1-1-101."""
    gamma, home = other_company()
    seed_community(gamma.pk)
    root = User.objects.create_superuser(username="root", password="x", kind=UserKind.STAFF)
    made: dict[str, dict[int, Any]] = {}

    def keep(kind: str, row: Any) -> None:
        made.setdefault(kind, {})[row.community_id] = row

    for house in (cast.house_a1, cast.house_b1, home):
        community_id = house.community_id
        item = FeeItem.objects.get(community_id=community_id, code="management")
        keep("fee_item", item)
        keep(
            "bill",
            services.charge_post(
                actor=root,
                house_id=house.pk,
                fee_item_id=item.pk,
                amount="100.00",
                reference="2026-01",
                due=DUE,
                now=at(DUE),
            ),
        )
        payment, _replayed = services.payment_post(
            actor=root,
            house_id=house.pk,
            amount="40.00",
            method="cash",
            idempotency_key=f"scope-{house.pk}",
            now=at(dt.date(2026, 1, 5)),
        )
        keep("payment", payment)
        keep("receipt", payment.receipt)
        keep(
            "run",
            services.billing_run_start(
                actor=root, community_id=community_id, period="2026-02", execute=False, now=at(DUE)
            ),
        )
        keep(
            "statement",
            publication.income_statement_save(
                actor=root,
                community_id=community_id,
                period="2025-H2",
                lines=[("income", "物业服务费", "1000.00")],
            ),
        )
        dunning.dunning_run(community_id=community_id, today=TODAY, now=at(TODAY, 2))
        case = DunningCase.objects.get(house=house)
        keep("case", case)
        keep(
            "letter",
            dunning.dunning_letter_create(actor=root, case_id=case.pk, now=at(TODAY)),
        )
        keep(
            "plan",
            dunning.payment_plan_start(
                actor=root,
                house_id=house.pk,
                instalments=[("2026-02-01", "50.00")],
                now=at(TODAY),
            ),
        )
    return gamma, home, root, made


def _communities(rows: Any) -> set[int]:
    return {row.community_id for row in rows}


LISTS = {
    "fee_items": selectors.fee_items_visible_to,
    "standards": selectors.standards_visible_to,
    "runs": selectors.runs_visible_to,
    "rules": selectors.rules_visible_to,
    "payments": selectors.payments_visible_to,
    "bills": selectors.bills_visible_to,
    "statements": publication.statements_visible_to,
    "dunning_cases": dunning.cases_visible_to,
}


@pytest.mark.parametrize("name", list(LISTS))
def test_lists_show_the_users_communities_and_never_another_companys(cast, spread, name):
    gamma, _home, root, _made = spread
    listed = LISTS[name]
    alpha, beta = cast.alpha.pk, cast.beta.pk
    assert _communities(listed(cast.cashier_a)) == {alpha}
    assert _communities(listed(cast.admin)) == {alpha, beta}
    assert _communities(listed(root)) == {alpha, beta, gamma.pk}
    # A chosen community: the user's own, or nothing; 0 still means every community.
    assert _communities(listed(cast.admin, community_id=beta)) == {beta}
    assert _communities(listed(cast.admin, community_id=0)) == {alpha, beta}
    assert not listed(cast.admin, community_id=gamma.pk).exists()
    assert not listed(cast.cashier_a, community_id=beta).exists()


def _reads(user: Any, made: dict[str, dict[int, Any]], community_id: int) -> dict[str, Any]:
    """Every single-record read and write of billing, aimed at `community_id`'s rows."""

    def row(kind: str) -> Any:
        return made[kind][community_id]

    return {
        "bill_get_for_user": lambda: selectors.bill_get_for_user(user, row("bill").pk),
        "run_get_for_user": lambda: selectors.run_get_for_user(user, row("run").pk),
        "payment_get_for_user": lambda: selectors.payment_get_for_user(user, row("payment").pk),
        "receipt_get_for_user": lambda: selectors.receipt_get_for_user(user, row("receipt").pk),
        "statement_get_for_user": lambda: publication.statement_get_for_user(
            user, row("statement").pk
        ),
        "letter_get_for_user": lambda: dunning.letter_get_for_user(user, row("letter").pk),
        "receipt_print": lambda: services.receipt_print(actor=user, receipt_id=row("receipt").pk),
        "price_standard_set (fee item)": lambda: services.price_standard_set(
            actor=user,
            fee_item_id=row("fee_item").pk,
            basis="area",
            unit_price="2.50",
            valid_from="2026-03-01",
        ),
        "billing_run_resume": lambda: services.billing_run_resume(actor=user, run_id=row("run").pk),
        "payment_void": lambda: services.payment_void(
            actor=user, payment_id=row("payment").pk, reason="x", approver=None
        ),
        "bill_waive": lambda: services.bill_waive(
            actor=user, bill_id=row("bill").pk, amount="1.00", reason="x", approver=None
        ),
        "income_statement_publish": lambda: publication.income_statement_publish(
            actor=user, statement_id=row("statement").pk
        ),
        "dunning_letter_create (case)": lambda: dunning.dunning_letter_create(
            actor=user, case_id=row("case").pk
        ),
        "dunning_letter_send": lambda: dunning.dunning_letter_send(
            actor=user, letter_id=row("letter").pk, express_company="EMS", tracking_number="E1"
        ),
        "payment_plan_stop": lambda: dunning.payment_plan_stop(
            actor=user, plan_id=row("plan").pk, reason="x"
        ),
    }


READS = list(_reads(None, {}, 0))


@pytest.fixture
def chief_a(cast):
    """Every billing permission, in Alpha only (the cashier may not manage, the director
    may not collect): what is refused is the scope, never the permission."""
    return _staff("chief_a", Role.COMPANY_ADMIN, cast.alpha, company=cast.company)


@pytest.mark.parametrize("name", READS)
def test_a_record_outside_the_scope_is_not_found(cast, spread, chief_a, name):
    """Alpha's staff do not find Beta's record, nor the company's administrator γ's;
    both are refused before anything is checked or written."""
    gamma, _home, _root, made = spread
    for user, outside in ((chief_a, cast.beta.pk), (cast.admin, gamma.pk)):
        with pytest.raises(NotFound):
            _reads(user, made, outside)[name]()


@pytest.mark.parametrize(
    "name",
    ["bill_get_for_user", "payment_get_for_user", "receipt_get_for_user", "letter_get_for_user"],
)
def test_a_record_inside_the_scope_is_found(cast, spread, name):
    _gamma, _home, _root, made = spread
    for user, inside in ((cast.cashier_a, cast.alpha.pk), (cast.admin, cast.beta.pk)):
        found = _reads(user, made, inside)[name]()
        assert found.community_id == inside


def test_arrears_of_houses_and_the_arrears_report_leave_other_companies_out(cast, spread):
    gamma, home, _root, _made = spread
    houses = [cast.house_a1.pk, cast.house_b1.pk, home.pk]
    assert set(selectors.house_arrears(cast.admin, houses, today=TODAY)) == {
        cast.house_a1.pk,
        cast.house_b1.pk,
    }
    assert set(selectors.house_arrears(cast.cashier_a, houses, today=TODAY)) == {cast.house_a1.pk}
    report = reports.arrears_by_age(cast.admin, as_of=TODAY)
    assert {row.key for row in report.rows} == {cast.alpha.pk, cast.beta.pk}
    with pytest.raises(NotFound):
        reports.arrears_by_age(cast.admin, community_id=gamma.pk, as_of=TODAY)


def test_a_legal_file_refuses_another_companys_house(cast, spread):
    _gamma, home, _root, _made = spread
    with pytest.raises(Invalid):
        legal.evidence(cast.admin, [cast.house_a1.pk, home.pk], as_of=TODAY)
    assert [e.house.pk for e in legal.evidence(cast.admin, [cast.house_b1.pk], as_of=TODAY)] == [
        cast.house_b1.pk
    ]
