"""TSPTW benchmark instances (LI format) and their adapter to the planner's CP-SAT engine.

The classic instances of the travelling salesman problem with time windows (Dumas
et al. 1995; Gendreau et al. 1998, in the format of the López-Ibáñez & Blum
collection) have published optimal travel times, so solving them checks the
engine against an outside reference. The mapping: node i is a city, the matrix is
the travel time between cities used exactly as given (it breaks the triangle
inequality; nothing here repairs it), each customer's window is the window of a
zero-length seminar that must be held, and the delegation leaves the depot (node
0) when its window opens and must be back before it closes. The objective is the
total travel time of the closed tour, the return included; waiting is free.

The instances run on :mod:`planner.cpsat.time_window_tour`, the circuit
formulation of the same engine (see there why not the time-expanded one).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from planner.cpsat.time_window_tour import DEPOT, TourProblem, TourResult, solve_tour
from planner.domain import SolverParams


class TsptwFormatError(ValueError):
    """An instance file that does not follow the LI format, located by file and line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        super().__init__(f"{source}:{line}: {message}")


@dataclass(frozen=True)
class TsptwInstance:
    """Node 0 is the depot; ``travel[i][j]`` is the time from i to j; ``windows[i]`` is (a_i, b_i)."""

    name: str
    travel: tuple[tuple[int, ...], ...]
    windows: tuple[tuple[int, int], ...]

    @property
    def nodes(self) -> int:
        return len(self.windows)

    @property
    def customers(self) -> int:
        return self.nodes - 1


def _layout_problem(
    source: str, lines: list[tuple[int, list[str]]], size: int, found: int, expected: int
) -> TsptwFormatError:
    """Locate a wrong count of numbers: the first line that breaks the usual layout.

    The format is a stream, but every LI file puts N alone on a line, one matrix row
    per line and one window per line, so the first line that breaks that layout is
    where a number went missing or one too many crept in.
    """
    counts = [1] + [size] * size + [2] * size
    names = (
        ["the line with N"]
        + [f"matrix row {i}" for i in range(size)]
        + [f"window of node {i}" for i in range(size)]
    )
    totals = f"{found} numbers in the file, {expected} expected for N = {size}"
    for index, (number, fields) in enumerate(lines):
        if index >= len(counts):
            return TsptwFormatError(
                source, number, f"unexpected {fields[0]!r} after the {size} time windows ({totals})"
            )
        if len(fields) != counts[index]:
            return TsptwFormatError(
                source,
                number,
                f"{names[index]} has {len(fields)} numbers, expected {counts[index]} ({totals})",
            )
    return TsptwFormatError(
        source, lines[-1][0], f"file ends too early: missing from {names[len(lines)]} on ({totals})"
    )


def parse_tsptw(text: str, source: str = "<string>", name: str | None = None) -> TsptwInstance:
    """Read an instance in the LI format; a malformed one raises :class:`TsptwFormatError`.

    The format is a stream of integers: N (nodes, the depot included), the N x N
    travel matrix row by row, then N windows ``a b``, the depot's first. Lines
    starting with ``#`` are comments. Errors name the file and the line.
    """
    lines = [
        (number, line.split())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.split() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise TsptwFormatError(source, 1, "empty file: expected the number of nodes N first")
    fields = [(field, number) for number, line_fields in lines for field in line_fields]

    def integer(index: int, what: str) -> int:
        field, number = fields[index]
        try:
            return int(field)
        except ValueError:
            raise TsptwFormatError(source, number, f"{field!r} is not an integer ({what})") from None

    size = integer(0, "the number of nodes N")
    if size < 2:
        raise TsptwFormatError(
            source,
            fields[0][1],
            f"the number of nodes N must be at least 2 (a depot and a customer), got {size}",
        )
    expected = 1 + size * size + 2 * size
    if len(fields) != expected:
        raise _layout_problem(source, lines, size, len(fields), expected)
    travel = []
    for i in range(size):
        row = []
        for j in range(size):
            index = 1 + i * size + j
            value = integer(index, f"travel time from node {i} to node {j}")
            if value < 0:
                raise TsptwFormatError(
                    source, fields[index][1], f"travel time from node {i} to node {j} is negative ({value})"
                )
            row.append(value)
        travel.append(tuple(row))
    windows = []
    for i in range(size):
        index = 1 + size * size + 2 * i
        opens = integer(index, f"window start of node {i}")
        closes = integer(index + 1, f"window end of node {i}")
        if opens > closes:
            raise TsptwFormatError(
                source,
                fields[index + 1][1],
                f"window of node {i} closes before it opens: [{opens}, {closes}]",
            )
        windows.append((opens, closes))
    return TsptwInstance(name or source, tuple(travel), tuple(windows))


def load_tsptw(path: Path | str) -> TsptwInstance:
    """Read an instance file; its name is the file name without ``.txt`` (``n20w20.001``)."""
    path = Path(path)
    name = path.name.removesuffix(".txt")
    return parse_tsptw(path.read_text(encoding="ascii", errors="replace"), source=str(path), name=name)


def tour_problem(instance: TsptwInstance) -> TourProblem:
    """The planner's problem for an instance: the matrix as given, every window a required visit."""
    return TourProblem(travel=instance.travel, windows=instance.windows)


@dataclass(frozen=True)
class TourCheck:
    """A tour re-scored from the instance alone: travel time, return time, what is wrong."""

    travel: int
    back_at_depot: int
    problems: tuple[str, ...]


def check_tour(instance: TsptwInstance, order: Sequence[int]) -> TourCheck:
    """Re-score a customer order: leave the depot when it opens, wait for each window, return.

    Independent of the model: recomputed from the raw matrix and windows.
    """
    problems = []
    expected = set(range(1, instance.nodes))
    if sorted(order) != sorted(expected):
        missing = sorted(expected - set(order))
        repeated = sorted({c for c in order if list(order).count(c) > 1})
        strange = sorted(set(order) - expected)
        problems.append(
            f"not every customer exactly once: missing {missing}, repeated {repeated}, unknown {strange}"
        )
    now = instance.windows[DEPOT][0]
    travel = 0
    here = DEPOT
    for customer in order:
        if not 0 < customer < instance.nodes:
            continue
        travel += instance.travel[here][customer]
        opens, closes = instance.windows[customer]
        now = max(now + instance.travel[here][customer], opens)
        if now > closes:
            problems.append(f"customer {customer} reached at {now}, after its window closes at {closes}")
        here = customer
    travel += instance.travel[here][DEPOT]
    now += instance.travel[here][DEPOT]
    if now > instance.windows[DEPOT][1]:
        problems.append(f"back at the depot at {now}, after it closes at {instance.windows[DEPOT][1]}")
    return TourCheck(travel, now, tuple(problems))


def solve_tsptw(instance: TsptwInstance, params: SolverParams | None = None) -> TourResult:
    """Solve an instance with the planner's CP-SAT engine (circuit formulation)."""
    return solve_tour(tour_problem(instance), params or SolverParams())


@dataclass(frozen=True)
class KnownValue:
    """A published optimum (total travel time) for one instance, from ``known_values.csv``."""

    set_name: str
    instance: str
    file: str
    travel_optimum: int


def load_known_values(path: Path | str) -> dict[str, KnownValue]:
    """Published travel-time optima keyed by ``set/instance`` (``dumas/n20w20.001``)."""
    values = {}
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            value = KnownValue(row["set"], row["instance"], row["file"], int(row["tt_optimum"]))
            values[f"{value.set_name}/{value.instance}"] = value
    return values
