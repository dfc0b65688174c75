"""Slot searches reused across event sets (planner.connections.memo) find exactly what fresh ones find.

Random tiny scenarios (tests/scenario_gen.py) under random sets of every kind of network event
(terminal and road closures, slowdowns, two equal slowdowns that compound, delays, cancellations),
some repeated and some overlapping: the connections from every city, over its leave slots, are
compared between a context that reuses remembered searches and one that searches afresh.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from planner.check import check_plan
from planner.connections import (
    Journey,
    SearchContext,
    SlotMemo,
    build_context,
    departure_leave_times,
    drive_leave_times,
    journeys_from,
    latest_drive_leave_times,
)
from planner.domain import Disruption, Scenario, trip_window
from planner.network import TransportNetwork
from planner.risk.replay import Policy, Replayer
from planner.risk.sampling import draw, trials_of
from planner.scenario import load_risk, load_scenario
from tests.conftest import SCENARIOS, make_plan
from tests.golden import blank_times
from tests.scenario_gen import random_scenario


def _events(scenario: Scenario, rng: random.Random) -> tuple[Disruption, ...]:
    begin, end = trip_window(scenario)
    span = int((end - begin).total_seconds() // 60)
    terminals = sorted(scenario.terminals())
    roads = [road.id for road in scenario.roads]
    services = [service.id for service in scenario.services]
    events: list[Disruption] = []
    for number in range(rng.randint(0, 4)):
        start = begin + dt.timedelta(minutes=rng.randrange(0, max(1, span)))
        finish = start + dt.timedelta(hours=rng.choice([1, 3, 8, 20, 40]))
        common = {
            "id": f"e{number}",
            "announced_at": (begin - dt.timedelta(days=1)).isoformat(),
            "start": start.isoformat(),
            "end": finish.isoformat(),
        }
        kind = rng.choice(["terminal", "road", "slow", "slow-twice", "delay", "cancel"])
        if kind == "terminal" and terminals:
            events.append(
                Disruption.model_validate(
                    {**common, "kind": "terminal_closed", "terminal": rng.choice(terminals)}
                )
            )
        elif kind == "road" and roads:
            events.append(
                Disruption.model_validate({**common, "kind": "road_closed", "road": rng.choice(roads)})
            )
        elif kind.startswith("slow") and roads:
            slowed = {
                **common,
                "kind": "road_slowed",
                "road": rng.choice(roads),
                "factor": rng.choice([1.5, 2.0]),
            }
            events.append(Disruption.model_validate(slowed))
            if kind == "slow-twice":
                events.append(Disruption.model_validate({**slowed, "id": f"e{number}-again"}))
        elif kind == "delay" and services:
            delayed = {
                "kind": "service_delayed",
                "service": rng.choice(services),
                "delay_min": rng.choice([30, 200]),
            }
            events.append(Disruption.model_validate({**common, **delayed}))
        elif kind == "cancel" and services:
            events.append(
                Disruption.model_validate(
                    {**common, "kind": "service_cancelled", "service": rng.choice(services)}
                )
            )
    return tuple(events)


def _connections(ctx: SearchContext, network: TransportNetwork) -> dict[str, dict[str, list[Journey]]]:
    scenario = network.scenario
    begin, end = trip_window(scenario)
    first, last = network.axis.minutes(begin), network.axis.minutes(end)
    found: dict[str, dict[str, list[Journey]]] = {}
    for city in scenario.cities:
        times = {
            first,
            *departure_leave_times(ctx, city.id, first, last),
            *drive_leave_times(ctx, city.id, first, last),
        }
        first_drives = latest_drive_leave_times(ctx, city.id, first, last)
        found[city.id] = journeys_from(ctx, city.id, times, first_drives)
    return found


def _compare(seed: int) -> None:
    scenario = random_scenario(seed)
    network = TransportNetwork.build(scenario)
    memo = SlotMemo(network)
    rng = random.Random(seed)
    sets = [_events(scenario, rng) for _ in range(5)]
    sets += [(), sets[0], sets[1] + sets[2]]  # nothing, the same again, two sets together
    for events in sets:
        overlay = network.overlay(events)
        remembered = _connections(build_context(network, overlay, memo=memo), network)
        fresh = _connections(build_context(network, overlay), network)
        assert remembered == fresh, f"seed {seed}, events {[e.model_dump(mode='json') for e in events]}"


# Seeds 3 and 4 take about ten seconds each: they are in the slow tier with the others.
@pytest.mark.parametrize("seed", [0, 1, 2, 5, 6, 7])
def test_remembered_slot_searches_find_the_same_connections_as_fresh_ones(seed):
    _compare(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 4, *range(8, 48)])
def test_remembered_slot_searches_find_the_same_connections_as_fresh_ones_more_seeds(seed):
    _compare(seed)


@pytest.mark.parametrize("seed", range(4))
def test_searches_are_reused_where_the_events_cannot_reach_them(seed):
    scenario = random_scenario(seed)
    network = TransportNetwork.build(scenario)
    memo = SlotMemo(network)
    _connections(build_context(network, network.overlay(()), memo=memo), network)
    searched = memo.misses
    assert searched > 0 and memo.hits == 0
    # A road closed a week after the trip ends changes no search: every slot is reused.
    _, end = trip_window(scenario)
    later = Disruption.model_validate(
        {
            "id": "after-the-trip",
            "kind": "road_closed",
            "road": scenario.roads[0].id,
            "announced_at": end.isoformat(),
            "start": (end + dt.timedelta(days=7)).isoformat(),
            "end": (end + dt.timedelta(days=8)).isoformat(),
        }
    )
    _connections(build_context(network, network.overlay((later,)), memo=memo), network)
    assert memo.misses == searched and memo.hits == searched


def test_a_memo_serves_its_own_network_only():
    scenario = random_scenario(0)
    memo = SlotMemo(TransportNetwork.build(scenario))
    from planner.connections import context_for

    with pytest.raises(ValueError, match="another network"):
        context_for(TransportNetwork.build(scenario), (), {}, memo)


def test_risk_replay_outcomes_are_the_same_with_and_without_remembered_searches():
    scenario = load_scenario(SCENARIOS / "three-cities.yaml")
    risk = load_risk(SCENARIOS / "risk" / "three-cities.yaml", scenario)
    plan = make_plan(scenario)
    trials = trials_of(scenario, risk)
    reusing = Replayer(scenario, plan, Policy.REPLAN)
    fresh = Replayer(scenario, plan, Policy.REPLAN, network=reusing.network)
    fresh.memo = None
    for index in range(12):
        events = draw(trials, 3, index)
        assert reusing.outcome(index, events) == fresh.outcome(index, events), index
    assert reusing.memo is not None and reusing.memo.hits > 0


@pytest.mark.parametrize("seed", range(3))
def test_a_memo_filled_by_the_plan_serves_the_first_replan_with_the_same_result(seed):
    """The service plans with the scenario's memo; the first replan after an event then reuses
    the plan's slot searches the event does not touch, and finds exactly the fresh replan."""
    from planner.replan import replan
    from planner.result import plan_json
    from planner.solve import plan

    scenario = random_scenario(seed)
    network = TransportNetwork.build(scenario)
    memo = SlotMemo(network)
    problem, result = plan(scenario, network=network, memo=memo)
    assert memo.misses > 0 and memo.hits == 0  # the plan searched every slot once, into the memo
    previous = plan_json(scenario, problem.axis, result)
    events = _events(scenario, random.Random(seed))
    begin, _ = trip_window(scenario)
    now = begin - dt.timedelta(hours=1)
    announced = tuple(e.model_copy(update={"announced_at": now}) for e in events)
    fresh = replan(scenario, previous, now, announced, network=network, contexts={})
    reusing = replan(scenario, previous, now, announced, network=network, contexts={}, memo=memo)
    assert memo.hits > 0
    assert blank_times(reusing.plan) == blank_times(fresh.plan)
    assert check_plan(scenario, reusing.plan, events=announced, previous=previous, now=now) == []


def test_a_plan_refuses_a_memo_of_another_network():
    from planner.solve import plan

    scenario = random_scenario(0)
    memo = SlotMemo(TransportNetwork.build(scenario))
    with pytest.raises(ValueError, match="another network"):
        plan(scenario, network=TransportNetwork.build(scenario), memo=memo)
