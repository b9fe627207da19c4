"""The billing demo: fourteen months of runs, payments of every kind, every arrears bucket."""

from __future__ import annotations

import io

from django.core.management import call_command

from propdesk.accounts.models import User
from propdesk.billing.models import Account, Bill, BillingRun, Payment, Receipt
from propdesk.billing.reconcile import mismatches
from propdesk.billing.reports import arrears_by_age
from propdesk.estates.models import Community
from propdesk.servicedesk.models import ChargeRequest, ChargeState


def test_demo_bills_fourteen_months_and_fills_every_arrears_bucket(db):
    out = io.StringIO()
    call_command("demo", stdout=out, scale=0.1)
    assert "billing: 14 monthly runs" in out.getvalue()
    main = Community.objects.get(code="CHHY")
    assert BillingRun.objects.filter(community=main, state="done").count() == 14
    assert Bill.objects.filter(community=main).count() > 1000
    report = arrears_by_age(User.objects.get(username="director"), community_id=main.pk)
    assert all(amount > 0 for amount in report.total.buckets()), report.total
    assert Account.objects.filter(community=main, credit__gt=0).exists()  # prepaid
    assert Account.objects.filter(house__status="custody", due__gt=0).exists()
    assert Payment.objects.filter(channel="online").exists()
    assert Payment.objects.filter(purpose="deposit").exists()
    assert Receipt.objects.count() == Payment.objects.count()
    assert not ChargeRequest.objects.filter(state=ChargeState.PENDING, house__isnull=False).exists()
    assert list(mismatches()) == []
    # The demo's cashier and director log in (printed by --print-logins).
    logins = io.StringIO()
    call_command("demo", print_logins=True, stdout=logins)
    assert "cashier" in logins.getvalue()
    assert "director" in logins.getvalue()
