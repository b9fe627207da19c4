"""Scenario modules: every module here registers its scenarios with
`benchmarks.harness.scenario`; `harness.load_scenarios()` imports them all.

Add a file `benchmarks/scenarios/<area>.py` to add scenarios (see search.py).
Import Django models inside the set-up functions, not at module level.
"""
