"""TSPTW benchmark instances: published optima reached and proven, tours re-checked, bad files named.

The instances and their published values are copied into tests/data/tsptw (see the
README there), so the tests do not depend on the shared benchmark folder.
"""

from __future__ import annotations

import csv
import itertools
import math
import random
from pathlib import Path

import pytest

from planner.cpsat.time_window_tour import reduce_problem
from planner.cpsat.tour_beam import beam_tour
from planner.domain import SolverParams
from planner.result import SolveStatus
from planner.tsptw import (
    TsptwFormatError,
    TsptwInstance,
    check_tour,
    load_tsptw,
    parse_tsptw,
    solve_tsptw,
    tour_problem,
)
from tests.tsptw_gen import random_matrix_and_order

DATA = Path(__file__).resolve().parent / "data" / "tsptw"


def published_optima() -> list[tuple[str, int]]:
    with (DATA / "known_values.csv").open(newline="", encoding="utf-8") as handle:
        return [(row["file"], int(row["tt_optimum"])) for row in csv.DictReader(handle)]


def rescore(instance: TsptwInstance, order: tuple[int, ...]) -> int:
    """Travel time of a tour, asserting it is one: written here, apart from the planner's own check."""
    assert sorted(order) == list(range(1, instance.nodes)), "every customer exactly once"
    now = instance.windows[0][0]
    here = 0
    travel = 0
    for customer in order:
        travel += instance.travel[here][customer]
        now = max(now + instance.travel[here][customer], instance.windows[customer][0])
        assert now <= instance.windows[customer][1], f"customer {customer} served at {now}, window closed"
        here = customer
    travel += instance.travel[here][0]
    now += instance.travel[here][0]
    assert now <= instance.windows[0][1], "back at the depot after it closes"
    return travel


@pytest.mark.parametrize(("file", "optimum"), published_optima(), ids=lambda v: str(v))
def test_published_optimum_is_reached_and_proven(file, optimum):
    """A tour proven optimal whose travel time, recomputed from the file, is the published optimum."""
    instance = load_tsptw(DATA / file)
    result = solve_tsptw(instance, SolverParams(time_limit_s=3600, workers=1))
    assert result.status == SolveStatus.OPTIMAL
    assert result.objective == optimum
    assert result.bound == optimum
    assert rescore(instance, result.order) == optimum


def test_same_seed_and_workers_give_the_same_tour():
    instance = load_tsptw(DATA / "gendreau" / "n20w200.003.txt")
    params = SolverParams(time_limit_s=3600, seed=3, workers=1)
    first, second = solve_tsptw(instance, params), solve_tsptw(instance, params)
    assert (first.status, first.objective, first.order) == (second.status, second.objective, second.order)


def test_the_matrix_is_used_exactly_as_given():
    """n20w20.001 breaks the triangle inequality (d(2,3) = 47 > 46 via 9); the parser keeps it."""
    instance = load_tsptw(DATA / "dumas" / "n20w20.001.txt")
    assert instance.travel[2][3] == 47
    assert instance.travel[2][9] + instance.travel[9][3] == 46
    assert instance.nodes == 21
    assert instance.windows[0] == (0, 408)


def random_instance(seed: int) -> TsptwInstance:
    """Up to 6 customers, an asymmetric matrix with zeros and no triangle inequality, windows
    around a random tour's times (so most are feasible), some of them very tight."""
    rng = random.Random(seed)
    size = rng.randint(3, 7)
    travel, planned = random_matrix_and_order(rng, size)
    windows = [(0, 0)] * size
    now, here = 0, 0
    for customer in planned:
        now += travel[here][customer] + rng.randint(0, 10)
        spread = rng.choice([0, 3, 15, 60])
        windows[customer] = (max(0, now - rng.randint(0, spread)), now + rng.randint(0, spread))
        here = customer
    horizon = now + travel[here][0] + rng.randint(-5, 30)
    windows[0] = (0, max(0, horizon))
    return TsptwInstance(f"random-{seed}", tuple(tuple(row) for row in travel), tuple(windows))


def random_windows_instance(seed: int) -> TsptwInstance:
    """Up to 7 customers at random points, distances truncated and some shortened by 15 (so the
    triangle inequality fails), windows placed at random: many of these have no feasible tour."""
    rng = random.Random(seed)
    size = rng.randint(5, 8)
    points = [(rng.randint(0, 50), rng.randint(0, 50)) for _ in range(size)]
    travel = [
        [
            0 if i == j else max(0, int(math.dist(points[i], points[j])) - rng.choice([0, 0, 0, 15]))
            for j in range(size)
        ]
        for i in range(size)
    ]
    horizon = rng.randint(100, 300)
    windows = [(0, horizon)]
    for _ in range(size - 1):
        opens = rng.randint(0, horizon)
        windows.append((opens, opens + rng.randint(0, 80)))
    return TsptwInstance(f"random-windows-{seed}", tuple(tuple(row) for row in travel), tuple(windows))


def brute_force(instance: TsptwInstance) -> int | None:
    """Least travel time over every order of the customers, or None if none keeps the windows."""
    best = None
    for order in itertools.permutations(range(1, instance.nodes)):
        now, here, travel, on_time = instance.windows[0][0], 0, 0, True
        for customer in order:
            travel += instance.travel[here][customer]
            now = max(now + instance.travel[here][customer], instance.windows[customer][0])
            if now > instance.windows[customer][1]:
                on_time = False
                break
            here = customer
        if not on_time or now + instance.travel[here][0] > instance.windows[0][1]:
            continue
        travel += instance.travel[here][0]
        best = travel if best is None else min(best, travel)
    return best


@pytest.mark.parametrize("seed", range(60))
def test_optimum_equals_brute_force_on_tiny_matrices_without_triangle_inequality(seed):
    """Window tightening, precedences and arc removal stay exact when the triangle inequality fails;
    an instance without a feasible tour is reported INFEASIBLE."""
    instance = random_instance(seed) if seed % 2 else random_windows_instance(seed)
    expected = brute_force(instance)
    result = solve_tsptw(instance, SolverParams(time_limit_s=3600, workers=1))
    if expected is None:
        assert result.status == SolveStatus.INFEASIBLE
        return
    assert result.status == SolveStatus.OPTIMAL
    assert result.objective == expected
    assert rescore(instance, result.order) == expected


@pytest.mark.parametrize("width", [1, 30, 1000])
@pytest.mark.parametrize(("file", "optimum"), published_optima(), ids=lambda v: str(v))
def test_the_beam_tour_is_feasible_and_never_beats_the_published_optimum(file, optimum, width):
    """A beam of any width gives a tour the independent check accepts, or none (only a narrow beam
    may lose every partial tour)."""
    instance = load_tsptw(DATA / file)
    problem = tour_problem(instance)
    tour = beam_tour(problem, reduce_problem(problem), width)
    if tour is None:
        assert width < 1000
        return
    checked = check_tour(instance, tour)
    assert checked.problems == ()
    assert checked.travel >= optimum
    assert rescore(instance, tuple(tour)) == checked.travel


def test_the_beam_is_deterministic():
    problem = tour_problem(load_tsptw(DATA / "gendreau" / "n20w200.003.txt"))
    reductions = reduce_problem(problem)
    assert beam_tour(problem, reductions, 50) == beam_tour(problem, reductions, 50)


@pytest.mark.parametrize("seed", range(60))
def test_the_beam_finds_a_feasible_tour_exactly_when_one_exists_on_tiny_matrices(seed):
    """Wide enough to keep every label on up to 7 customers, the beam is an exact search for a
    feasible tour; it may miss the optimum (it ranks by a bound, not the full completion)."""
    instance = random_instance(seed) if seed % 2 else random_windows_instance(seed)
    expected = brute_force(instance)
    problem = tour_problem(instance)
    tour = beam_tour(problem, reduce_problem(problem), 10_000)
    if expected is None:
        assert tour is None
        return
    assert tour is not None
    assert rescore(instance, tuple(tour)) >= expected


GOOD = "3\n0 5 7\n5 0 4\n7 4 0\n0 100\n10 20\n30 40\n"


def test_a_well_formed_file_parses():
    instance = parse_tsptw(GOOD, source="good.txt")
    assert instance.travel == ((0, 5, 7), (5, 0, 4), (7, 4, 0))
    assert instance.windows == ((0, 100), (10, 20), (30, 40))


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "empty file"),
        ("1\n0\n0 10\n", 1, "at least 2"),
        ("3\n0 5 7\n5 0 4\n7 4\n0 100\n10 20\n30 40\n", 4, "matrix row 2 has 2 numbers, expected 3"),
        (
            "3\n0 5 7\n5 0 4\n7 4 0\n0 100\n10 20\n",
            6,
            "file ends too early: missing from window of node 2 on",
        ),
        (
            "3\n0 5 7\n5 0 x4\n7 4 0\n0 100\n10 20\n30 40\n",
            3,
            "'x4' is not an integer (travel time from node 1 to node 2)",
        ),
        (
            "3\n0 5 7\n5 0 -4\n7 4 0\n0 100\n10 20\n30 40\n",
            3,
            "travel time from node 1 to node 2 is negative",
        ),
        (
            "3\n0 5 7\n5 0 4\n7 4 0\n0 100\n20 10\n30 40\n",
            6,
            "window of node 1 closes before it opens: [20, 10]",
        ),
        (
            "3\n0 5 7\n5 0 4\n7 4 0\n0 100\n10 20\n30 40\n99\n",
            8,
            "unexpected '99' after the 3 time windows (17 numbers in the file, 16 expected",
        ),
        (
            "3\n0 5 7\n5 0 4\n7 4 0\n0 100\n10 20\n30 4.5\n",
            7,
            "'4.5' is not an integer (window end of node 2)",
        ),
    ],
    ids=[
        "empty",
        "one-node",
        "short-row",
        "truncated",
        "not-a-number",
        "negative",
        "window-reversed",
        "extra",
        "decimal",
    ],
)
def test_a_malformed_file_names_the_file_the_line_and_the_problem(text, line, words):
    with pytest.raises(TsptwFormatError) as caught:
        parse_tsptw(text, source="bad.txt")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"bad.txt:{line}: ")
    assert words in str(caught.value)


def test_comment_lines_are_skipped_and_counted(tmp_path):
    """LI files may carry '#' comment lines; line numbers in errors still match the file."""
    path = tmp_path / "commented.txt"
    path.write_text("# Sum of service times: 0\n" + GOOD.replace("30 40", "30 x"))
    with pytest.raises(TsptwFormatError, match=r"commented\.txt:8: 'x' is not an integer"):
        load_tsptw(path)
    path.write_text("# Sum of service times: 0\n" + GOOD)
    assert load_tsptw(path).windows[2] == (30, 40)
