"""The billing scenarios run on a tiny dataset (no timings are asserted)."""

from __future__ import annotations

import pytest

from benchmarks import generate as gen
from benchmarks import harness
from benchmarks.scenarios import billing as scenarios


@pytest.mark.django_db(transaction=True)
def test_billing_scenarios_run_on_a_tiny_dataset(settings, monkeypatch):
    from propdesk.billing.models import Bill, Payment
    from propdesk.billing.reconcile import mismatches

    monkeypatch.setattr(scenarios, "ARREARS_HOUSES", 200)
    monkeypatch.setattr(scenarios, "ARREARS_MONTHS", 3)
    params = gen.Params(communities=2, houses=120, customers=200, seed="billing-test")
    gen.generate(params, say=lambda _m: None)
    registry = harness.load_scenarios()
    ctx = harness.Context(scale="small", dataset="tiny", params=params)
    names = ["billing.run", "billing.arrears_report", "payment.post"]
    tiny = {
        n: harness.Scenario(**{**registry[n].__dict__, "small_runs": 3, "warmup": 1})
        for n in [*names, "floor.view", "floor.select"]
    }
    rows = {r["scenario"]: r for r in harness.run(tiny, names, ctx, say=lambda _m: None)}
    for name in names:
        assert rows[name]["status"] == "ok", rows[name]
    # 120 houses less the unsold ones, three fee items each. The arrears community's own
    # months end with the current one, which may be RUN_PERIOD itself: not counted here.
    billed = (
        Bill.objects.filter(period=scenarios.RUN_PERIOD)
        .exclude(community__code=scenarios.ARREARS_CODE)
        .count()
    )
    assert rows["billing.run"]["throughput_per_s"] > 0
    assert billed % 3 == 0
    assert 300 <= billed <= 360
    assert Payment.objects.count() == 4  # warm-up + 3 runs
    assert list(mismatches()) == []
    # The next invocation bills the next month, and reuses the dataset: the arrears
    # community belongs to another company than the generated group.
    assert scenarios.next_period(1) == "2027-01"
    assert gen.dataset_matches(params)
