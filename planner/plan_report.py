"""A plan as coordinators read it in a terminal: a day-by-day table in local times, then totals,
coverage and what is left out."""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from planner.document import LegOut, NightOut, PlanDocument
from planner.domain import Scenario


def _offset(moment: dt.datetime) -> str:
    """The UTC offset as people read it: UTC+06, UTC+05:30 (a half-hour zone is not rounded)."""
    offset = int((moment.utcoffset() or dt.timedelta()).total_seconds() // 60)
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"UTC{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")


def span(start: str, end: str, between: str = "–") -> str:
    """Two local times (ISO with offset) as a range: ``09:30–12:30 (UTC+06)``, the offset once when
    both share it, else after each: ``19:00 (UTC+06) -> 20:34 (UTC+05)``."""
    first, last = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
    if _offset(first) == _offset(last):
        return f"{first:%H:%M}{between}{last:%H:%M} ({_offset(first)})"
    return f"{first:%H:%M} ({_offset(first)}){between}{last:%H:%M} ({_offset(last)})"


def moment(text: str) -> str:
    """A local time (ISO with offset) with its day: ``Fri 22 Jan 09:30 (UTC+05)``."""
    when = dt.datetime.fromisoformat(text)
    return f"{when:%a %d %b %H:%M} ({_offset(when)})"


def status_words(status: str, gap: float | None) -> str:
    """What a solve's status means for the plan, in words (the objective itself is in the JSON)."""
    if status == "OPTIMAL":
        return "OPTIMAL (proven the best plan)"
    if status == "FEASIBLE":
        if gap is None:
            return "FEASIBLE (the best plan found in the time limit, not proven the best)"
        return f"FEASIBLE (the best plan found in the time limit, at most {gap * 100:.2f}% from the best)"
    return status


def render_plan(scenario: Scenario, document: PlanDocument) -> str:
    """A day-by-day table in local times, then totals, coverage and what is left out."""
    names = {c.id: c.name for c in scenario.cities}
    solver = document.solver
    # A plan written before run times were recorded has none.
    runtime = "" if document.runtime_s is None else f"solve {document.runtime_s:.2f} s  "
    lines = [
        f"{scenario.name}: {status_words(document.status.value, document.gap)}  {runtime}"
        f"(seed {solver.seed}, {solver.workers} worker(s))"
    ]
    lines.extend(_day_table(names, document))
    lines.append("")
    lines.extend(_plan_summary(names, document))
    return "\n".join(lines)


def _day_table(names: dict[str, str], document: PlanDocument) -> list[str]:
    """Seminars and legs in time order, each day named on its first line; each leg's backup under it."""
    from planner.backups import describe

    items: list[tuple[dt.datetime, str, str]] = []  # when, its time span, the rest of the line
    for seminar in document.seminars:
        items.append(
            (
                dt.datetime.fromisoformat(seminar.start),
                span(seminar.start, seminar.end),
                f"SEMINAR in {names[seminar.city]} (regions: {', '.join(seminar.regions)})",
            )
        )
    for leg in document.legs:
        depart = dt.datetime.fromisoformat(leg.depart)
        days = (dt.datetime.fromisoformat(leg.arrive).date() - depart.date()).days
        plus = f" (+{days}d)" if days else ""
        # The backup on a line of its own under its leg, indented past the day column.
        backup = f"\n{'':14}  if cancelled: {describe(leg.backup, names)}" if leg.backup else ""
        items.append(
            (
                depart,
                span(leg.depart, leg.arrive, " -> ") + plus,
                f"{leg.mode.value:<6} {leg.service:<12} {leg.from_} -> {leg.to}  "
                f"({names[leg.from_city]} -> {names[leg.to_city]}, {leg.distance_km:.0f} km){backup}",
            )
        )
    width = max((len(times) for _, times, _ in items), default=0)
    items.sort(key=lambda item: item[0])
    lines = []
    current = None
    for when, times, text in items:
        day = when.date()
        label = f"{day:%a %d %b}" if day != current else ""
        current = day
        lines.append(f"  {label:<11} {times:<{width}}  {text}")
    return lines


def _plan_summary(names: dict[str, str], document: PlanDocument) -> list[str]:
    """Coverage, travel figures, nights, cities left out and warnings."""
    totals = document.totals
    coverage = document.coverage
    regions = len(coverage.regions_covered) + len(coverage.regions_uncovered)
    lines = [
        f"Covered {len(coverage.regions_covered)} of {regions} regions "
        f"with {totals.seminars} seminars ({coverage.points}/{coverage.max_points} points)"
    ]
    if coverage.regions_uncovered:
        lines.append(f"  regions not covered: {', '.join(coverage.regions_uncovered)}")
    by_mode = ", ".join(f"{mode} {kg:.0f}" for mode, kg in totals.co2_kg_by_mode.items())
    by_mode = f" ({by_mode})" if by_mode else ""
    lines.append(
        f"Travel {totals.travel_hours:.1f} h door to door "
        f"({totals.night_travel_hours:.1f} h at night), "
        f"{totals.distance_km:.0f} km, {totals.cost:,.0f} {totals.currency}, "
        f"{totals.co2_kg:.0f} kg CO2e{by_mode}"
    )
    if document.nights:
        legs = sorted(document.legs, key=lambda leg: dt.datetime.fromisoformat(leg.depart))
        lines.append("Nights: " + "; ".join(_night(names, night, legs) for night in document.nights))
    if document.uncovered:
        lines.append("Not covered:")
        for item in document.uncovered:
            flag = " (REQUIRED)" if item.required else ""
            lines.append(f"  {names[item.city]}{flag}: {item.reason.value} - {item.detail}")
    lines.extend(f"Warning: {warning}" for warning in document.warnings)
    return lines


def _night(names: dict[str, str], night: NightOut, legs: list[LegOut]) -> str:
    """Where a night is spent: in a city, or on board a service. A night between two legs of one
    connection (the plan marks it ``in_transit``) is a stop in that city, given with its hours."""
    day = dt.date.fromisoformat(night.date)
    if night.city is None:
        return f"{day:%d %b} on {night.mode} {night.on}"
    where = f"{day:%d %b} {names[night.city]}"
    if not night.in_transit:
        return where
    for before, after in itertools.pairwise(legs):
        arrive, leave = dt.datetime.fromisoformat(before.arrive), dt.datetime.fromisoformat(after.depart)
        small_hours = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(3), arrive.tzinfo)
        if before.to_city == night.city == after.from_city and arrive <= small_hours < leave:
            return f"{where} (overnight stop on the way, {span(before.arrive, after.depart)})"
    return f"{where} (overnight stop on the way)"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """A plan (or any document) as the JSON file the planner writes: indented, UTF-8, one newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_outputs(outputs: list[tuple[str, Path, str | bytes]], said: Callable[[str, Path], str]) -> None:
    """Write each output (a picture's text or bytes), creating its folder, and say so."""
    for what, path, content in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        print(said(what, path))


def show_plan(args: argparse.Namespace, data: dict[str, Any], table: Callable[[], str]) -> None:
    """`planner plan`'s output: the plan JSON written to ``--out``, then printed (``--json``) or
    shown as its table."""
    if args.out:
        write_json(args.out, data)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    print(table())
    if args.out:
        print(f"\nPlan written to {args.out}")
