"""A plan as coordinators read it in a terminal: a day-by-day table in local times, then totals,
coverage and what is left out."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from planner.document import PlanDocument
from planner.domain import Scenario


def _clock(text: str) -> str:
    moment = dt.datetime.fromisoformat(text)
    # The offset as ISO 8601 gives it (+05, +05:30, +05:45): a half-hour zone is not rounded.
    offset = int((moment.utcoffset() or dt.timedelta()).total_seconds() // 60)
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{moment:%H:%M} {sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")


def render_plan(scenario: Scenario, document: PlanDocument) -> str:
    """A day-by-day table in local times, then totals, coverage and what is left out."""
    names = {c.id: c.name for c in scenario.cities}
    solver = document.solver
    gap = "gap unknown  " if document.gap is None else f"gap {document.gap * 100:.2f}%  "
    # A plan written before run times were recorded has none.
    runtime = "" if document.runtime_s is None else f"solve {document.runtime_s:.2f} s  "
    lines = [
        f"{scenario.name}: {document.status.value}  objective {document.objective}  "
        f"bound {document.bound}  {gap}{runtime}"
        f"(seed {solver.seed}, {solver.workers} worker(s))"
    ]
    lines.extend(_day_table(names, document))
    lines.append("")
    lines.extend(_plan_summary(names, document))
    return "\n".join(lines)


def _day_table(names: dict[str, str], document: PlanDocument) -> list[str]:
    """Seminars and legs in time order, each day named on its first line; each leg's backup under it."""
    from planner.backups import describe

    items: list[tuple[dt.datetime, str]] = []
    for seminar in document.seminars:
        items.append(
            (
                dt.datetime.fromisoformat(seminar.start),
                f"{_clock(seminar.start)}-{_clock(seminar.end)[:5]}  SEMINAR in "
                f"{names[seminar.city]} (regions: {', '.join(seminar.regions)})",
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
                f"{_clock(leg.depart)} -> {_clock(leg.arrive)}{plus}  {leg.mode.value:<6} "
                f"{leg.service:<12} {leg.from_} -> {leg.to}  "
                f"({names[leg.from_city]} -> {names[leg.to_city]}, {leg.distance_km:.0f} km){backup}",
            )
        )
    items.sort(key=lambda item: item[0])
    lines = []
    current = None
    for moment, text in items:
        day = moment.date()
        label = f"{day:%a %d %b}" if day != current else ""
        current = day
        lines.append(f"  {label:<11} {text}")
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
    lines.append(
        f"Travel {totals.travel_hours:.1f} h door to door "
        f"({totals.night_travel_hours:.1f} h at night), "
        f"{totals.distance_km:.0f} km, {totals.cost:,.0f} {totals.currency}, "
        f"{totals.co2_kg:.0f} kg CO2e ({by_mode})"
    )
    if document.nights:
        where = [
            f"{dt.date.fromisoformat(night.date):%d %b} "
            + (names[night.city] if night.city else f"on {night.mode} {night.on}")
            for night in document.nights
        ]
        lines.append("Nights: " + "; ".join(where))
    if document.uncovered:
        lines.append("Not covered:")
        for item in document.uncovered:
            flag = " (REQUIRED)" if item.required else ""
            lines.append(f"  {names[item.city]}{flag}: {item.reason.value} - {item.detail}")
    lines.extend(f"Warning: {warning}" for warning in document.warnings)
    return lines


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
