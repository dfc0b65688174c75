"""The local search on TSPTW tours: on time, never longer, deterministic, and it does shorten tours."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pytest

from planner.cpsat.time_window_tour import TourProblem, best_hint, reduce_problem, warm_start
from planner.cpsat.tour_beam import beam_tour
from planner.cpsat.tour_search import improve_tour
from planner.tsptw import TsptwInstance, check_tour, load_tsptw, tour_problem
from tests.tsptw_gen import random_matrix_and_order

DATA = Path(__file__).resolve().parent / "data" / "tsptw"


def instances() -> list[tuple[str, int]]:
    with (DATA / "known_values.csv").open(newline="", encoding="utf-8") as handle:
        return [(row["file"], int(row["tt_optimum"])) for row in csv.DictReader(handle)]


def travel_of(instance: TsptwInstance, order: list[int]) -> int:
    """Travel of a tour, asserting the planner's independent check finds nothing wrong with it."""
    check = check_tour(instance, order)
    assert check.problems == ()
    return check.travel


def worsened(instance: TsptwInstance, order: list[int], seed: int) -> list[int]:
    """A longer tour that still keeps every window: random relocations of one customer, each kept
    when the tour stays on time and gets longer."""
    rng = random.Random(seed)
    tour = list(order)
    for _ in range(2000):
        candidate = list(tour)
        candidate.insert(rng.randrange(len(tour)), candidate.pop(rng.randrange(len(tour))))
        check = check_tour(instance, candidate)
        if not check.problems and check.travel > check_tour(instance, tour).travel:
            tour = candidate
    return tour


@pytest.mark.parametrize(("file", "optimum"), instances(), ids=lambda v: str(v))
def test_first_tours_stay_on_time_and_never_get_longer(file, optimum):
    """The beam's and the insertion heuristic's tours come back on time, no longer, the same twice."""
    instance = load_tsptw(DATA / file)
    problem = tour_problem(instance)
    reductions = reduce_problem(problem)
    for order in (beam_tour(problem, reductions, 30), warm_start(problem)):
        assert order is not None
        improved = improve_tour(problem, order)
        assert optimum <= travel_of(instance, improved) <= travel_of(instance, order)
        assert improve_tour(problem, order) == improved


@pytest.mark.parametrize(("file", "optimum"), instances(), ids=lambda v: str(v))
def test_a_deliberately_long_tour_is_shortened(file, optimum):
    """A tour made longer on purpose (still on time) comes back much shorter, on time."""
    instance = load_tsptw(DATA / file)
    problem = tour_problem(instance)
    start = warm_start(problem)
    assert start is not None
    bad = worsened(instance, start, seed=7)
    bad_travel = travel_of(instance, bad)
    assert bad_travel > optimum, "the worsening should leave room to improve"
    improved = travel_of(instance, improve_tour(problem, bad))
    # Most of the excess over the optimum is gone.
    assert improved - optimum <= (bad_travel - optimum) // 2
    assert improve_tour(problem, bad) == improve_tour(problem, bad)


def test_one_misplaced_customer_goes_back_in_line():
    """Four customers on a line with open windows: 1, 3, 2, 4 becomes 1, 2, 3, 4."""
    travel = tuple(tuple(abs(i - j) * 10 for j in range(5)) for i in range(5))
    problem = TourProblem(travel=travel, windows=((0, 1000),) * 5)
    assert improve_tour(problem, [1, 3, 2, 4]) in ([1, 2, 3, 4], [4, 3, 2, 1])


def test_moves_that_would_miss_a_window_are_not_made():
    """The same line, but customer 4 is served by 40 and customer 1 from 90 on: 1, 2, 3, 4 is as
    short as a tour gets but misses 4's window; the shortest tours that keep both serve 1 last."""
    travel = tuple(tuple(abs(i - j) * 10 for j in range(5)) for i in range(5))
    windows = ((0, 1000), (90, 1000), (0, 1000), (0, 1000), (0, 40))
    problem = TourProblem(travel=travel, windows=windows)
    instance = TsptwInstance("line", travel, windows)
    order = [4, 1, 2, 3]
    assert travel_of(instance, order) == 120
    improved = improve_tour(problem, order)
    assert travel_of(instance, improved) == 80
    assert improved[-1] == 1


def test_tours_that_are_late_or_incomplete_come_back_unchanged():
    travel = tuple(tuple(abs(i - j) * 10 for j in range(5)) for i in range(5))
    windows = ((0, 1000), (0, 1000), (0, 1000), (0, 20), (0, 1000))
    problem = TourProblem(travel=travel, windows=windows)
    assert improve_tour(problem, [4, 2, 3, 1]) == [4, 2, 3, 1]  # 3 is reached at 70, too late
    assert improve_tour(problem, [2, 1, 4]) == [2, 1, 4]
    assert improve_tour(problem, [2, 1, 1, 4]) == [2, 1, 1, 4]


def random_problem(seed: int) -> tuple[TsptwInstance, list[int]]:
    """Up to 12 customers, an asymmetric matrix with zeros and no triangle inequality, and
    windows around the times of a random order (which thus keeps them)."""
    rng = random.Random(seed)
    size = rng.randint(4, 13)
    travel, planned = random_matrix_and_order(rng, size)
    windows = [(0, 0)] * size
    now, here = 0, 0
    for customer in planned:
        now = max(now + travel[here][customer], 0) + rng.randint(0, 10)
        spread = rng.choice([0, 5, 20, 80, 400])
        windows[customer] = (max(0, now - rng.randint(0, spread)), now + rng.randint(0, spread))
        now = max(now, windows[customer][0])
        here = customer
    windows[0] = (0, now + travel[here][0] + rng.randint(0, 30))
    instance = TsptwInstance(f"random-{seed}", tuple(tuple(row) for row in travel), tuple(windows))
    return instance, planned


def test_random_asymmetric_problems_stay_on_time_and_never_get_longer():
    """Reversals and moves are priced without symmetry or the triangle inequality: the travel
    recomputed from the matrix never grows, and the tour keeps every window."""
    shortened = 0
    for seed in range(300):
        instance, order = random_problem(seed)
        start = travel_of(instance, order)
        improved = improve_tour(tour_problem(instance), order, kicks=5)
        assert sorted(improved) == sorted(order)
        assert travel_of(instance, improved) <= start
        shortened += travel_of(instance, improved) < start
    assert shortened >= 100


def test_the_hint_is_no_longer_than_the_first_tours():
    """best_hint passes its tours through the search: its hint is no longer than either first tour."""
    instance = load_tsptw(DATA / "gendreau" / "n20w200.003.txt")
    problem = tour_problem(instance)
    reductions = reduce_problem(problem)
    hint = best_hint(problem, reductions, beam_width=30)
    assert hint is not None
    firsts = [t for t in (warm_start(problem), beam_tour(problem, reductions, 30)) if t is not None]
    assert travel_of(instance, hint) <= min(travel_of(instance, t) for t in firsts)


def mirrored_instance(instance: TsptwInstance) -> TsptwInstance:
    mirror = tour_problem(instance).mirrored()
    return TsptwInstance(f"{instance.name}-mirrored", mirror.travel, mirror.windows)


def test_an_order_is_on_time_exactly_when_its_reverse_is_on_time_in_the_mirrored_problem():
    """The mirrored problem keeps the reversed tours, on time or late alike, with the same travel
    (checked by the independent tour check, over random orders of random asymmetric problems)."""
    on_time = late = 0
    for seed in range(200):
        instance, planned = random_problem(seed)
        mirror = mirrored_instance(instance)
        rng = random.Random(seed)
        for order in (planned, *(rng.sample(planned, len(planned)) for _ in range(5))):
            forward, backward = check_tour(instance, order), check_tour(mirror, order[::-1])
            assert (forward.problems == ()) == (backward.problems == ())
            assert forward.travel == backward.travel
            on_time += forward.problems == ()
            late += forward.problems != ()
    assert on_time >= 200 and late >= 200  # both cases are exercised


def test_the_backward_beam_reaches_the_optimum_the_forward_beam_misses():
    """Gendreau n40w200.003: the forward beam's tour, improved, stays above the published optimum
    (339); the hint, which also tries the beam on the mirrored problem, reaches it, on time."""
    instance = load_tsptw(DATA / "gendreau" / "n40w200.003.txt")
    problem = tour_problem(instance)
    reductions = reduce_problem(problem)
    forward = beam_tour(problem, reductions, 3000)
    assert forward is not None
    assert travel_of(instance, improve_tour(problem, forward)) > 339
    hint = best_hint(problem, reductions, beam_width=3000)
    assert hint is not None
    assert travel_of(instance, hint) == 339


def test_the_hint_is_the_same_on_one_process_and_on_two(monkeypatch: pytest.MonkeyPatch):
    """From 41 nodes the hint's two halves may run in a forked process: the tours it chooses from,
    and so the hint, are those of one process (n40w200.003, where the backward beam decides)."""
    from planner.connections import parallel
    from planner.cpsat import time_window_tour

    instance = load_tsptw(DATA / "gendreau" / "n40w200.003.txt")
    problem = tour_problem(instance)
    assert problem.size >= time_window_tour.MIN_NODES_TO_SPLIT_HINT
    reductions = reduce_problem(problem)
    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "1")
    alone = best_hint(problem, reductions, beam_width=3000)
    spreads: list[int] = []
    spread = parallel.map_spread

    def counted(job: Any, items: Any, processes: int) -> Any:
        spreads.append(processes)
        return spread(job, items, processes)

    monkeypatch.setattr(time_window_tour, "map_spread", counted)
    assert parallel.can_fork(2)  # a single-threaded process that forks: the halves do spread
    monkeypatch.setenv("PLANNER_SEARCH_PROCESSES", "2")
    assert best_hint(problem, reductions, beam_width=3000) == alone
    assert spreads == [2]
    assert alone is not None and travel_of(instance, alone) == 339


def neighbours(order: list[int]) -> list[list[int]]:
    """Every tour one move away: a segment of one to three customers moved elsewhere (as it is
    or reversed), a stretch served in reverse, or two customers swapped."""
    found = []
    size = len(order)
    for start in range(size):
        for length in (1, 2, 3):
            segment, rest = order[start : start + length], order[:start] + order[start + length :]
            for place in range(len(rest) + 1):
                for moved in (segment, segment[::-1]):
                    found.append(rest[:place] + moved + rest[place:])
        for end in range(start + 1, size):
            found.append(order[:start] + order[start : end + 1][::-1] + order[end + 1 :])
            swapped = list(order)
            swapped[start], swapped[end] = swapped[end], swapped[start]
            found.append(swapped)
    return found


def test_no_single_move_shortens_the_tour_returned():
    """With windows that never bind, the tour returned is a local optimum: checked against every
    neighbour, enumerated here apart from the search's own pricing of moves."""
    for seed in range(40):
        rng = random.Random(seed)
        size = rng.randint(5, 11)
        travel = tuple(tuple(0 if i == j else rng.randint(0, 50) for j in range(size)) for i in range(size))
        windows = ((0, 10**6),) * size
        instance = TsptwInstance(f"open-{seed}", travel, windows)
        order = list(range(1, size))
        rng.shuffle(order)
        improved = improve_tour(tour_problem(instance), order, kicks=0)
        length = travel_of(instance, improved)
        assert all(check_tour(instance, other).travel >= length for other in neighbours(improved))
