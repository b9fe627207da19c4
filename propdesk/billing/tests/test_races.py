"""Races and faults on PostgreSQL: concurrent payments and notices, gapless receipts,
a billing run killed with SIGKILL and run again.

Each racing request runs in its own thread with its own database connection (Django
opens one per thread), released with `connection.close()`. SQLite serialises writers,
so there is no race to test there: these tests skip with that reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from propdesk.billing.gateway import FakeGateway, trade_no_make
from propdesk.billing.models import Bill, BillingRun, LedgerEntry, Payment, Receipt, RunState
from propdesk.billing.reconcile import mismatches
from propdesk.billing.seeds import seed_community
from propdesk.estates.models import House, HouseStatus

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
D = Decimal


def race(n: int, fn) -> list:
    """Run fn(i) in n threads released at once; returns the results in thread order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # reported, not lost in the thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_same_payment_submitted_50_times_at_once_posts_once(cast, on_postgres):
    seed_community(cast.alpha.pk)
    body = {"house": cast.house_a1.pk, "amount": "233.75", "method": "cash"}

    def submit(_i: int):
        response = client(cast.cashier_a).post(
            "/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-50"
        )
        return response.status_code, response.json()["id"], response["Idempotent-Replayed"]

    results = race(50, submit)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(code for code, _id, _r in results) == [200] * 49 + [201]
    assert {pid for _c, pid, _r in results} == {Payment.objects.get().pk}
    assert sorted(r for _c, _id, r in results) == ["false"] + ["true"] * 49
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert Receipt.objects.count() == 1
    assert list(mismatches()) == []


def test_gateway_notice_delivered_15_times_at_once_posts_once(cast, on_postgres, settings):
    seed_community(cast.alpha.pk)
    settings.BILLING_GATEWAY_FAKE_URL = ""
    fake = FakeGateway(secret="propdesk-fake-gateway-secret-development-only")
    no = trade_no_make(cast.house_a1.pk, cast.cashier_a.pk)

    def deliver(_i: int):
        headers, body = fake.notice_for(no, D("88.00"))  # each delivery freshly signed
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        response = APIClient().post(
            "/api/payments/notify/fake/", body, content_type="application/json", **meta
        )
        return response.status_code, response.content, response["X-PropDesk-Payment"]

    results = race(15, deliver)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1  # the same answer every time
    assert results[0][0] == 200
    payment = Payment.objects.get()
    assert results[0][2] == str(payment.pk)
    assert payment.amount == D("88.00")
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert list(mismatches()) == []


def test_twenty_concurrent_payments_get_twenty_consecutive_receipt_numbers(cast, on_postgres):
    seed_community(cast.alpha.pk)
    houses = House.objects.bulk_create(
        House(
            community=cast.alpha,
            building=cast.building_a,
            unit="2",
            room=f"{n}01",
            label=f"1-2-{n}01",
            floor=n,
            area=D("90.00"),
            status=HouseStatus.OCCUPIED,
        )
        for n in range(1, 21)
    )

    def submit(i: int):
        response = client(cast.cashier_a).post(
            "/api/payments/",
            {"house": houses[i].pk, "amount": f"{100 + i}.00", "method": "cash"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"receipt-race-{i}",
        )
        return response.status_code, response.json()["receipt"]["number"]

    results = race(20, submit)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {code for code, _n in results} == {201}
    seqs = sorted(Receipt.objects.filter(community=cast.alpha).values_list("seq", flat=True))
    assert seqs == list(range(1, 21))
    numbers = {number for _c, number in results}
    assert len(numbers) == 20
    assert {n.split("-")[1] for n in numbers} == {f"{s:06d}" for s in range(1, 21)}
    assert list(mismatches()) == []


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _billing_run(code: str, env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "billing", "run", code, "2026-11", "--chunk", "50"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_billing_run_killed_with_sigkill_then_rerun_equals_a_straight_run(cast, on_postgres):
    """The process is killed (SIGKILL: no cleanup, its open chunk rolls back with the
    connection) after its first chunk committed; running the command again resumes the
    stopped run and bills exactly what an uninterrupted run bills in an identical community."""
    from propdesk.accounts.models import User, UserKind

    seed_community(cast.alpha.pk)
    seed_community(cast.beta.pk)
    User.objects.create_superuser(username="root", password="x", kind=UserKind.STAFF)
    statuses = [HouseStatus.OCCUPIED] * 7 + [HouseStatus.CUSTODY, HouseStatus.VACANT]
    for community, building in ((cast.alpha, cast.building_a), (cast.beta, cast.building_b)):
        House.objects.bulk_create(
            House(
                community=community,
                building=building,
                unit=str(2 + n // 500),
                room=f"{n % 500 + 100}",
                label=f"1-{2 + n // 500}-{n % 500 + 100}",
                floor=1,
                area=D("80.00") + n % 37,
                status=statuses[n % len(statuses)],
            )
            for n in range(1500)
        )
    # Beta gets a twin of Alpha's second house (the first twin, 1-1-101, exists already).
    House.objects.create(
        community=cast.beta,
        building=cast.building_b,
        unit="1",
        room="102",
        label="1-1-102",
        floor=1,
        area=cast.house_a2.area,
        status=cast.house_a2.status,
    )
    env = {**os.environ, "DATABASE_URL": _database_url(), "PROPDESK_ENV": "test"}

    proc = _billing_run("A", env)
    deadline = time.monotonic() + 120
    killed = False
    while proc.poll() is None and time.monotonic() < deadline:
        if BillingRun.objects.filter(community=cast.alpha, houses_done__gt=0).exists():
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.005)
    proc.communicate(timeout=60)
    assert killed, "the run finished before it could be killed; give it more houses"
    assert proc.returncode == -signal.SIGKILL
    run = BillingRun.objects.get(community=cast.alpha)
    assert run.state == RunState.RUNNING  # nobody was left to mark it
    assert 0 < run.houses_done < run.houses_total
    billed_before = Bill.objects.filter(community=cast.alpha).count()
    assert billed_before > 0

    rerun = _billing_run("A", env)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert f"resuming run #{run.pk}" in out
    straight = _billing_run("B", env)
    _out, err = straight.communicate(timeout=300)
    assert straight.returncode == 0, err

    def bills(community):
        return sorted(
            Bill.objects.filter(community=community).values_list(
                "house__label", "fee_item__code", "amount", "note"
            )
        )

    assert len(bills(cast.alpha)) > billed_before
    assert bills(cast.alpha) == bills(cast.beta)
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert run.houses_done == run.houses_total
    assert BillingRun.objects.filter(community=cast.alpha).count() == 1
    assert list(mismatches()) == []
