"""Service-desk console: authorization matrix, intake, actions from the table, PDF."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from propdesk.servicedesk import services
from propdesk.servicedesk.models import Case, CaseEvent, Category
from propdesk.testing.cast import PASSWORD
from propdesk.testing.counts import row_counts


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def make_case(cast, **extra):
    data = {
        "actor": cast.desk_a,
        "community_id": cast.alpha.pk,
        "kind": "repair",
        "channel": "phone",
        "description": "客厅灯不亮",
        "house_id": cast.house_a1.pk,
        "customer_id": cast.alice.pk,
        "category_id": Category.objects.get(company=None, code="electrical.lamp").pk,
    }
    data.update(extra)
    return services.case_create(**data)


PAGES = [
    ("console:servicedesk:queue", False),
    ("console:servicedesk:intake", False),
    ("console:servicedesk:jobs", False),
    ("console:servicedesk:visits", False),
    ("console:servicedesk:visit-summary", False),
    ("console:servicedesk:case", True),
    ("console:servicedesk:job", True),
    ("console:servicedesk:work-order", True),
]


def url(name, with_case, case):
    return reverse(name, args=[case.pk]) if with_case else reverse(name)


def test_authorization_matrix_of_every_service_desk_page(client, cast):
    case = make_case(cast)
    for name, with_case in PAGES:
        target = url(name, with_case, case)
        response = client.get(target)
        assert response.status_code == 302, target  # anonymous → login
        assert reverse("console:login") in response["Location"]
    login(client, cast.owner_alice)
    for name, with_case in PAGES:
        assert client.get(url(name, with_case, case)).status_code == 403, name
    client.logout()
    login(client, cast.desk_b)
    for name, with_case in PAGES:
        if with_case:
            assert client.get(url(name, with_case, case)).status_code == 404, name
    assert case.number not in client.get(reverse("console:servicedesk:queue")).content.decode()
    client.logout()
    login(client, cast.cashier_a)  # staff without the service-desk capabilities
    assert client.get(reverse("console:servicedesk:queue")).status_code == 403
    assert client.get(reverse("console:servicedesk:intake")).status_code == 403
    assert client.get(reverse("console:servicedesk:case", args=[case.pk])).status_code == 404
    client.logout()
    login(client, cast.desk_a)
    session = client.session
    session["propdesk.community_id"] = cast.alpha.pk
    session.save()
    for name, with_case in PAGES:
        assert client.get(url(name, with_case, case)).status_code == 200, name


def test_denied_action_posts_change_nothing(client, cast):
    case = make_case(cast)
    before = row_counts()
    login(client, cast.desk_b)
    act = reverse("console:servicedesk:act", args=[case.pk, "cancel"])
    assert client.post(act, {"reason": "x"}).status_code == 404
    client.logout()
    login(client, cast.tech_a)
    assert client.post(act, {"reason": "x"}).status_code == 403
    assert row_counts() == before


def test_intake_on_one_screen_creates_the_case_and_opens_it(client, cast):
    login(client, cast.desk_a)
    page = client.get(reverse("console:servicedesk:intake"), {"customer": cast.alice.pk})
    assert cast.house_a1.label in page.content.decode()
    response = client.post(
        reverse("console:servicedesk:intake"),
        {
            "kind": "repair",
            "channel": "phone",
            "customer_id": cast.alice.pk,
            "house_id": cast.house_a1.pk,
            "category_id": Category.objects.get(company=None, code="water.tap").pk,
            "description": "厨房龙头滴水",
            "priority": "normal",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:servicedesk:case", args=[case.pk])
    assert case.customer == cast.alice


def test_intake_errors_name_the_fields_in_chinese_and_write_nothing(client, cast):
    login(client, cast.desk_a)
    before = row_counts()
    response = client.post(
        reverse("console:servicedesk:intake"),
        {"kind": "repair", "channel": "phone", "description": "", "priority": "normal"},
    )
    assert response.status_code == 200
    assert "此字段为必填项" in response.content.decode() or "必填" in response.content.decode()
    assert row_counts() == before


def test_case_page_renders_only_the_allowed_actions(client, cast):
    case = make_case(cast)
    login(client, cast.desk_a)
    page = client.get(reverse("console:servicedesk:case", args=[case.pk])).content.decode()
    assert 'data-action="dispatch"' in page
    assert 'data-action="cancel"' in page
    assert 'data-action="close"' not in page
    assert 'data-action="complete"' not in page


def test_dispatch_from_the_case_page_and_conflict_when_repeated(client, cast):
    case = make_case(cast)
    login(client, cast.maint_head_a)
    start = timezone.localtime(timezone.now() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    body = {
        "department_id": cast.maint_dept_a.pk,
        "assignee_id": cast.tech_a.pk,
        "appointment_start": start,
    }
    act = reverse("console:servicedesk:act", args=[case.pk, "dispatch"])
    assert client.post(act, body).status_code == 302
    case.refresh_from_db()
    assert case.assignee == cast.tech_a
    again = client.post(act, body)
    assert again.status_code == 409
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


def test_bad_action_input_is_shown_on_the_form(client, cast):
    case = make_case(cast)
    login(client, cast.maint_head_a)
    response = client.post(
        reverse("console:servicedesk:act", args=[case.pk, "cancel"]), {"reason": ""}
    )
    assert response.status_code == 400
    assert 'class="fld has-error"' in response.content.decode()


def test_script_in_a_description_is_shown_as_text(client, cast):
    case = make_case(cast, description="<script>alert('x')</script>")
    login(client, cast.desk_a)
    page = client.get(reverse("console:servicedesk:case", args=[case.pk])).content.decode()
    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;" in page


def test_queue_and_case_page_query_counts_are_pinned(client, cast, django_assert_max_num_queries):
    for _ in range(10):
        make_case(cast)
    login(client, cast.desk_a)
    client.get(reverse("console:servicedesk:queue"))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("console:servicedesk:queue")).status_code == 200
    case = Case.objects.first()
    client.get(reverse("console:servicedesk:case", args=[case.pk]))
    with django_assert_max_num_queries(17):
        assert client.get(reverse("console:servicedesk:case", args=[case.pk])).status_code == 200


def test_queue_rows_link_each_case_and_show_its_times_in_the_communitys_zone(client, cast):
    received = dt.datetime(2026, 11, 20, 23, 50, tzinfo=dt.UTC)  # 11-21 07:50 in Shanghai
    case = make_case(cast, now=received)
    Case.objects.filter(pk=case.pk).update(due_at=received + dt.timedelta(hours=1))
    login(client, cast.desk_a)
    page = client.get(reverse("console:servicedesk:queue") + "?queue=all").content.decode()
    link = reverse("console:servicedesk:case", args=[case.pk])
    assert f'<a href="{link}">{case.number}</a>' in page
    assert "<td>11-21 07:50</td>" in page
    assert '<span class="error">11-21 08:50</span>' in page  # past due: marked
    assert "<button>筛选</button>" in page  # the verb, not the admin's noun 过滤器


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)
def test_work_order_pdf_carries_the_chinese_form_and_the_case(client, cast, tmp_path):
    case = make_case(cast)
    login(client, cast.desk_a)
    response = client.get(reverse("console:servicedesk:work-order", args=[case.pk]))
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "wo.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(  # noqa: S603 - a fixed tool on a file the test wrote
        [shutil.which("pdftotext") or "pdftotext", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "业主报修处理登记表" in text
    assert case.number in text
    assert "客厅灯不亮" in text
