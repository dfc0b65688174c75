"""Replanning the flagship mid-trip after each bundled event: medians of repeated runs.

    .venv/bin/python benchmarks/replan.py [--repeat 5] [--out benchmarks/replan-results.md]

Each row replans the undisrupted flagship plan at an event's announcement time
(the network is built once, as a running service would keep it); the time is
replan() end to end: overlay, connection tables, arcs, CP-SAT, diff, reasons.
Three figures per timeline: cold (nothing searched before: a fresh `planner replan`
process), after the plan (the scenario's slot memo holds the searches of its plan, as in
the service, which plans with it) and warm (the same events again).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import calibration_s, describe  # noqa: E402

from planner.check import check_plan  # noqa: E402
from planner.connections import KeptContexts, SlotMemo  # noqa: E402
from planner.network import TransportNetwork, event_zone  # noqa: E402
from planner.replan import replan  # noqa: E402
from planner.scenario import load_events, load_scenario  # noqa: E402
from planner.solve import plan  # noqa: E402
from planner.whatif import baseline  # noqa: E402

FLAGSHIP = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "replan-results.md")
    args = parser.parse_args()

    scenario = load_scenario(FLAGSHIP)
    network = TransportNetwork.build(scenario)
    axis = network.axis
    first = baseline(scenario)
    header = (
        "| timeline | now | status | changes | cold median s | min s | max s "
        "| after the plan median s | warm median s | checker |"
    )
    rows = [header, "|---|---|---|---|---|---|---|---|---|---|"]
    print(header)
    medians = []
    after_plan_medians = []
    paths = sorted((ROOT / "scenarios" / "events").glob("*.yaml"))
    # No live progress bar: its refresh thread would keep the searches from spreading over the
    # cores (planner.connections.parallel forks only from a single-threaded process).
    for path in paths:
        timeline = load_events(path, scenario)
        first_event = min(
            timeline.events, key=lambda e: axis.minutes(e.announced_at, event_zone(scenario, e))
        )
        now = axis.utc(axis.minutes(first_event.announced_at, event_zone(scenario, first_event)))
        events = tuple(
            e
            for e in timeline.events
            if axis.minutes(e.announced_at, event_zone(scenario, e)) <= axis.minutes(now)
        )
        times = []
        after_plan_times = []
        warm_times = []
        for attempt in range(args.repeat):
            print(f"{timeline.name} ({attempt + 1}/{args.repeat})", file=sys.stderr, flush=True)
            # cold: the first replan under these events, kept by nobody (as `planner replan`), in
            # a process holding no more than the network and the plan, as a fresh one would: the
            # earlier runs' memo and contexts are freed first (a larger heap slows forked workers)
            gc.collect()
            started = time.perf_counter()
            new = replan(scenario, first, now, events, network=network)
            times.append(time.perf_counter() - started)
            # warm: the same events already in force for another plan of the scenario
            contexts: KeptContexts = {}
            replan(scenario, first, now, events, network=network, contexts=contexts)
            started = time.perf_counter()
            replan(scenario, first, now, events, network=network, contexts=contexts)
            warm_times.append(time.perf_counter() - started)
            memo = SlotMemo(network)
            plan(scenario, network=network, memo=memo)
            started = time.perf_counter()
            replan(scenario, first, now, events, network=network, contexts={}, memo=memo)
            after_plan_times.append(time.perf_counter() - started)
            del memo, contexts
        valid = not check_plan(scenario, new.plan, events=events, previous=first, now=now)
        median = statistics.median(times)
        medians.append(median)
        after_plan_medians.append(statistics.median(after_plan_times))
        row = (
            f"| {timeline.name} | {axis.iso(axis.minutes(now), event_zone(scenario, first_event))} "
            f"| {new.plan['status']} | {new.plan['diff']['changes']} | {median:.2f} | {min(times):.2f} "
            f"| {max(times):.2f} | {after_plan_medians[-1]:.2f} | {statistics.median(warm_times):.2f} "
            f"| {'pass' if valid else 'FAIL'} |"
        )
        rows.append(row)
        print(row, flush=True)
    overall = statistics.median(medians)
    after_plan = statistics.median(after_plan_medians)
    calibration = calibration_s()
    text = [
        "# Replanning the flagship after an event",
        "",
        f"Command: `.venv/bin/python benchmarks/replan.py --repeat {args.repeat}`; "
        f"{describe(calibration)}; CP-SAT 1 worker, seed 0. Median of the per-timeline medians: "
        f"cold **{overall:.2f} s = {overall / calibration:.1f} calibrations**, after the plan "
        f"**{after_plan:.2f} s = {after_plan / calibration:.1f} calibrations** (target 0.3 s). "
        "Cold: the first replan under the timeline's events, nothing searched before and its "
        "search context kept by nobody, as in `planner replan` (the network is built; the "
        "searches may spread over the cores, `PLANNER_SEARCH_PROCESSES`); after the plan: the "
        "first replan under the events when the scenario's slot memo holds the searches of its "
        "plan (the service plans with it), so only the slots the events touch are searched again; "
        "warm: another replan under the same events, reusing the kept search context and its "
        "connection searches (as the service does).",
        "",
        *rows,
    ]
    args.out.write_text("\n".join(text) + "\n")
    print(f"\nmedian of medians: cold {overall:.2f} s, after the plan {after_plan:.2f} s")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
