"""The connection search's shortcuts give what the plain walks give.

- A chain of drives postponed to make a ride: the leave remembered per label and arrival
  (`_postponed_leave`) equals `postpone_drives` over the whole path, asked in any order and
  again.
- The leave of the path to a city label (the label's own after a ride, its drives postponed to
  one another before) is when the connection its legs make leaves, so a connection can be
  refused before its legs are built.
"""

from __future__ import annotations

import random

import pytest

from planner.connections import SearchContext, build_context
from planner.connections.journeys import _leg, leave_time
from planner.connections.leave_times import departure_leave_times, drive_leave_times
from planner.connections.search import (
    Labels,
    _postponed_leave,
    pareto_search,
    path_leave,
    path_specs,
    postpone_drives,
)
from planner.domain import Scenario
from planner.network import TransportNetwork
from planner.scenario import load_scenario
from planner.synthetic import synthetic_scenario
from tests.conftest import FLAGSHIP
from tests.scenario_gen import random_scenario


def _scenarios() -> list[tuple[str, Scenario]]:
    return [
        ("flagship", load_scenario(FLAGSHIP)),
        ("synthetic-12x14", synthetic_scenario(12, 14, seed=1)),
        *((f"random-{seed}", random_scenario(seed)) for seed in range(0, 60, 6)),
    ]


def _searches(scenario: Scenario, per_origin: int) -> list[tuple[SearchContext, Labels]]:
    """Searches from a few leave times of every city (departures and drive openings)."""
    context = build_context(TransportNetwork.build(scenario))
    draw = random.Random(0)
    searches = []
    for origin in sorted(context.city_access):
        times = sorted(
            set(departure_leave_times(context, origin, 0, context.horizon_end))
            | set(drive_leave_times(context, origin, 0, context.horizon_end))
        )
        for leave_at in sorted(draw.sample(times, min(per_origin, len(times)))):
            searches.append((context, pareto_search(context, origin, leave_at)))
    return searches


@pytest.mark.parametrize(
    ("name", "scenario"), _scenarios(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_remembered_postponed_leaves_equal_the_whole_walk(name: str, scenario: Scenario) -> None:
    draw = random.Random(1)
    asked = 0
    for context, labels in _searches(scenario, per_origin=2):
        chains = [i for i, label in enumerate(labels.entries) if label[7]]  # drives, no ride yet
        known: dict[tuple[int, int], int] = {}
        # Arrival times around each chain's own: before it (nothing to postpone), just after,
        # and days later (the window closes first); each asked twice, in a shuffled order.
        questions = [
            (index, labels.entries[index][0] + shift)
            for index in chains
            for shift in (-30, 0, 45, 600, 1440, 2 * 1440 + 7)
        ]
        questions += questions
        draw.shuffle(questions)
        for index, arrive_by in questions:
            whole = postpone_drives(context, path_specs(labels, index), arrive_by)[0][1]
            assert _postponed_leave(context, labels, index, arrive_by, known) == whole, (
                name,
                index,
                arrive_by,
            )
            asked += 1
    if name in ("flagship", "synthetic-12x14"):
        assert asked > 100, asked  # the shortcut is really exercised


@pytest.mark.parametrize(
    ("name", "scenario"), _scenarios(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_a_path_leaves_when_its_legs_do(name: str, scenario: Scenario) -> None:
    checked = {"ride": 0, "drives": 0}
    for context, labels in _searches(scenario, per_origin=2):
        known: dict[tuple[int, int], int] = {}
        for index, label in enumerate(labels.entries):
            if label[5][0] != "city" or label[4] is None:
                continue  # the origin itself, or not at a city centre
            first = postpone_drives(context, path_specs(labels, index), None)[0]
            leave = path_leave(context, labels, index, known)
            assert leave == leave_time(context, [_leg(context, first)]), (name, index)
            checked["ride" if label[7] is None else "drives"] += 1
    if name in ("flagship", "synthetic-12x14"):
        assert min(checked.values()) > 100, checked  # both kinds of path are really exercised


def nights_walked(context: SearchContext, start: int, end: int) -> int:
    """Minutes of [start, end) at night, walked day by day: each home-zone day's night opening
    overlapped with the interval."""
    if end <= start:
        return 0
    window, home = context.rules.night.minutes(), context.home_city
    first, _ = context.local_day(start, home)
    last, _ = context.local_day(end - 1, home)
    openings = (context.opening(day, window, home) for day in range(first - 1, last + 1))
    return sum(max(0, min(end, closes) - max(start, opens)) for opens, closes in openings)


@pytest.mark.parametrize(
    ("name", "scenario"), _scenarios(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_night_minutes_by_prefix_equal_the_walk_over_the_days(name: str, scenario: Scenario) -> None:
    """A connection's night minutes, from the night minutes before each end, equal the overlap
    with every night walked day by day (clock changes in the random scenarios' zones included)."""
    context = build_context(TransportNetwork.build(scenario))
    _, nights = context.home_marks()
    draw = random.Random(2)
    horizon = context.horizon_end
    # Ends on and either side of every night's bounds, and anywhere.
    marks = [t + shift for begin, end in nights for t in (begin, end) for shift in (-1, 0, 1)]
    instants = [t for t in marks if 0 <= t < horizon] + [draw.randrange(horizon) for _ in range(300)]
    asked = 0
    for _ in range(1500):
        start, end = sorted(draw.sample(instants, 2))
        end = min(end, start + draw.choice((30, 600, 1440, 3 * 1440, horizon)), horizon)
        expected = nights_walked(context, start, end)
        assert context.night_minutes(start, end) == expected, (name, start, end)
        asked += expected > 0
    assert asked > 100  # the nights are met, not only the days
    assert context.night_minutes(nights[0][0], nights[0][0]) == 0
