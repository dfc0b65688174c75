"""A cold build's connection searches spread over forked processes find exactly what one
process finds, in the same order; the time limit still stops them; no worker outlives them."""

from __future__ import annotations

import os
import threading
import time

import pytest

import planner.problem as problem_module
from planner.collector import collection_paused
from planner.connections import build_context
from planner.connections.parallel import MIN_SLOTS_TO_SPREAD, can_spread, map_spread
from planner.network import TransportNetwork
from planner.problem import OutOfTime, StartState, candidate_slots, search_connections
from planner.processes import search_processes
from planner.scenario import load_scenario
from tests.conftest import FLAGSHIP, counted_calls


def _flagship_search(deadline: float | None = None):
    scenario = load_scenario(FLAGSHIP)
    network = TransportNetwork.build(scenario)
    axis, delegation = network.axis, scenario.delegation
    begin = axis.minutes(delegation.earliest_departure, scenario.city(delegation.start_city).zone)
    start = StartState(delegation.start_city, begin, begin)
    end_min = axis.minutes(delegation.latest_return, scenario.city(delegation.end_city).zone)
    context = build_context(network)
    slots = candidate_slots(scenario, axis, context.overlay, start, end_min)
    with collection_paused():
        return search_connections(context, slots, start, end_min, deadline)


def _children() -> set[str]:
    """This process's child processes (other tests' servers and pools may be among them)."""
    path = f"/proc/{os.getpid()}/task/{os.getpid()}/children"
    return set(open(path).read().split()) if os.path.exists(path) else set()


def test_spread_searches_find_the_same_connections_in_the_same_order(monkeypatch):
    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "1")
    alone = _flagship_search()
    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "2")
    spreads = counted_calls(monkeypatch, problem_module, "map_spread")
    before = _children()
    spread = _flagship_search()
    assert len(spreads) == 1  # the flagship's search was spread, not done in this process
    assert list(spread) == list(alone)
    assert spread == alone
    assert _children() <= before  # every worker reaped


def test_the_time_limit_stops_spread_searches_too(monkeypatch):
    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "2")
    spreads = counted_calls(monkeypatch, problem_module, "map_spread")
    before = _children()
    with pytest.raises(OutOfTime):
        _flagship_search(deadline=time.perf_counter() - 1)
    assert len(spreads) == 1  # raised in a worker, and raised here
    assert _children() <= before


def test_a_job_error_in_a_worker_is_raised_in_the_caller():
    def job(item: int) -> int:
        if item == 3:
            raise ValueError("item 3")
        return item * item

    with pytest.raises(ValueError, match="item 3"):
        map_spread(job, [1, 2, 3, 4], 2)
    assert map_spread(job, [5, 1, 2], 2) == [25, 1, 4]  # results in the items' order


def test_small_builds_and_threaded_processes_search_in_one_process():
    assert can_spread(2, 14, MIN_SLOTS_TO_SPREAD)  # the boundary itself spreads
    assert not can_spread(2, 14, MIN_SLOTS_TO_SPREAD - 1)
    assert not can_spread(1, 14, 10 * MIN_SLOTS_TO_SPREAD)
    assert not can_spread(2, 1, 10 * MIN_SLOTS_TO_SPREAD)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # a fork would copy no other thread, and any lock it held would stay locked
        assert not can_spread(2, 14, 10 * MIN_SLOTS_TO_SPREAD)
    finally:
        stop.set()
        other.join()


def test_the_process_count_setting_is_read_and_checked(monkeypatch):
    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "3")
    assert search_processes() == 3
    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "0")
    assert search_processes() == 1
    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "two")
    with pytest.raises(ValueError, match="PLANNER_SEARCH_PROCESSES"):
        search_processes()
    monkeypatch.delenv("PLANNER_SEARCH_PROCESSES")
    assert search_processes() >= 1


def test_a_bad_process_count_is_refused_by_the_command_with_exit_2(monkeypatch, capsys):
    from planner.cli import main
    from tests.conftest import SCENARIOS

    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "two")
    assert main(["plan", str(SCENARIOS / "three-cities.yaml")]) == 2
    error = capsys.readouterr().err
    assert "PLANNER_SEARCH_PROCESSES" in error and "Traceback" not in error


def test_the_service_refuses_a_bad_process_count_before_it_starts(monkeypatch, capsys):
    from api.cli import main

    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "-x")
    assert main(["serve", "--port", "0"]) == 2
    assert "PLANNER_SEARCH_PROCESSES" in capsys.readouterr().err


@pytest.mark.parametrize("seed", range(6))
def test_an_origins_slots_cut_into_parts_and_merged_find_what_one_search_finds(seed):
    """Any cut of an origin's slots into runs, searched apart and merged in order, gives the same
    connections in the same order (random tiny scenarios covering the format)."""
    from planner.connections import (
        connections_found,
        departure_leave_times,
        drive_leave_times,
        latest_drive_leave_times,
        merge_found,
        pareto_found,
        pareto_part,
    )
    from planner.domain import trip_window
    from tests.scenario_gen import random_scenario

    scenario = random_scenario(seed)
    network = TransportNetwork.build(scenario)
    context = build_context(network)
    begin, end = trip_window(scenario)
    first, last = network.axis.minutes(begin), network.axis.minutes(end)
    for city in scenario.cities:
        times = {
            first,
            *departure_leave_times(context, city.id, first, last),
            *drive_leave_times(context, city.id, first, last),
        }
        drives = latest_drive_leave_times(context, city.id, first, last)
        whole = connections_found(context, city.id, times, drives)
        for count in (2, 3, 5):
            parts = [connections_found(context, city.id, times, drives, (i, count)) for i in range(count)]
            merged = merge_found(parts)
            assert list(merged) == list(whole)
            assert {d: list(c.items()) for d, c in merged.items()} == {
                d: list(c.items()) for d, c in whole.items()
            }
            # What a worker sends back: its part's own Pareto sets; merged, the same in the end.
            # (Journeys compare by value, legs included: of equal ones, the same one is kept.)
            assert pareto_found(merge_found(pareto_part(part) for part in parts)) == pareto_found(whole)


def test_a_workers_own_pareto_sets_merge_into_the_whole_searchs():
    """On the flagship, where parts do beat their own connections: each part's Pareto sets
    (what a worker sends back), merged, are the whole search's, and a quarter fewer at least are sent."""
    from planner.connections import (
        connections_found,
        departure_leave_times,
        merge_found,
        pareto_found,
        pareto_part,
    )

    scenario = load_scenario(FLAGSHIP)
    context = build_context(TransportNetwork.build(scenario))
    for origin in ("almaty", "astana"):
        times = departure_leave_times(context, origin, 0, context.horizon_end)
        whole = connections_found(context, origin, times)
        parts = [connections_found(context, origin, times, None, (i, 3)) for i in range(3)]
        sent = [pareto_part(part) for part in parts]
        assert pareto_found(merge_found(sent)) == pareto_found(whole)
        found = sum(len(c) for part in parts for c in part.values())
        assert sum(len(c) for part in sent for c in part.values()) < found * 3 / 4, origin


def test_small_scenarios_spread_when_allowed_give_the_same_plan(monkeypatch):
    """With the size threshold lifted, spread searches of tiny scenarios plan exactly as one process."""
    import planner.connections.parallel as parallel
    from planner.result import plan_json
    from planner.solve import plan
    from tests.golden import blank_times
    from tests.scenario_gen import random_scenario

    monkeypatch.setattr(parallel, "MIN_SLOTS_TO_SPREAD", 0)
    spreads = counted_calls(monkeypatch, problem_module, "map_spread")
    for seed in range(3):
        scenario = random_scenario(seed)
        documents = []
        for processes in ("1", "2"):
            monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", processes)
            problem, result = plan(scenario)
            documents.append(blank_times(plan_json(scenario, problem.axis, result)))
        assert documents[0] == documents[1], seed
    assert len(spreads) == 3  # each plan's search was spread (once per plan, with 2 processes)
