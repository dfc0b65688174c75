"""The rules of the document's shape, found by the parse step: plan_format and local_times."""

from __future__ import annotations

from collections.abc import Iterator

from planner.check.basics import Violation
from planner.check.context import Context


def local_times(ctx: Context) -> Iterator[Violation]:
    """Every time shown is local to its city, with that city's offset."""
    return (p for p in ctx.problems if p.rule == "local_times")


def plan_format(ctx: Context) -> Iterator[Violation]:
    """The plan document has every field, of the right type (a broken item is left out of the
    other rules, and the objective is then not recomputed)."""
    return (p for p in ctx.problems if p.rule == "plan_format")
