"""Replan latency and throughput of the HTTP service under concurrent coordinators.

    .venv/bin/python benchmarks/load.py [--clients 8] [--requests 5] [--events aktau|all]

Starts ``planner serve`` on a loopback port with a fresh SQLite file, makes one
flagship plan, stores copies of it (one per request, so no replan ever meets a stale
version), warms every solver process, then lets ``--clients`` threads each replan
their own copies back to back (a closed loop). Every answer must be 201 and pass the
independent checker. Prints a table and writes it to benchmarks/load-results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import describe  # noqa: E402
from rich.progress import Progress, TimeElapsedColumn  # noqa: E402

from planner.calendar import TimeAxis  # noqa: E402
from planner.check import check_plan  # noqa: E402
from planner.domain import Disruption, Scenario  # noqa: E402
from planner.network import TransportNetwork, event_zone  # noqa: E402
from planner.scenario import load_scenario, parse_text  # noqa: E402
from tests.api_support import ACME, running_server  # noqa: E402

FLAGSHIP = "kazakhstan-winter-2016"
# Short names of the bundled flagship timelines.
TIMELINES = {
    "aktau": "aktau-airport-closed",
    "fog": "almaty-fog",
    "talgo": "talgo-late",
    "blizzard": "blizzard-roads",
}


def timeline_request(scenario: Scenario, axis: TimeAxis, name: str) -> dict[str, Any]:
    """Replan body for a bundled timeline: its events, now = its first announcement."""
    data, _ = parse_text((ROOT / "scenarios" / "events" / f"{name}.yaml").read_text(), name)
    events = [Disruption.model_validate(e) for e in data["events"]]
    first = min(events, key=lambda e: axis.minutes(e.announced_at, event_zone(scenario, e)))
    zone = event_zone(scenario, first)
    now = axis.iso(axis.minutes(first.announced_at, zone), zone)
    return {"base_version": 1, "now": now, "events": data["events"]}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=5, help="replans per client")
    parser.add_argument("--events", choices=["aktau", "all"], default="aktau")
    parser.add_argument("--processes", type=int, default=2, help="solver processes of the server")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "load-results.md")
    args = parser.parse_args()

    scenario = load_scenario(ROOT / "scenarios" / f"{FLAGSHIP}.yaml")
    names = ["aktau"] if args.events == "aktau" else list(TIMELINES)
    axis = TransportNetwork.build(scenario).axis
    bodies = {name: timeline_request(scenario, axis, TIMELINES[name]) for name in names}
    total = args.clients * args.requests
    environment = {
        "PLANNER_SOLVER_PROCESSES": str(args.processes),
        "PLANNER_QUEUE_DEPTH": str(max(args.clients, 8)),
    }
    with (
        tempfile.TemporaryDirectory() as folder,
        running_server(Path(folder) / "load.db", **environment) as base,
    ):
        client = httpx.Client(base_url=base, headers=ACME, timeout=300)
        first = client.post("/v1/plans", json={"scenario_name": FLAGSHIP})
        first.raise_for_status()
        plan = first.json()["plan"]
        copies = []
        for _ in range(total + 2 * args.processes):
            imported = client.post("/v1/plans", json={"scenario_name": FLAGSHIP, "plan": plan})
            imported.raise_for_status()
            copies.append(imported.json()["id"])
        # Warm-up: every process builds and keeps the flagship network once.
        warm = [
            threading.Thread(
                target=client.post, args=(f"/v1/plans/{copies.pop()}/replan",), kwargs={"json": b}
            )
            for b in list(bodies.values())[:1] * (2 * args.processes)
        ]
        for thread in warm:
            thread.start()
        for thread in warm:
            thread.join()

        results: list[tuple[str, float, int, dict[str, Any] | None]] = []
        lock = threading.Lock()

        def coordinator(index: int) -> None:
            with httpx.Client(base_url=base, headers=ACME, timeout=300) as session:
                for request in range(args.requests):
                    name = names[(index + request) % len(names)]
                    with lock:
                        plan_id = copies.pop()
                    began = time.perf_counter()
                    answer = session.post(f"/v1/plans/{plan_id}/replan", json=bodies[name])
                    elapsed = time.perf_counter() - began
                    body = answer.json() if answer.status_code == 201 else None
                    with lock:
                        results.append((name, elapsed, answer.status_code, body))

        began = time.perf_counter()
        threads = [threading.Thread(target=coordinator, args=(i,)) for i in range(args.clients)]
        with Progress(*Progress.get_default_columns(), TimeElapsedColumn(), transient=True) as progress:
            task = progress.add_task(f"{args.clients} coordinators replanning", total=total)
            for thread in threads:
                thread.start()
            while any(thread.is_alive() for thread in threads):
                progress.update(task, completed=len(results))
                time.sleep(0.2)
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began

    errors = [r for r in results if r[2] != 201]
    rejected = 0
    for _, _, _, body in results:
        if body is None:
            continue
        events = tuple(Disruption.model_validate(e) for e in body["plan"]["events"])
        now = dt.datetime.fromisoformat(body["now"])
        if check_plan(scenario, body["plan"], events=events, previous=plan, now=now):
            rejected += 1
    latencies = [r[1] for r in results]
    lines = [
        "| events | clients | processes | replans | errors | checker rejects "
        "| p50 s | p95 s | max s | replans/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {args.events} | {args.clients} | {args.processes} | {len(results)} | {len(errors)} "
        f"| {rejected} | "
        f"{statistics.median(latencies):.2f} | {percentile(latencies, 0.95):.2f} | {max(latencies):.2f} | "
        f"{len(results) / wall:.2f} |",
    ]
    if len(names) > 1:
        lines += ["", "| timeline | replans | p50 s | p95 s |", "|---|---|---|---|"]
        for name in names:
            own = [r[1] for r in results if r[0] == name]
            lines.append(
                f"| {name} | {len(own)} | {statistics.median(own):.2f} | {percentile(own, 0.95):.2f} |"
            )
    table = "\n".join(lines)
    print(table)
    machine = describe()
    command = "python benchmarks/load.py " + " ".join(sys.argv[1:])
    section = f"\n## {dt.date.today()} — `{command.strip()}`\n\n{machine}; loopback only.\n\n{table}\n"
    with args.out.open("a", encoding="utf-8") as handle:
        if handle.tell() == 0:
            handle.write("# HTTP replan load\n\nWritten by benchmarks/load.py; newest run last.\n")
        handle.write(section)
    print(f"\nAppended to {args.out}")
    if errors or rejected:
        sys.exit(1)


if __name__ == "__main__":
    main()
