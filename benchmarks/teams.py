"""Team plans: the two-team flagship against the one-team plan, and three teams on a 24-city instance.

    .venv/bin/python benchmarks/teams.py [--time-limit 120] [--out benchmarks/teams-results.md]

- The two-team flagship (`scenarios/kazakhstan-winter-2016-two-teams.yaml`) solved with no
  binding wall-clock limit on one worker: time to the first plan, to within 1 % and to the proof.
- The one-team flagship plan and the two-team plan side by side: regions, seminars, travel hours,
  nights away, cost per person (the two-team file's [EST] hotel and per-diem rates applied to the
  one-team plan's four people too).
- Three teams of two on the 24-city, 21-day synthetic instance (`synthetic_scenario(24, 21,
  seed=1)`, the scaling table's 24x21), one worker, `--time-limit` seconds: first plan, within 1 %,
  final status and gap.

Prints a table and writes it with the CPU model and this run's calibration figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from machine import calibration_s, describe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.domain import Scenario, SolverParams  # noqa: E402
from planner.result import plan_json  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402
from planner.solve import plan  # noqa: E402
from planner.synthetic import synthetic_scenario  # noqa: E402
from planner.teams import plan_teams, teams_plan_json  # noqa: E402

SCENARIOS = ROOT / "scenarios"


def timed_teams(scenario: Scenario, params: SolverParams) -> tuple[dict[str, Any], dict[str, float | None]]:
    """The team plan, and seconds to the first plan, to within 1 % (of the final bound) and in all."""
    seen: list[tuple[float, int, int]] = []
    started = time.perf_counter()
    outcome = plan_teams(scenario, params, on_solution=lambda s, o, b: seen.append((s, o, b)))
    total = time.perf_counter() - started
    document = teams_plan_json(scenario, outcome)
    bound = outcome.bound if outcome.bound is not None else None
    within = None
    if bound is not None:
        within = next((s for s, o, _ in seen if o == 0 or (o - bound) / abs(o) <= 0.01), None)
    times = {"first": seen[0][0] if seen else None, "within_1pct": within, "total": total}
    return document, times


def three_teams() -> Scenario:
    data = synthetic_scenario(24, 21, seed=1).model_dump(mode="json")
    data["members"] = [
        {"id": f"{role}-{n}", "name": f"{role.title()} {n}", "role": role}
        for n in (1, 2, 3)
        for role in ("trainer", "ministry")
    ]
    data["teams"] = [{"id": f"team-{n}", "members": [f"trainer-{n}", f"ministry-{n}"]} for n in (1, 2, 3)]
    data["staffing"] = {"roles": {"trainer": 1, "ministry": 1}}
    return Scenario.model_validate(data)


def one_team_figures(two: Scenario) -> dict[str, Any]:
    """The one-team flagship plan's figures, its people costed at the two-team file's rates."""
    flagship = load_scenario(SCENARIOS / "kazakhstan-winter-2016.yaml")
    problem, result = plan(flagship, flagship.solver.model_copy(update={"time_limit_s": 3600, "workers": 1}))
    data = plan_json(flagship, problem.axis, result)
    costs = two.costs
    assert costs is not None
    size = flagship.delegation.size
    nights = [n for n in data["nights"] if n.get("city")]
    legs = data["legs"]
    import datetime as dt

    days = (
        dt.datetime.fromisoformat(legs[-1]["arrive"]).date()
        - dt.datetime.fromisoformat(legs[0]["depart"]).date()
    ).days + 1
    per_person = (
        sum(leg["cost"] for leg in legs) / size
        + sum(costs.hotel(n["city"]) for n in nights)
        + costs.per_diem * days
    )
    return {
        "regions": len(data["coverage"]["regions_covered"]),
        "seminars": len(data["seminars"]),
        "travel_hours": data["totals"]["travel_hours"],
        "nights": len(nights),
        "people": size,
        "per_person": per_person,
        "total": per_person * size,
    }


def aktau_replan(
    two: Scenario, params: SolverParams, first: dict[str, Any]
) -> tuple[dict[str, Any], float, list[str]]:
    """The two-team plan replanned at the announcement of the Aktau closure: the new version, its
    time, and per team what changed (stability points, and whether its future legs are the same)."""
    import datetime as dt

    from planner.scenario import load_events
    from planner.team_replan import replan_teams

    events = load_events(SCENARIOS / "events" / "aktau-airport-closed.yaml", two).events
    now = dt.datetime.fromisoformat("2016-01-21T07:00+05:00")
    started = time.perf_counter()
    second = replan_teams(two, first, now, tuple(events), params)
    seconds = time.perf_counter() - started
    changes = []
    for before, after in zip(first["teams"], second["teams"], strict=True):
        ahead = [
            (leg["service"], leg["depart"])
            for leg in before["plan"]["legs"]
            if dt.datetime.fromisoformat(leg["depart"]) >= now
        ]
        kept = [
            (leg["service"], leg["depart"])
            for leg in after["plan"]["legs"]
            if dt.datetime.fromisoformat(leg["depart"]) >= now
        ]
        same = "the same legs" if ahead == kept else "other legs"
        changes.append(f"{after['id']}: {after['plan']['stability_points']} stability points, {same}")
    return second, seconds, changes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "teams-results.md")
    args = parser.parse_args()
    calibration = calibration_s()
    machine = describe(calibration)
    two = load_scenario(SCENARIOS / "kazakhstan-winter-2016-two-teams.yaml")
    unhurried = two.solver.model_copy(update={"time_limit_s": 3600, "workers": 1})
    document, two_times = timed_teams(two, unhurried)
    one = one_team_figures(two)
    costs = document["costs"]
    people = len(costs["people"])
    travel = sum(t["plan"]["totals"]["travel_hours"] for t in document["teams"])
    team_nights = {p["team"]: p["hotel_nights"] for p in costs["people"]}  # the same for a team's members
    replanned, replan_s, changes = aktau_replan(two, unhurried, document)
    synthetic = three_teams()
    limited = synthetic.solver.model_copy(update={"time_limit_s": args.time_limit, "workers": 1})
    three, three_times = timed_teams(synthetic, limited)

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} ({value / calibration:.0f} cal.)"

    gap = "-"
    if three["objective"] and three["bound"] is not None:
        gap = f"{(three['objective'] - three['bound']) / abs(three['objective']) * 100:.2f} %"
    lines = [
        "# Team plans",
        "",
        f"Machine: {machine}. Seconds, with the same figure in calibrations (cal.) in brackets.",
        "",
        "| instance | teams | status | first plan s | within 1 % s | total s | gap |",
        "|---|---|---|---|---|---|---|",
        f"| two-team flagship, no limit, 1 worker | 2 | {document['status']} | "
        f"{seconds(two_times['first'])} | "
        f"{seconds(two_times['within_1pct'])} | {seconds(two_times['total'])} | "
        f"{'0.00 %' if document['status'] == 'OPTIMAL' else '-'} |",
        f"| synthetic 24x21, {args.time_limit:.0f} s limit, 1 worker | 3 | {three['status']} | "
        f"{seconds(three_times['first'])} | {seconds(three_times['within_1pct'])} | "
        f"{seconds(three_times['total'])} | {gap} |",
        "",
        "The flagship in one team and in two (costs at the two-team file's [EST] rates for both):",
        "",
        "| plan | people | regions | seminars | travel h (summed over teams) | hotel nights per team |"
        " cost per person (KZT) | total (KZT) |",
        "|---|---|---|---|---|---|---|---|",
        f"| one team | {one['people']} | {one['regions']} | {one['seminars']} | {one['travel_hours']:.1f} | "
        f"{one['nights']} | {one['per_person']:,.0f} | {one['total']:,.0f} |",
        f"| two teams | {people} | {len(document['coverage']['regions_covered'])} | "
        f"{len(document['coverage']['cities'])} | {travel:.1f} | "
        f"{' / '.join(str(n) for n in team_nights.values())} | "
        f"{costs['total'] / people:,.0f} | {costs['total']:,.0f} |",
        "",
        f"Replan of the two-team plan at the announcement of the Aktau closure "
        f"(`events/aktau-airport-closed.yaml`, now 2016-01-21T07:00+05:00), no limit, 1 worker: "
        f"{replanned['status']} in {replan_s:.1f} s ({replan_s / calibration:.0f} cal.); "
        + "; ".join(changes)
        + ".",
        "",
        "Run by hand as `cd benchmarks && ../.venv/bin/python teams.py`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
