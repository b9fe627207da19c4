"""Console of arrears and collection: the authorization matrix of every page, the
collectors' forms, the exports and the legal file (R-FEE-3..6)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from propdesk.billing import dunning, publication, services
from propdesk.billing.models import ContactLog, DunningLetter, IncomeStatement, PaymentPlan
from propdesk.billing.seeds import seed_community
from propdesk.testing.counts import row_counts

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
WRITES = (
    "billing.ContactLog",
    "billing.PaymentPlan",
    "billing.DunningLetter",
    "billing.DunningStep",
    "billing.DunningCase",
    "billing.IncomeStatement",
    "billing.CollectionPolicy",
)


@pytest.fixture
def world(cast):
    """Alpha's 1-1-101 owes 100 since 60 days ago and is on the ladder; a statement exists."""
    seed_community(cast.alpha.pk)
    seed_community(cast.beta.pk)
    today = timezone.localdate()
    from propdesk.billing.models import FeeItem

    item = FeeItem.objects.get(community=cast.alpha, code="management")
    due = today - dt.timedelta(days=60)
    services.charge_post(
        actor=cast.admin,
        house_id=cast.house_a1.pk,
        fee_item_id=item.pk,
        amount="100.00",
        reference="old",
        due=due,
        now=dt.datetime.combine(due, dt.time(10), tzinfo=SH),
    )
    # Reminders by phone here, so today's step waits on the worklist for a collector.
    dunning.dunning_step_set(
        actor=cast.admin, community_id=cast.alpha.pk, order=1, action="reminder", wait_days=15
    )
    dunning.dunning_run(community_id=cast.alpha.pk, today=today)
    case = dunning.cases_visible_to(cast.admin).get(house=cast.house_a1)
    statement = publication.income_statement_save(
        actor=cast.director_a,
        community_id=cast.alpha.pk,
        period="2026",
        lines=[("income", "物业服务费", "100.00")],
    )
    letter = dunning.dunning_letter_create(actor=cast.cashier_a, case_id=case.pk)
    return {"case": case, "statement": statement, "letter": letter}


def pages(world, cast):
    return [
        reverse("console:collection:worklist"),
        reverse("console:collection:arrears"),
        reverse("console:collection:arrears") + "?level=house",
        reverse("console:collection:arrears") + f"?building={cast.building_a.pk}",
        reverse("console:collection:rate"),
        reverse("console:collection:house", args=[cast.house_a1.pk]),
        reverse("console:collection:letter-pdf", args=[world["letter"].pk]),
        reverse("console:collection:legal"),
        reverse("console:collection:steps"),
        reverse("console:collection:statements"),
        reverse("console:collection:statement", args=[world["statement"].pk]),
    ]


def test_every_page_answers_staff_with_billing_view(client, cast, world):
    for user in (cast.cashier_a, cast.director_a, cast.desk_a):
        client.force_login(user)
        for url in pages(world, cast):
            response = client.get(url)
            assert response.status_code == 200, (user, url)


def test_pages_refuse_anonymous_owners_and_staff_without_billing_view(client, cast, world):
    urls = pages(world, cast)
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    for user, expected in ((cast.owner_alice, 403), (cast.tech_a, 403)):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == expected, (user, url)


def test_staff_of_another_community_sees_none_of_its_houses(client, cast, world):
    client.force_login(cast.desk_b)
    for url in (
        reverse("console:collection:house", args=[cast.house_a1.pk]),
        reverse("console:collection:letter-pdf", args=[world["letter"].pk]),
        reverse("console:collection:statement", args=[world["statement"].pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.get(reverse("console:collection:arrears"))
    assert "1-1-101" not in response.content.decode()


def test_worklist_lists_the_due_reminder_and_the_arrears_chart_is_svg(client, cast, world):
    client.force_login(cast.cashier_a)
    body = client.get(reverse("console:collection:worklist")).content.decode()
    assert "1-1-101" in body
    assert "电话或短信提醒欠费金额" in body
    arrears = client.get(reverse("console:collection:arrears") + "?level=house").content.decode()
    assert "<svg" in arrears
    assert "100.00" in arrears
    rate = client.get(reverse("console:collection:rate")).content.decode()
    assert "<svg" in rate


def test_reports_export_to_excel(client, cast, world):
    client.force_login(cast.director_a)
    for url in (
        reverse("console:collection:arrears") + "?format=xlsx",
        reverse("console:collection:rate") + "?format=xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert response.content.startswith(b"PK")


def test_collector_logs_a_contact_and_sends_the_letter_r_fee_4(client, cast, world):
    client.force_login(cast.cashier_a)
    url = reverse("console:collection:house", args=[cast.house_a1.pk])
    client.post(url, {"action": "contact", "how": "visit", "answer": "refused", "note": "敲门无人"})
    assert ContactLog.objects.filter(how="visit", note="敲门无人", actor=cast.cashier_a).exists()
    before = row_counts(*WRITES)
    response = client.post(
        url,
        {"action": "letter_send", "letter": world["letter"].pk, "express_company": "EMS"},
        follow=True,
    )
    assert "tracking_number" in response.content.decode()
    assert row_counts(*WRITES) == before
    client.post(
        url,
        {
            "action": "letter_send",
            "letter": world["letter"].pk,
            "express_company": "EMS",
            "tracking_number": "EA0001CN",
        },
    )
    assert DunningLetter.objects.get(pk=world["letter"].pk).tracking_number == "EA0001CN"


def test_payment_plan_started_and_stopped_from_the_house_page(client, cast, world):
    client.force_login(cast.cashier_a)
    url = reverse("console:collection:house", args=[cast.house_a1.pk])
    day = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    client.post(url, {"action": "plan_start", "due": [day, ""], "amount": ["60.00", ""]})
    plan = PaymentPlan.objects.get()
    assert plan.total == 60
    client.post(url, {"action": "plan_stop", "plan": plan.pk, "reason": "不再履行"})
    plan.refresh_from_db()
    assert plan.state == "stopped"


def test_viewers_cannot_act_and_nothing_is_written(client, cast, world):
    """The director sees but does not collect; the cashier collects but does not configure."""
    url = reverse("console:collection:house", args=[cast.house_a1.pk])
    before = row_counts(*WRITES)
    client.force_login(cast.director_a)
    response = client.post(url, {"action": "contact", "how": "phone", "answer": "refused"})
    assert response.status_code == 403
    client.force_login(cast.desk_a)
    assert (
        client.post(url, {"action": "contact", "how": "phone", "answer": "refused"}).status_code
        == 403
    )
    client.force_login(cast.cashier_a)
    step = {"order": "5", "step_action": "visit", "wait_days": "10", "min_overdue": "0"}
    assert client.post(reverse("console:collection:steps"), step).status_code == 403
    publish = reverse("console:collection:statement", args=[world["statement"].pk])
    assert client.post(publish).status_code == 403
    assert client.post(reverse("console:collection:run")).status_code == 403
    assert row_counts(*WRITES) == before
    assert IncomeStatement.objects.get().published_at is None


def test_manager_configures_the_ladder_and_publishes_r_fee_6(client, cast, world):
    client.force_login(cast.director_a)
    client.post(
        reverse("console:collection:steps"),
        {
            "order": "5",
            "step_action": "visit",
            "wait_days": "10",
            "min_overdue": "0",
            "is_active": "on",
        },
    )
    assert dunning.ladder(cast.alpha.pk)[-1].order == 5
    client.post(
        reverse("console:collection:steps"),
        {"action": "policy", "service_contract_ref": "WY-2020-018"},
    )
    client.post(
        reverse("console:collection:statements"),
        {"period": "2026-Q1", "lines": "收入, 物业服务费, 300.00\n支出，保洁，120.50"},
    )
    statement = IncomeStatement.objects.get(period="2026-Q1")
    assert publication.statement_totals(statement)["balance"] == 179.5
    client.post(reverse("console:collection:statement", args=[statement.pk]))
    statement.refresh_from_db()
    assert statement.published_by == cast.director_a


def test_legal_file_downloads_as_zip_r_fee_5(client, cast, world):
    client.force_login(cast.cashier_a)
    response = client.post(reverse("console:collection:legal"), {"house": [cast.house_a1.pk]})
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == ["A-1-1-101.pdf", "legal-file.xlsx"]
    response = client.post(reverse("console:collection:legal"), {"house": [cast.house_b1.pk]})
    assert response.status_code == 302  # refused with a message, nothing sent


def test_worklist_query_count_does_not_grow_with_cases(
    client, cast, world, django_assert_max_num_queries
):
    client.force_login(cast.cashier_a)
    client.get(reverse("console:collection:worklist"))
    with django_assert_max_num_queries(14):
        client.get(reverse("console:collection:worklist"))
