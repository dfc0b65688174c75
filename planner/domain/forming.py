"""Teams formed by the planner: the scenario's `forming` section, and the distinct ways to split the
members into teams within its limits.

Two members are *alike* when everything of theirs but their id and name is equal (role,
availability, per-diem rate, and any field a member gains later): the staffing rule counts roles,
a team's window is narrowed by its members' availability, and costs follow the per-diem rate, so
no rule and no part of the objective tells alike members apart. Swapping two alike members between
teams therefore maps every plan of one split to a plan of the other with the same coverage and
cost. All formed teams also start and end in the same cities, so the order of the teams does not
matter either. The distinct splits are the multisets of teams, each team a multiset of members up
to that likeness: one representative per class of equivalent splits, so planning each of them and
keeping the best finds the best split of all.

An ``optional`` member may also stay at home, in no team. Being optional is part of what makes
members alike, so the choice is how many of each optional class stay home: for each such count
vector, the distinct splits of the members left to place. Different vectors place different
multisets of members, so every pair of home vector and split is again one class of equivalent
assignments, met once. The size limits count the members placed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from pydantic import Field

from planner.domain.people import Member, Team
from planner.domain.values import Frozen, Identifier, Whole

if TYPE_CHECKING:
    from planner.domain.scenario import Scenario

# Each distinct split is planned in full; past this many, the scenario asks for narrower limits.
MAX_SPLITS = 500


class Forming(Frozen):
    """Teams the planner forms from the members, within limits (instead of fixed `teams`)."""

    teams: Whole = Field(ge=1, le=8, description="How many teams to form.")
    min_size: Whole = Field(default=1, ge=1, le=100, description="Members per team, at least.")
    max_size: Whole | None = Field(default=None, ge=1, le=100, description="Members per team, at most.")
    start_city: Identifier | None = Field(default=None, description="Else the delegation's start city.")
    end_city: Identifier | None = Field(default=None, description="Else the delegation's end city.")


def alike_key(member: Member) -> str:
    """What the rules and the objective see of a member: everything but its id and name."""
    return member.model_dump_json(exclude={"id", "name"})


def member_classes(members: Sequence[Member]) -> list[list[str]]:
    """The member ids grouped by likeness, classes and ids in the scenario's order."""
    classes: dict[str, list[str]] = {}
    for member in members:
        classes.setdefault(alike_key(member), []).append(member.id)
    return list(classes.values())


def class_is_optional(members: Sequence[Member], classes: list[list[str]]) -> list[bool]:
    """Whether each class's members are optional (alike members agree on it)."""
    optional = {member.id for member in members if member.optional}
    return [ids[0] in optional for ids in classes]


def size_limits(forming: Forming, members: int) -> tuple[int, int]:
    return forming.min_size, forming.max_size if forming.max_size is not None else members


def distinct_splits(
    counts: Sequence[int], teams: int, low: int, high: int
) -> Iterator[tuple[tuple[int, ...], ...]]:
    """Every split of a multiset (``counts[c]`` members of class ``c``) into ``teams`` teams of
    ``low`` to ``high`` members, each once: a team is a count vector, and a split lists its teams
    in decreasing lexicographic order (the one order of a multiset of teams)."""
    total = sum(counts)
    if teams < 1 or not teams * low <= total <= teams * high:
        return
    first_cap = tuple(counts)
    yield from _splits(tuple(counts), teams, low, high, first_cap)


def distinct_splits_with_home(
    counts: Sequence[int], optional: Sequence[bool], teams: int, low: int, high: int
) -> Iterator[tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]]:
    """Every way to leave some optional members at home and split the rest into ``teams`` teams of
    ``low`` to ``high`` members, each once: ``(home, split)``, ``home[c]`` the members of class
    ``c`` in no team (0 for a required class) and ``split`` a distinct split of the others.
    Fewest at home first, so with no optional member this is ``distinct_splits`` with nobody home."""
    choices = [range(n + 1) if flag else range(1) for n, flag in zip(counts, optional, strict=True)]
    for home in sorted(itertools.product(*choices), key=sum):
        placed = [n - h for n, h in zip(counts, home, strict=True)]
        for split in distinct_splits(placed, teams, low, high):
            yield home, split


def _splits(
    left: tuple[int, ...], teams: int, low: int, high: int, cap: tuple[int, ...]
) -> Iterator[tuple[tuple[int, ...], ...]]:
    if teams == 1:
        if low <= sum(left) <= high and left <= cap:
            yield (left,)
        return
    for team in _teams(left, low, high, cap):
        rest = tuple(n - k for n, k in zip(left, team, strict=True))
        if (teams - 1) * low <= sum(rest) <= (teams - 1) * high:
            for others in _splits(rest, teams - 1, low, high, team):
                yield (team, *others)


def _teams(left: tuple[int, ...], low: int, high: int, cap: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    """Count vectors at most ``left`` in each class, of ``low`` to ``high`` members, not above
    ``cap`` lexicographically, in decreasing lexicographic order."""
    after = [sum(left[i:]) for i in range(len(left) + 1)]

    def build(index: int, prefix: tuple[int, ...], size: int, tight: bool) -> Iterator[tuple[int, ...]]:
        if index == len(left):
            if size >= low:
                yield prefix
            return
        top = min(left[index], high - size, cap[index] if tight else left[index])
        for count in range(top, -1, -1):
            if size + count + after[index + 1] < low:
                break  # fewer here cannot reach the least size either
            yield from build(index + 1, (*prefix, count), size + count, tight and count == cap[index])

    yield from build(0, (), 0, True)


def split_teams(
    forming: Forming, classes: list[list[str]], split: Sequence[Sequence[int]]
) -> tuple[Team, ...]:
    """The teams of a split: team-1, team-2, ... in the split's order (named by their ids), each
    class's members handed out in the scenario's order; those of a class the split does not place
    (optional members left at home) are its last."""
    pools = [list(ids) for ids in classes]
    order = {member: i for i, member in enumerate(m for ids in classes for m in ids)}
    teams = []
    for number, vector in enumerate(split, 1):
        members: list[str] = []
        for pool, count in zip(pools, vector, strict=True):
            members += pool[:count]
            del pool[:count]
        teams.append(
            Team(
                id=f"team-{number}",
                members=tuple(sorted(members, key=order.__getitem__)),
                start_city=forming.start_city,
                end_city=forming.end_city,
            )
        )
    return tuple(teams)


def formed_scenario(scenario: Scenario, teams: Sequence[Team]) -> Scenario:
    """The scenario with the formed teams fixed: from here on it is an ordinary team scenario."""
    return scenario.model_copy(update={"teams": tuple(teams), "forming": None})


def forming_problems(scenario: Scenario, city_ids: set[str]) -> list[tuple[tuple[str | int, ...], str]]:
    """Limits that cannot place every required member, `forming` beside fixed `teams`, unknown
    cities, and more distinct splits than are planned."""
    forming = scenario.forming
    if forming is None:
        return []
    if scenario.teams:
        return [
            (("forming",), "give either fixed `teams` or `forming` (teams formed by the planner), not both")
        ]
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if scenario.budget is not None and scenario.budget.enforce == "priority":
        # Splits are compared by coverage, then travel cost; an overrun weighed against coverage
        # would need a third term in that comparison, and would void the coverage bound.
        problems.append(
            (("budget", "enforce"), "`priority` is not yet offered with `forming`; use hard or report")
        )
    for field in ("start_city", "end_city"):
        value = getattr(forming, field)
        if value is not None and value not in city_ids:
            problems.append((("forming", field), f"unknown city {value!r}"))
    members = len(scenario.members)
    required = sum(1 for member in scenario.members if not member.optional)
    low, high = size_limits(forming, members)
    if low > high:
        problems.append((("forming", "max_size"), f"{high} is below min_size {low}"))
    elif forming.teams * low > members:
        problems.append(
            (
                ("forming", "min_size"),
                f"{forming.teams} teams of at least {low} need {forming.teams * low} members; "
                f"there are {members}",
            )
        )
    elif forming.teams * high < required:
        problems.append(
            (
                ("forming", "max_size"),
                f"{forming.teams} teams of at most {high} place {forming.teams * high} of the "
                + (
                    f"{members} members; every member travels in a team"
                    if required == members
                    else f"{required} required members; every member not `optional` travels in a team"
                ),
            )
        )
    else:
        classes = member_classes(scenario.members)
        counts = [len(ids) for ids in classes]
        optional = class_is_optional(scenario.members, classes)
        splits = distinct_splits_with_home(counts, optional, forming.teams, low, high)
        if next(itertools.islice(splits, MAX_SPLITS, None), None) is not None:
            problems.append(
                (
                    ("forming",),
                    f"more than {MAX_SPLITS} distinct splits of the members to plan; narrow the "
                    "sizes or form fewer teams",
                )
            )
    return problems
