"""Connections and arcs kept on disk: a warm plan is the cold plan, and a bad entry is only a miss."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner import problem as problem_module
from planner.check import check_plan
from planner.cli import main
from planner.connections.store import CACHE_DIR_ENV, ConnectionStore, default_cache_dir
from planner.domain import Scenario
from planner.network import TransportNetwork
from planner.result import plan_json
from planner.scenario import events_from_data
from planner.solve import plan
from tests.conftest import SCENARIOS, counted_calls, load

THREE = SCENARIOS / "three-cities.yaml"
SOUTH = SCENARIOS / "south-loop.yaml"


def planned(
    scenario: Scenario, store: ConnectionStore | None, events: tuple[Any, ...] = ()
) -> dict[str, Any]:
    """The plan JSON, run times blanked (the only figures a store may change)."""
    network = TransportNetwork.build(scenario)
    overlay = network.overlay(events)
    problem, result = plan(scenario, network=network, overlay=overlay, store=store)
    data = plan_json(scenario, problem.axis, result)
    assert check_plan(scenario, data, events=events) == []
    data["runtime_s"] = None
    data["solver"]["stats"] = {k: v for k, v in data["solver"]["stats"].items() if not k.endswith("_s")}
    return data


def kind(entry: Path) -> str:
    return entry.name.split("-")[0]


def kept_searches(store: ConnectionStore) -> list[Path]:
    """The entries of connections and arcs (a first plan is kept beside them only when the beam
    ended before its share of the time limit)."""
    return [p for p in store.entries() if kind(p) in ("connections", "arcs")]


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the connection searches build_problem runs."""
    return counted_calls(monkeypatch, problem_module, "search_connections")


@pytest.mark.parametrize("path", [THREE, SOUTH])
def test_a_warm_plan_is_the_cold_plan_and_searches_nothing(tmp_path: Path, searches: list[int], path: Path):
    """The second plan reads connections and arcs from the store: no search, the same plan."""
    scenario = load(path)
    store = ConnectionStore(tmp_path / "cache")
    without = planned(scenario, None)
    cold = planned(scenario, store)
    assert len(searches) == 2
    assert {"connections", "arcs"} <= {kind(p) for p in store.entries()} <= {"connections", "arcs", "first"}
    warm = planned(scenario, store)
    assert len(searches) == 2
    assert warm == cold == without


def test_corrupt_or_foreign_entries_are_misses_and_are_written_again(tmp_path: Path, searches: list[int]):
    """A truncated entry, or one holding something else, is searched again; the plan is unchanged."""
    scenario = load(THREE)
    store = ConnectionStore(tmp_path / "cache")
    cold = planned(scenario, store)
    entries = store.entries()
    entries[0].write_bytes(entries[0].read_bytes()[:40])
    entries[1].write_bytes(b"not a pickle at all")
    assert planned(scenario, store) == cold
    assert len(searches) == 2
    assert planned(scenario, store) == cold
    assert len(searches) == 2  # written again whole: the third plan reads them


def test_events_and_scenario_changes_are_other_keys(tmp_path: Path):
    """Under a closure, or with a changed scenario, the store serves nothing computed without it."""
    scenario = load(SOUTH)
    store = ConnectionStore(tmp_path / "cache")
    open_airport = planned(scenario, store)
    timeline = events_from_data(
        {
            "name": "cit-closed",
            "scenario": "south-loop",
            "events": [
                {
                    "id": "cit-fog",
                    "kind": "terminal_closed",
                    "terminal": "CIT",
                    "announced_at": "2016-01-17T08:00",
                    "start": "2016-01-18T00:00",
                    "end": "2016-01-23T00:00",
                }
            ],
        },
        scenario,
    )
    fog = timeline.events
    with_fog = planned(scenario, store, fog)
    assert with_fog == planned(scenario, None, fog)
    assert with_fog["legs"] != open_airport["legs"]  # the closure matters to this plan
    assert len(kept_searches(store)) == 4
    cheaper = scenario.model_copy(
        update={"delegation": scenario.delegation.model_copy(update={"size": scenario.delegation.size + 1})}
    )
    assert planned(cheaper, store) == planned(cheaper, None)
    assert len(kept_searches(store)) == 6


def test_a_directory_that_cannot_be_written_is_skipped(tmp_path: Path):
    """A store path that is a file: the plan is made all the same, nothing is kept."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    store = ConnectionStore(blocker / "cache")
    assert planned(load(THREE), store) == planned(load(THREE), None)
    assert store.entries() == []


def test_the_cli_keeps_connections_unless_told_not_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`planner plan` keeps entries in $PLANNER_CACHE_DIR; with --no-cache it writes none."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(cache))
    assert default_cache_dir() == cache
    out = tmp_path / "plan.json"
    args = ["plan", str(THREE), "--out", str(out), "--time-limit", "3600"]
    assert main([*args, "--no-cache"]) == 0
    assert not cache.exists()
    uncached = json.loads(out.read_text())
    assert main(args) == 0
    assert len(kept_searches(ConnectionStore(cache))) == 2
    assert main(args) == 0
    warm = json.loads(out.read_text())
    assert warm["legs"] == uncached["legs"] and warm["seminars"] == uncached["seminars"]
    assert warm["objective"] == uncached["objective"]


def test_a_full_first_plan_is_kept_and_read_back_instead_of_found_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """With no wall-clock limit in reach, the beam's first plan is kept beside the arcs; the next
    plan reads it (no beam run) and is the same plan; a damaged entry is only a miss."""
    from planner import solve as solve_module

    runs = counted_calls(monkeypatch, solve_module, "initial_plan")
    scenario = load(SOUTH)
    scenario = scenario.model_copy(
        update={"solver": scenario.solver.model_copy(update={"time_limit_s": 3600.0})}
    )
    store = ConnectionStore(tmp_path / "cache")
    cold = planned(scenario, store)
    firsts = [p for p in store.entries() if kind(p) == "first"]
    assert len(firsts) == 1 and len(runs) == 1
    assert planned(scenario, store) == cold
    assert len(runs) == 1  # read back, not found again
    firsts[0].write_bytes(b"damaged")
    assert planned(scenario, store) == cold
    assert len(runs) == 2
    assert planned(scenario, None) == cold


def test_backups_are_kept_and_read_back_and_a_damaged_entry_is_found_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A second document of the same plan reads its legs' backups from the store (no backup
    search) and they are the ones searched; a damaged entry is a miss; other events are another
    key."""
    from planner import backups as backups_module

    searched = counted_calls(monkeypatch, backups_module, "leg_backups")
    scenario = load(SOUTH)
    network = TransportNetwork.build(scenario)
    problem, result = plan(scenario, network=network)
    store = ConnectionStore(tmp_path / "cache")
    unstored = result.to_document(scenario, problem.axis, network=network)
    assert any(leg.backup is not None for leg in unstored.legs)
    cold = result.to_document(scenario, problem.axis, network=network, store=store)
    assert len(searched) == 2
    entries = [p for p in store.entries() if kind(p) == "backups"]
    assert len(entries) == 1
    warm = result.to_document(scenario, problem.axis, network=network, store=store)
    assert len(searched) == 2  # read back
    assert warm.legs == cold.legs == unstored.legs
    assert check_plan(scenario, warm.to_json()) == []
    entries[0].write_bytes(b"damaged")
    assert result.to_document(scenario, problem.axis, network=network, store=store).legs == cold.legs
    assert len(searched) == 3
    later = unstored.model_copy(update={"now": unstored.legs[1].depart})
    backups_module.with_backups(scenario, network, later, store)
    assert len(searched) == 4  # a later `now` is another key
    assert len([p for p in store.entries() if kind(p) == "backups"]) == 2
