"""Staff alerts in the console: the unread badge, the list, marking read."""

from __future__ import annotations

from propdesk.notify.models import StaffAlert


def _alert(cast, user, subject, **kw):
    return StaffAlert.objects.create(
        community=cast.alpha, user=user, subject=subject, body="正文", **kw
    )


def test_badge_counts_my_unread_alerts_only(client, cast):
    _alert(cast, cast.desk_a, "R-CMP-4 超时：TS26-00001", ref_type="servicedesk.case", ref_id="1")
    _alert(cast, cast.desk_a, "已读的提醒", read_at="2026-01-01T00:00:00Z")
    _alert(cast, cast.steward_a, "别人的提醒")
    client.force_login(cast.desk_a)
    page = client.get("/").content.decode()
    assert '<span class="badge">1</span>' in page
    listing = client.get("/outbox/alerts/?unread=1").content.decode()
    assert "R-CMP-4 超时" in listing
    assert "/cases/1/" in listing
    assert "别人的提醒" not in listing
    assert "已读的提醒" not in listing


def test_mark_read_one_and_all_touch_only_my_alerts(client, cast):
    mine = _alert(cast, cast.desk_a, "一")
    _alert(cast, cast.desk_a, "二")
    other = _alert(cast, cast.steward_a, "三")
    client.force_login(cast.desk_a)
    client.post("/outbox/alerts/read/", {"id": other.pk})
    other.refresh_from_db()
    assert other.read_at is None
    client.post("/outbox/alerts/read/", {"id": mine.pk})
    mine.refresh_from_db()
    assert mine.read_at is not None
    client.post("/outbox/alerts/read/", {"all": "1"})
    assert not StaffAlert.objects.filter(user=cast.desk_a, read_at__isnull=True).exists()
    assert StaffAlert.objects.filter(user=cast.steward_a, read_at__isnull=True).count() == 1
    assert '<span class="badge">' not in client.get("/").content.decode()


def test_mark_read_never_redirects_off_site(client, cast):
    alert = _alert(cast, cast.desk_a, "一")
    client.force_login(cast.desk_a)
    resp = client.post("/outbox/alerts/read/", {"id": alert.pk, "next": "https://evil.example/"})
    assert resp["Location"] == "/outbox/alerts/"
