"""The time-dependent connection search on tiny named worlds, and against brute force."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from planner.calendar import TimeAxis
from planner.connections import SearchCache, SearchContext, build_context, earliest_arrival, journeys_from
from planner.connections import context_for as context_for_events
from planner.domain import Scenario
from planner.network import Interval, Overlay, TransportNetwork, city_node
from planner.synthetic import tiny_scenario
from tests.conftest import steppe_data, unhurried

MON = dt.date(2016, 1, 18)


def context_for(scenario: Scenario, closures: Overlay | None = None):
    network = TransportNetwork.build(scenario)
    return network, build_context(network, closures)


def at(axis: TimeAxis, scenario: Scenario, city: str, day: dt.date, clock: str) -> int:
    hours, minutes = map(int, clock.split(":"))
    return axis.local_minutes(day, hours * 60 + minutes, scenario.city(city).zone)


def test_graph_has_cities_terminals_rides_and_drives(steppe):
    """The network is a MultiDiGraph with access, ride and drive edges."""
    network = TransportNetwork.build(steppe)
    kinds = {data["kind"] for _, _, data in network.graph.edges(data=True)}
    assert kinds == {"access", "ride", "drive"}
    assert network.graph.has_edge(city_node("astana"), city_node("karaganda"))


def test_flight_with_access_and_check_in(steppe):
    """Leaving Astana at 05:00 catches the 07:00 flight; Aktobe centre at 08:01 local (+05)."""
    network, ctx = context_for(steppe)
    axis = network.axis
    labels = earliest_arrival(ctx, "astana", at(axis, steppe, "astana", MON, "05:00"))
    arrive = labels[("city", "aktobe")][0]
    assert axis.iso(arrive, steppe.city("aktobe").zone) == "2016-01-18T08:01+05:00"


def test_missed_check_in_waits_for_next_day(steppe):
    """Leaving at 05:31 is too late for check-in: the next flight is Tuesday's."""
    network, ctx = context_for(steppe)
    axis = network.axis
    labels = earliest_arrival(ctx, "astana", at(axis, steppe, "astana", MON, "05:31"))
    assert axis.iso(labels[("city", "aktobe")][0], steppe.city("aktobe").zone).startswith("2016-01-19T08:01")


def test_terminal_closure_blocks_departures(steppe):
    """With TSE closed on Monday morning, the Monday flight is not taken."""
    network = TransportNetwork.build(steppe)
    axis = network.axis
    closed = Interval(at(axis, steppe, "astana", MON, "06:00"), at(axis, steppe, "astana", MON, "08:00"))
    ctx = build_context(network, Overlay(terminals={"TSE": (closed,)}))
    labels = earliest_arrival(ctx, "astana", at(axis, steppe, "astana", MON, "05:00"))
    assert axis.local_date(labels[("city", "aktobe")][0], steppe.city("aktobe").zone) == dt.date(2016, 1, 19)


def test_closure_that_starts_after_landing_does_not_matter(steppe):
    """A closure of AKX from 09:00 does not affect the flight that landed at 07:41."""
    network = TransportNetwork.build(steppe)
    axis = network.axis
    closed = Interval(at(axis, steppe, "aktobe", MON, "09:00"), at(axis, steppe, "aktobe", MON, "23:00"))
    ctx = build_context(network, Overlay(terminals={"AKX": (closed,)}))
    labels = earliest_arrival(ctx, "astana", at(axis, steppe, "astana", MON, "05:00"))
    assert axis.local_date(labels[("city", "aktobe")][0], steppe.city("aktobe").zone) == MON


def test_drive_waits_for_the_driving_window(steppe):
    """Leaving at 05:00 by road starts at 08:00, when the default window opens."""
    network, ctx = context_for(steppe)
    axis = network.axis
    labels = earliest_arrival(ctx, "astana", at(axis, steppe, "astana", MON, "05:00"))
    assert (
        axis.iso(labels[("city", "karaganda")][0], steppe.city("karaganda").zone) == "2016-01-18T11:00+06:00"
    )


def test_drive_never_meets_a_road_closure(steppe):
    """A road closed 09:00-13:00 makes a drive that would still be on it wait until 13:00."""
    network = TransportNetwork.build(steppe)
    axis = network.axis
    closed = Interval(at(axis, steppe, "astana", MON, "09:00"), at(axis, steppe, "astana", MON, "13:00"))
    ctx = build_context(network, Overlay(roads={"astana-karaganda": (closed,)}))
    labels = earliest_arrival(ctx, "astana", at(axis, steppe, "astana", MON, "05:00"))
    assert (
        axis.iso(labels[("city", "karaganda")][0], steppe.city("karaganda").zone) == "2016-01-18T16:00+06:00"
    )


def test_quiet_hours_forbid_night_departures():
    """A 02:00 flight is never used while 00:00-05:00 is quiet."""
    data = steppe_data()
    data["services"][0]["stops"] = [
        {"terminal": "TSE", "depart": "02:00"},
        {"terminal": "AKX", "arrive": "02:41"},
    ]
    scenario = Scenario.model_validate(data)
    _network, ctx = context_for(scenario)
    labels = earliest_arrival(ctx, "astana", 0)
    assert ("city", "aktobe") not in labels


def test_profile_keeps_latest_departures(steppe):
    """The connection set Astana -> Aktobe has one connection per flight day, leaving just in time."""
    network, ctx = context_for(steppe)
    axis = network.axis
    found = journeys_from(ctx, "astana", [0, at(axis, steppe, "astana", MON, "12:00")])
    days = [axis.local_date(j.leave, axis.home_zone) for j in found["aktobe"]]
    assert days == sorted(set(days))
    assert all(axis.iso(j.leave, axis.home_zone)[11:16] == "05:30" for j in found["aktobe"])


def brute_force_arrival(ctx, origin: str, leave_at: int, depth: int) -> dict[str, int]:
    """Earliest arrival at each city by trying every sequence of up to ``depth`` legs."""
    best: dict[str, int] = {}

    def visit(place: tuple[str, str], time: int, legs: int) -> None:
        kind, ident = place
        if kind == "city":
            if ident != origin and time < best.get(ident, 1 << 40):
                best[ident] = time
            if legs == depth:
                return
            for terminal_id, lead in ctx.city_access[ident]:
                visit(("ready", terminal_id), time + lead, legs)
            for drive in ctx.city_drives[ident]:
                from planner.connections import drive_start

                begin = drive_start(ctx, drive, time)
                if begin is not None and begin + drive.minutes <= ctx.horizon_end:
                    visit(("city", drive.destination), begin + drive.minutes, legs + 1)
            return
        if legs == depth:
            return
        for ride in ctx.rides[ident]:
            for run in ride.runs:  # every run, not just the first: FIFO is what is tested
                if run.depart < time or run.arrive > ctx.horizon_end:
                    continue
                alight = ctx.terminal(ride.alight)
                visit(("ready", ride.alight), run.arrive + alight.min_transfer_min, legs + 1)
                visit(("city", ride.to_city), run.arrive + alight.access_min, legs + 1)

    visit(("city", origin), leave_at, 0)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_earliest_arrival_matches_brute_force(seed):
    """On random tiny networks the search's earliest arrival equals exhaustive enumeration.

    With a whole-day travel limit, so that no connection is cut for breaking it (that cut is
    tested with the movement-level referee, tests/test_referee.py).
    """
    data = unhurried(tiny_scenario(seed)).model_dump()
    data["delegation"]["rules"]["max_travel_min_per_day"] = 24 * 60
    scenario = Scenario.model_validate(data)
    _network, ctx = context_for(scenario)
    horizon = scenario.calendar.horizon_days * 24 * 60
    for origin, leave_at in itertools.product([c.id for c in scenario.cities[:3]], [6 * 60, horizon // 2]):
        labels = earliest_arrival(ctx, origin, leave_at)
        found = {key[1]: value[0] for key, value in labels.items() if key[0] == "city" and key[1] != origin}
        assert found == brute_force_arrival(ctx, origin, leave_at, depth=3)


@pytest.mark.parametrize("seed", range(5))
def test_pareto_keeps_exactly_the_undominated(seed):
    """The staircase filter equals the definition: no other leaves later, arrives earlier, costs less."""
    import random

    from planner.connections import Journey, pareto

    rng = random.Random(seed)
    for _ in range(300):
        journeys = []
        for _ in range(rng.randint(0, 12)):
            leave = rng.randint(0, 20)
            journeys.append(
                Journey("a", "b", leave, leave + rng.randint(1, 20), (), 0, float(rng.randint(0, 5)))
            )
        key = lambda j: (j.leave, j.arrive, j.cost)  # noqa: E731
        wanted = {
            key(j)
            for j in journeys
            if not any(
                k.leave >= j.leave and k.arrive <= j.arrive and k.cost <= j.cost and key(k) != key(j)
                for k in journeys
            )
        }
        kept = pareto(list(journeys))
        assert sorted(map(key, kept)) == sorted(wanted)


def test_a_search_cache_serves_one_context(steppe):
    """Its keys are edge ids of one compiled network: a second context may not share it."""
    network = TransportNetwork.build(steppe)
    cache = SearchCache()
    ctx = build_context(network, cache=cache)
    assert ctx.cache is cache
    with pytest.raises(ValueError, match="already serves"):
        build_context(network, cache=cache)


def test_kept_contexts_reuse_their_searches(steppe):
    """Contexts from context_for keep their searches, in the store of whoever plans."""
    network = TransportNetwork.build(steppe)
    kept: dict[tuple[str, ...], SearchContext] = {}
    ctx = context_for_events(network, (), kept)
    assert ctx.cache.keep_searches and list(kept.values()) == [ctx]
    assert not hasattr(network, "contexts"), "the network keeps no search state"
    start = at(network.axis, steppe, "astana", MON, "05:00")
    first = journeys_from(ctx, "astana", [start])
    assert ctx.cache.paths
    assert context_for_events(network, (), kept) is ctx
    assert journeys_from(ctx, "astana", [start]) == first
    assert not build_context(network).cache.keep_searches
