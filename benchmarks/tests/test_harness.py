"""The harness: registry, BENCH_ONLY selection, the JSON's documented keys, floors."""

from __future__ import annotations

import json

import pytest

from benchmarks import generate as gen
from benchmarks import harness

DOCUMENTED_KEYS = {
    "scenario",
    "dataset",
    "runs",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "throughput_per_s",
    "floor_ratio",
}


def _fake_registry() -> dict[str, harness.Scenario]:
    def fast(_ctx):
        return lambda i: sum(range(50))

    def slow(_ctx):
        return lambda i: sum(range(5_000))

    def batch(_ctx):
        return lambda i: 1_000

    def skipped(_ctx):
        raise harness.Skip("not built yet")

    def broken(_ctx):
        def call(i):
            raise RuntimeError("boom")

        return call

    def make(name, setup, **kw):
        return harness.Scenario(name=name, setup=setup, description=name, small_runs=20, **kw)

    return {
        "floor.fake": make("floor.fake", fast, requires="none"),
        "search.alpha": make("search.alpha", slow, floor="floor.fake", requires="none"),
        "search.beta": make("search.beta", slow, floor="floor.fake", requires="none"),
        "import.rows": make("import.rows", batch, kind="batch", requires="none"),
        "todo.skipped": make("todo.skipped", skipped, requires="none"),
        "todo.broken": make("todo.broken", broken, requires="none"),
    }


def _ctx() -> harness.Context:
    return harness.Context(scale="small", dataset="fake", params=None)


def test_bench_only_selects_by_substring():
    names = _fake_registry()
    assert harness.select(names, "search.") == ["search.alpha", "search.beta"]
    assert harness.select(names, "alpha,import") == ["import.rows", "search.alpha"]
    assert harness.select(names, "") == sorted(names)
    assert harness.select(names, "nothing-matches") == []


def test_only_selected_scenarios_are_reported_but_their_floor_is_measured():
    rows = harness.run(_fake_registry(), ["search.alpha"], _ctx(), say=lambda _m: None)
    assert [r["scenario"] for r in rows] == ["search.alpha"]
    assert rows[0]["floor_ratio"] is not None
    assert rows[0]["floor_ratio"] > 0


def test_results_json_has_the_documented_keys(tmp_path):
    registry = _fake_registry()
    rows = harness.run(registry, sorted(registry), _ctx(), say=lambda _m: None)
    latest, copy = harness.write_results(rows, tmp_path)
    data = json.loads(latest.read_text(encoding="utf-8"))
    assert json.loads(copy.read_text(encoding="utf-8")) == data
    assert isinstance(data, list)
    assert {r["scenario"] for r in data} == set(registry)
    for row in data:
        assert set(row) >= DOCUMENTED_KEYS
    by_name = {r["scenario"]: r for r in data}
    ok = by_name["search.alpha"]
    assert ok["status"] == "ok"
    assert ok["runs"] == 20
    assert ok["p50_ms"] <= ok["p95_ms"] <= ok["p99_ms"]
    assert ok["throughput_per_s"] > 0
    batch = by_name["import.rows"]
    assert batch["runs"] == 1
    assert batch["p50_ms"] == batch["p95_ms"] == batch["p99_ms"]
    assert by_name["floor.fake"]["floor_ratio"] is None
    assert by_name["todo.skipped"]["status"] == "skipped"
    assert by_name["todo.skipped"]["reason"] == "not built yet"
    assert by_name["todo.broken"]["status"] == "error"
    assert "boom" in by_name["todo.broken"]["reason"]


def test_a_batch_reporting_its_own_latencies_is_compared_with_its_floor():
    def own(_ctx):
        return lambda i: {
            "runs": 40,
            "p50_ms": 4.0,
            "p95_ms": 6.0,
            "p99_ms": 9.0,
            "throughput_per_s": 250.0,
        }

    registry = _fake_registry()
    registry["case.own"] = harness.Scenario(
        name="case.own",
        setup=own,
        description="",
        kind="batch",
        floor="floor.fake",
        requires="none",
    )
    [row] = harness.run(registry, ["case.own"], _ctx(), say=lambda _m: None)
    assert (row["runs"], row["p95_ms"], row["throughput_per_s"]) == (40, 6.0, 250.0)
    assert row["floor_ratio"] is not None
    assert row["floor_ratio"] > 1  # 4 ms against a floor of microseconds


def test_the_table_lists_every_scenario():
    registry = _fake_registry()
    rows = harness.run(registry, sorted(registry), _ctx(), say=lambda _m: None)
    table = harness.format_table(rows)
    for name in registry:
        assert name in table
    assert "skipped: not built yet" in table


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert harness.percentile(values, 50) == 50.0
    assert harness.percentile(values, 95) == 95.0
    assert harness.percentile(values, 99) == 99.0
    assert harness.percentile([7.0], 99) == 7.0


def test_registry_names_the_scenarios_of_issue_3():
    registry = harness.load_scenarios()
    for name in (
        "floor.view",
        "floor.select",
        "search.house_label",
        "search.pinyin_initials",
        "search.plate",
        "search.id_number",
        "search.one_community.house_label",
        "search.one_community.plate",
        "customer.page",
        "customer.list",
        "import.customers_10k",
    ):
        assert name in registry
    assert registry["customer.page"].floor == "floor.view"
    assert registry["search.name"].floor == "floor.select"


@pytest.mark.django_db(transaction=True)
def test_real_scenarios_run_on_a_tiny_dataset(settings):
    settings.ROOT_URLCONF = "benchmarks.urls"
    params = gen.Params(communities=2, houses=120, customers=300, seed="harness-test")
    gen.generate(params, say=lambda _m: None)
    registry = harness.load_scenarios()
    ctx = harness.Context(scale="small", dataset="tiny", params=params)
    names = ["customer.list", "customer.page", "floor.view", "search.name"]
    small = {
        n: harness.Scenario(**{**registry[n].__dict__, "small_runs": 3, "warmup": 1})
        for n in [*names, "floor.select"]
    }
    rows = {r["scenario"]: r for r in harness.run(small, names, ctx, say=lambda _m: None)}
    for name in ("customer.list", "customer.page", "floor.view"):
        assert rows[name]["status"] == "ok", rows[name]
    assert rows["customer.page"]["floor_ratio"] is not None
    # Search runs once propdesk.customers.search exists; until then it says why it skipped.
    assert rows["search.name"]["status"] in {"ok", "skipped"}, rows["search.name"]


@pytest.mark.django_db(transaction=True)
def test_the_import_file_passes_the_import_check():
    from benchmarks.scenarios.imports import customers_csv
    from propdesk.imports.models import ImportKind, ImportState
    from propdesk.imports.services import import_run

    params = gen.Params(communities=1, houses=20, customers=40, seed="import-test")
    gen.generate(params, say=lambda _m: None)
    ctx = harness.Context(scale="small", dataset="tiny", params=params)
    job = import_run(
        actor=ctx.user,
        community_id=1,
        kind=ImportKind.CUSTOMERS,
        filename="bench.csv",
        content=customers_csv(ctx, rows=15),
        dry_run=True,
    )
    assert job.errors == []
    assert job.state == ImportState.READY
