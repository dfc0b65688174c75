"""A member joining en route on the two-team flagship: UNDP officer B lives in Almaty and is free
only from Wednesday 20 January 2016 08:00 [EST, illustrative] (`joins_en_route`).

    .venv/bin/python benchmarks/joining.py [--time-limit 300] [--out benchmarks/joining-results.md]

Plans the two-team flagship as it is and with that member joining en route, one worker, each
within `--time-limit` seconds, and prints side by side: status and gap, the time to the first plan
and to within 1 % of the final bound, regions and seminars, where and when the member joins, the
trip's total cost and the member's own. Prints a table and writes it with the CPU model and this
run's calibration figure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from machine import calibration_s, describe
from teams import timed_teams

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.check.teams import check_team_plan  # noqa: E402
from planner.domain import Scenario  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402

SCENARIOS = ROOT / "scenarios"


def with_joiner(two: Scenario) -> Scenario:
    """The two-team flagship with UNDP officer B joining the South team en route from Almaty."""
    data = two.model_dump(mode="json")
    for member in data["members"]:
        if member["id"] == "undp-b":
            member.update(home_city="almaty", available_from="2016-01-20T08:00", joins_en_route=True)
    return Scenario.model_validate(data)


def row(label: str, scenario: Scenario, document: dict[str, Any], times: dict[str, float | None]) -> str:
    def seconds(value: float | None) -> str:
        return "not reached" if value is None else f"{value:.1f} s"

    gap = ""
    if document["objective"] and document["bound"] is not None:
        gap = f" ({(document['objective'] - document['bound']) / abs(document['objective']):.1%} gap)"
    joins = "-"
    for team in document["teams"]:
        if team.get("joiner"):
            joiner = team["joiner"]
            joins = f"{joiner['member']} at {scenario.city(joiner['city']).name}, {joiner['at'][:16]}"
    undp_b = next(p for p in document["costs"]["people"] if p["member"] == "undp-b")
    valid = "yes" if check_team_plan(scenario, document) == [] else "NO"
    return (
        f"| {label} | {document['status']}{gap} | {seconds(times['first'])} "
        f"| {seconds(times['within_1pct'])} "
        f"| {len(document['coverage']['regions_covered'])} | {len(document['coverage']['cities'])} | {joins} "
        f"| {document['costs']['total']:,.0f} | {undp_b['total']:,.0f} | {valid} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "joining-results.md")
    args = parser.parse_args()
    calibration = calibration_s()
    machine = describe(calibration)
    two = load_scenario(SCENARIOS / "kazakhstan-winter-2016-two-teams.yaml")
    rows = []
    for label, scenario in (("two teams", two), ("UNDP officer B joins en route", with_joiner(two))):
        limited = scenario.solver.model_copy(update={"time_limit_s": args.time_limit, "workers": 1})
        document, times = timed_teams(scenario, limited)
        rows.append(row(label, scenario, document, times))
    lines = [
        "# A member joining en route on the two-team flagship",
        "",
        machine,
        "",
        f"One worker, {args.time_limit:.0f} s limit each ({args.time_limit / calibration:.0f} calibrations).",
        "",
        "| plan | status | first plan | within 1 % | regions | seminars | joins | trip cost (KZT) "
        "| UNDP officer B (KZT) | checker |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Run by hand as `cd benchmarks && ../.venv/bin/python joining.py`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
