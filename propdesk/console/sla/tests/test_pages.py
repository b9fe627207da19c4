"""Deadline console: authorization matrix, customising and editing a policy, working
hours and dates, the compliance report and its Excel file, the home page's panel."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from propdesk.core.models import AuditEvent
from propdesk.servicedesk import services
from propdesk.servicedesk.models import Category
from propdesk.sla.models import CalendarOverride, CommunityHours, Policy
from propdesk.testing.cast import PASSWORD


def login(client, user, community=None):
    assert client.login(username=user.username, password=PASSWORD)
    if community is not None:
        session = client.session
        session["propdesk.community_id"] = community.pk
        session.save()
    return client


def default(code="R-CMP-4"):
    return Policy.objects.get(code=code, community__isnull=True)


def own_copy(cast, code="R-CMP-4"):
    from propdesk.sla.config import policy_customise

    return policy_customise(
        actor=cast.supervisor_a, community_id=cast.alpha.pk, policy_id=default(code).pk
    )


def complaint(cast, **extra):
    data = {
        "actor": cast.desk_a,
        "community_id": cast.alpha.pk,
        "kind": "complaint",
        "channel": "phone",
        "description": "楼道灯不亮没人管",
        "house_id": cast.house_a1.pk,
        "customer_id": cast.alice.pk,
        "category_id": Category.objects.get(company=None, kind="complaint", code="housing").pk,
        "severity": "ordinary",
    }
    data.update(extra)
    return services.case_create(**data)


def counts():
    return (
        Policy.objects.count(),
        CommunityHours.objects.count(),
        CalendarOverride.objects.count(),
        AuditEvent.objects.count(),
    )


GET_PAGES = ["policies", "calendar", "report", "report-xlsx"]


def test_authorization_matrix_of_the_deadline_pages(client, cast):
    copy = own_copy(cast)
    edit = reverse("console:sla:policy-edit", args=[copy.pk])
    pages = [reverse(f"console:sla:{name}") for name in GET_PAGES] + [edit]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert reverse("console:login") in response["Location"]
    login(client, cast.owner_alice)
    for url in pages:
        assert client.get(url).status_code == 403, url
    client.logout()
    login(client, cast.desk_b)  # another community: its policy does not exist
    assert client.get(edit).status_code == 404
    assert (
        client.get(reverse("console:sla:report"), {"community": cast.alpha.pk}).status_code == 404
    )
    client.logout()
    login(client, cast.tech_a)  # the community's technician: no right to any of it
    for url in pages:
        assert client.get(url).status_code == 403, url
    client.logout()
    login(client, cast.maint_head_a)  # reads compliance, configures nothing, exports nothing
    assert client.get(reverse("console:sla:report")).status_code == 200
    assert client.get(reverse("console:sla:report-xlsx")).status_code == 403
    assert client.get(reverse("console:sla:policies")).status_code == 403
    client.logout()
    login(client, cast.supervisor_a)
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_denied_posts_change_nothing(client, cast):
    copy = own_copy(cast)
    before = counts()
    posts = [
        (reverse("console:sla:policy-edit", args=[copy.pk]), {"name": "x", "target": "5"}),
        (reverse("console:sla:policy-customise", args=[default("R-REP-7").pk]), {}),
        (reverse("console:sla:hours"), {"intervals": "09:00-17:00"}),
        (reverse("console:sla:override-add"), {"date": "2026-10-09", "is_workday": "0"}),
    ]
    login(client, cast.desk_b)
    assert client.post(posts[0][0], posts[0][1]).status_code == 404
    client.logout()
    login(client, cast.tech_a)
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert counts() == before


def test_customise_from_the_page_then_edit_the_copy(client, cast):
    login(client, cast.supervisor_a)
    page = client.get(reverse("console:sla:policies")).content.decode()
    assert "为本小区定制" in page
    assert "不会改动正在计时的时限" in page  # running deadlines are not rewritten
    response = client.post(reverse("console:sla:policy-customise", args=[default().pk]))
    copy = Policy.objects.get(community=cast.alpha, code="R-CMP-4")
    assert response["Location"] == reverse("console:sla:policy-edit", args=[copy.pk])
    form = client.get(response["Location"]).content.decode()
    assert 'name="target" value="1"' in form  # 60 minutes shown as 1 hour
    assert '<option value="hours" selected>' in form
    response = client.post(
        response["Location"],
        {
            "name": "投诉半小时内转交",
            "target_kind": "duration",
            "target": "30",
            "target_unit": "minutes",
            "warn_ratio": "0.8",
            "escalate_to": ["director"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    copy.refresh_from_db()
    assert (copy.name, copy.target_minutes, copy.escalate_to) == (
        "投诉半小时内转交",
        30,
        ["director"],
    )
    page = client.get(reverse("console:sla:policies")).content.decode()
    assert "已由本小区的副本取代" in page
    # Customising again leads to the existing copy.
    again = client.post(reverse("console:sla:policy-customise", args=[default().pk]))
    assert again["Location"] == reverse("console:sla:policy-edit", args=[copy.pk])


def test_bad_policy_form_shows_the_errors_in_chinese_and_changes_nothing(client, cast):
    copy = own_copy(cast)
    before = counts()
    login(client, cast.supervisor_a)
    response = client.post(
        reverse("console:sla:policy-edit", args=[copy.pk]),
        {
            "name": "",
            "target_kind": "duration",
            "target": "-3",
            "target_unit": "hours",
            "warn_ratio": "2",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count('class="fld has-error"') >= 3
    assert "必填" in body
    assert counts() == before


def test_working_hours_and_a_date_from_the_calendar_page(client, cast):
    login(client, cast.supervisor_a)
    page = client.get(reverse("console:sla:calendar")).content.decode()
    assert "08:30-12:00" in page
    assert page.count('<td class="d-') == 60
    response = client.post(reverse("console:sla:hours"), {"intervals": "08:00-12:00\n13:00-17:30"})
    assert response.status_code == 302
    assert CommunityHours.objects.get(community=cast.alpha).intervals == [
        "08:00-12:00",
        "13:00-17:30",
    ]
    bad = client.post(reverse("console:sla:hours"), {"intervals": "08:00-12:00\n11:00-13:00"})
    assert bad.status_code == 400
    assert "重叠" in bad.content.decode()
    assert "11:00-13:00" in bad.content.decode()  # what was typed stays in the box
    day = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(
        reverse("console:sla:override-add"),
        {"date": day.isoformat(), "is_workday": "0", "note": "小区停水"},
    )
    assert response.status_code == 302
    row = CalendarOverride.objects.get(community=cast.alpha, date=day)
    page = client.get(reverse("console:sla:calendar")).content.decode()
    assert 'class="d-override_off"' in page
    assert "小区停水" in page
    # A supervisor may not set a date for every community.
    before = counts()
    assert (
        client.post(
            reverse("console:sla:override-add"),
            {"date": day.isoformat(), "is_workday": "0", "scope": "all"},
        ).status_code
        == 403
    )
    assert counts() == before
    client.post(reverse("console:sla:override-delete", args=[row.pk]))
    assert not CalendarOverride.objects.filter(pk=row.pk).exists()


def test_report_page_and_excel_file_show_the_figures(client, cast):
    now = timezone.now()
    late = complaint(cast, now=now - dt.timedelta(hours=5))
    services.case_forward(
        actor=cast.desk_a,
        case_id=late.pk,
        department_id=cast.maint_dept_a.pk,
        now=now - dt.timedelta(hours=3),
    )  # R-CMP-4: 1 hour late
    on_time = complaint(cast, now=now - dt.timedelta(hours=2))
    services.case_forward(
        actor=cast.desk_a,
        case_id=on_time.pk,
        department_id=cast.maint_dept_a.pk,
        now=now - dt.timedelta(hours=2) + dt.timedelta(minutes=10),
    )
    login(client, cast.supervisor_a)
    today = timezone.localdate()
    period = {"from": (today - dt.timedelta(days=1)).isoformat(), "to": today.isoformat()}
    page = client.get(reverse("console:sla:report"), period).content.decode()
    assert "R-CMP-4" in page
    assert "50.0%" in page
    assert "1小时" in page  # how late, median
    response = client.get(reverse("console:sla:report-xlsx"), period)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    cmp4 = next(r for r in rows if r[0] == "策略" and str(r[1]).startswith("R-CMP-4"))
    assert cmp4[2:8] == (1, 1, 0, 50.0, 60.0, 60.0)


def test_home_page_shows_deadlines_about_to_breach_to_supervisors_only(client, cast):
    case = complaint(cast, now=timezone.now() - dt.timedelta(minutes=30))
    login(client, cast.supervisor_a, cast.alpha)
    page = client.get(reverse("console:home")).content.decode()
    assert "即将超时" in page
    assert case.number in page
    client.logout()
    login(client, cast.desk_a, cast.alpha)
    page = client.get(reverse("console:home")).content.decode()
    assert "即将超时" not in page
    assert case.number not in page


def test_nav_shows_the_deadline_pages_by_capability(client, cast):
    login(client, cast.supervisor_a)
    page = client.get(reverse("console:home")).content.decode()
    assert reverse("console:sla:policies") in page
    assert reverse("console:sla:report") in page
    client.logout()
    login(client, cast.desk_a)
    page = client.get(reverse("console:home")).content.decode()
    assert reverse("console:sla:policies") not in page


@pytest.mark.parametrize("name", ["policies", "report"])
def test_deadline_pages_keep_their_query_count(client, cast, name, django_assert_max_num_queries):
    for _ in range(5):
        complaint(cast)
    own_copy(cast)
    login(client, cast.supervisor_a)
    client.get(reverse(f"console:sla:{name}"))
    with django_assert_max_num_queries(20):
        assert client.get(reverse(f"console:sla:{name}")).status_code == 200
