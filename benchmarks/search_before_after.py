"""The connection search with two checkouts of the planner, in turns, in the same run.

    mkdir /tmp/before && git archive <commit> planner api | tar -x -C /tmp/before
    .venv/bin/python benchmarks/search_before_after.py --before /tmp/before [--rounds 5]

What is timed is the cold connection search and what follows it: the flagship's problem built
from scratch (`build_problem`, nothing kept on disk) and a cold replan at each bundled timeline's
first announcement. Each round runs every case five times in one fresh process per checkout,
searching in that one process (`PLANNER_SEARCH_PROCESSES=1`, so the comparison is of the search,
not of how it spreads) and keeps the least CPU time of the five (CPU time, and the least of five,
because this machine's neighbours slow whole seconds down); the table gives the median over the
rounds and the ratio after/before, which is what travels between machines. Written to
benchmarks/search-before-after-results.md with the CPU model and a calibration figure of this run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from machine import describe, run_json

ROOT = Path(__file__).resolve().parent.parent
CASES = ["build", "aktau-airport-closed", "almaty-fog", "blizzard-roads", "talgo-late"]

ONE_ROUND = """
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
root = sys.argv[2]
import planner
assert planner.__file__.startswith(sys.argv[1]), planner.__file__
from pathlib import Path
from planner.network import TransportNetwork, event_zone
from planner.problem import build_problem
from planner.replan import replan
from planner.scenario import load_events, load_scenario
from planner.whatif import baseline

scenario = load_scenario(Path(root) / "scenarios" / "kazakhstan-winter-2016.yaml")
network = TransportNetwork.build(scenario)
axis = network.axis
first = baseline(scenario)

def least(run):
    times = []
    for _ in range(5):
        gc.collect()
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return min(times)

found = {"build": least(lambda: build_problem(scenario, network))}
for name in sys.argv[3:]:
    timeline = load_events(Path(root) / "scenarios" / "events" / f"{name}.yaml", scenario)
    zone = lambda e: event_zone(scenario, e)
    now_min = min(axis.minutes(e.announced_at, zone(e)) for e in timeline.events)
    events = tuple(e for e in timeline.events if axis.minutes(e.announced_at, zone(e)) <= now_min)
    found[name] = least(lambda: replan(scenario, first, axis.utc(now_min), events, network=network))
print(json.dumps(found))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True, help="checkout of the earlier planner")
    parser.add_argument("--after", type=Path, default=ROOT, help="checkout of the later planner (this one)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "search-before-after-results.md")
    args = parser.parse_args()

    os.environ["PLANNER_SEARCH_PROCESSES"] = "1"
    machine = describe()
    runs: dict[str, list[dict[str, float | str | int]]] = {"before": [], "after": []}
    for index in range(args.rounds):
        for name, tree in (("before", args.before), ("after", args.after)):
            runs[name].append(run_json(ONE_ROUND, str(tree.resolve()), str(ROOT), *CASES[1:]))
            print(f"round {index + 1}/{args.rounds} {name}: {runs[name][-1]}", file=sys.stderr)

    def median(name: str, case: str) -> float:
        return statistics.median(float(r[case]) for r in runs[name])

    lines = [
        "# The connection search before and after",
        "",
        f"Machine: {machine}. Command: `.venv/bin/python benchmarks/search_before_after.py --before "
        f"{args.before} --rounds {args.rounds}`; before: {args.before}, after: {args.after}. CPU seconds "
        "in one process (`PLANNER_SEARCH_PROCESSES=1`), the least of five runs per round, the median "
        "over the rounds; the rounds alternate between the checkouts.",
        "",
        "| case | before s | after s | after/before |",
        "|---|---|---|---|",
    ]
    for case in CASES:
        label = "flagship problem built cold" if case == "build" else f"cold replan, {case}"
        before, after = median("before", case), median("after", case)
        lines.append(f"| {label} | {before:.2f} | {after:.2f} | **{after / before:.2f}** |")
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
