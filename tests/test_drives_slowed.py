"""The latest start of a drive on a slowed road, piece by piece, equals trying every minute."""

from __future__ import annotations

import random

import pytest

from planner.connections.context import build_context
from planner.connections.drives import _latest_drive_start, latest_drive_start
from planner.network import Interval, Overlay, TransportNetwork
from planner.scenario import load_scenario
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("seed", range(6))
def test_piecewise_latest_start_equals_the_minute_by_minute_search(seed):
    scenario = load_scenario(SCENARIOS / "kazakhstan-winter-2016.yaml")
    network = TransportNetwork.build(scenario)
    rng = random.Random(seed)
    plain = build_context(network)
    start, end = plain.midnights[scenario.delegation.start_city][4], plain.horizon_end
    roads = sorted({edge.road for edge in plain.drive_edges.values()})
    slowdowns: dict[str, tuple[tuple[Interval, float], ...]] = {}
    closures: dict[str, tuple[Interval, ...]] = {}
    for road in rng.sample(roads, 4):
        pieces = []
        for _ in range(rng.randint(1, 3)):  # overlapping slowdowns compound
            begin = rng.randrange(start, end - 600)
            factor = rng.choice([1.2, 1.5, 2.0, 3.0])
            pieces.append((Interval(begin, begin + rng.randint(60, 36 * 60)), factor))
        slowdowns[road] = tuple(pieces)
        if rng.random() < 0.5:
            begin = rng.randrange(start, end - 600)
            closures[road] = (Interval(begin, begin + rng.randint(60, 24 * 60)),)
    ctx = build_context(network, Overlay(roads=closures, slowdowns=slowdowns))
    checked = 0
    for edge in ctx.drive_edges.values():
        if edge.road not in slowdowns:
            continue
        for _ in range(25):
            not_before = rng.randrange(start, end)
            arrive_by = not_before + rng.randint(0, 4 * 24 * 60)
            fast = latest_drive_start(ctx, edge, not_before, arrive_by)
            slow = _latest_drive_start(ctx, edge, not_before, arrive_by)
            assert fast == slow, (edge.road, not_before, arrive_by)
            checked += fast is not None
    assert checked > 20  # enough of the cases have an answer to compare
