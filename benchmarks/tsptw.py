"""Solve classic TSPTW instances with the planner's CP-SAT engine and compare with published optima.

    .venv/bin/python benchmarks/tsptw.py --set dumas gendreau --sizes 20 40 --time-limit 10
    .venv/bin/python benchmarks/tsptw.py --set dumas --sizes 60 --time-limit 60 --append
    .venv/bin/python benchmarks/tsptw.py --instances 'n40w1[46]0.*' --workers 2

Instances come from ``--root`` (default ``../shared/benchmarks/tsptw`` beside the
project) with ``known_values.csv``; sizes are numbers of customers. Each instance
is solved once with the given seed, workers and time limit; the tour is re-scored
from the raw file (every customer once, windows with waiting, travel recomputed),
and its value compared with the published travel-time optimum. The table goes to
stdout and to ``--out`` (Markdown, with the machine, versions and the command);
``--append`` adds the run to that file instead of replacing it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import os
import platform
import shlex
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ortools  # noqa: E402

from planner.domain import SolverParams  # noqa: E402
from planner.tsptw import KnownValue, check_tour, load_known_values, load_tsptw, solve_tsptw  # noqa: E402

DEFAULT_ROOT = ROOT.parent / "shared" / "benchmarks" / "tsptw"


@dataclass(frozen=True)
class Row:
    key: str  # set/instance
    customers: int
    ours: int | None
    published: int
    status: str
    seconds: float
    bound: int | None
    tour_ok: bool
    problems: str

    @property
    def match(self) -> bool:
        return self.ours == self.published

    @property
    def hit(self) -> bool:
        """The published optimum reached and proven optimal within the limit."""
        return self.match and self.status == "OPTIMAL" and self.tour_ok


def parse_time_limits(values: list[str]) -> tuple[float, dict[int, float]]:
    """``10`` (every size) and ``60=60`` (60 s for 60 customers) into a default and overrides."""
    default = 10.0
    by_size: dict[int, float] = {}
    for value in values:
        if "=" in value:
            size, seconds = value.split("=", 1)
            by_size[int(size)] = float(seconds)
        else:
            default = float(value)
    return default, by_size


def select(
    known: dict[str, KnownValue], sets: list[str], sizes: list[int], pattern: str | None, limit: int | None
) -> list[KnownValue]:
    chosen = []
    for key in sorted(
        known, key=lambda k: (known[k].set_name, instance_size(known[k]), window_order(known[k]))
    ):
        value = known[key]
        if value.set_name not in sets:
            continue
        if sizes and instance_size(value) not in sizes:
            continue
        if pattern and not (fnmatch.fnmatch(value.instance, pattern) or fnmatch.fnmatch(key, pattern)):
            continue
        chosen.append(value)
    if limit is not None:
        kept: list[KnownValue] = []
        per_group: dict[tuple[str, int], int] = {}
        for value in chosen:
            group = (value.set_name, instance_size(value))
            if per_group.get(group, 0) < limit:
                kept.append(value)
                per_group[group] = per_group.get(group, 0) + 1
        chosen = kept
    return chosen


def instance_size(value: KnownValue) -> int:
    """Customers, from the name nXwY.ZZZ."""
    return int(value.instance[1:].split("w", 1)[0])


def window_order(value: KnownValue) -> tuple[int, str]:
    """Nominal window width Y, then the name: n20w20 before n20w100."""
    return int(value.instance.split("w", 1)[1].split(".", 1)[0]), value.instance


def run(value: KnownValue, root: Path, params: SolverParams) -> Row:
    instance = load_tsptw(root / value.file)
    result = solve_tsptw(instance, params)
    check = check_tour(instance, result.order) if result.order else None
    tour_ok = check is not None and not check.problems and check.travel == result.objective
    problems = "" if check is None or tour_ok else "; ".join(check.problems) or "travel differs"
    return Row(
        key=f"{value.set_name}/{value.instance}",
        customers=instance.customers,
        ours=result.objective,
        published=value.travel_optimum,
        status=result.status.value,
        seconds=result.runtime_s,
        bound=result.bound,
        tour_ok=tour_ok,
        problems=problems,
    )


def row_line(row: Row) -> str:
    ours = "-" if row.ours is None else str(row.ours)
    bound = "-" if row.bound is None else str(row.bound)
    match = "yes" if row.match else "no"
    tour = "yes" if row.tour_ok else ("-" if row.ours is None else f"NO: {row.problems}")
    cells = [row.key, ours, str(row.published), match, row.status, f"{row.seconds:.2f}", bound, tour]
    return "| " + " | ".join(cells) + " |"


TABLE_HEADER = [
    "| instance | ours | published | match | status | time s | bound | tour re-checked |",
    "|---|---:|---:|---|---|---:|---:|---|",
]


def summary_lines(rows: list[Row], limits: dict[tuple[str, int], float]) -> list[str]:
    lines = [
        "| set | customers | limit s | instances | optimum proven | value matches | median s | max s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    groups: dict[tuple[str, int], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.key.split("/")[0], row.customers), []).append(row)
    for (set_name, customers), members in sorted(groups.items()):
        times = [r.seconds for r in members]
        lines.append(
            f"| {set_name} | {customers} | {limits[(set_name, customers)]:g} | {len(members)} | "
            f"{sum(r.hit for r in members)} | {sum(r.match for r in members)} | "
            f"{statistics.median(times):.2f} | {max(times):.2f} |"
        )
    total = len(rows)
    lines.append(
        f"| all | | | {total} | {sum(r.hit for r in rows)} | {sum(r.match for r in rows)} | "
        f"{statistics.median([r.seconds for r in rows]):.2f} | {max(r.seconds for r in rows):.2f} |"
    )
    return lines


def machine_lines(args: argparse.Namespace) -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    command = ".venv/bin/python benchmarks/tsptw.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return [
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- command: `{command}`",
        f"- machine: `nproc` = {os.cpu_count()}, {cpu}, load average at start {load} (shared machine)",
        f"- python {platform.python_version()}, ortools {ortools.__version__}, {platform.platform()}",
        f"- solver: CP-SAT, seed {args.seed}, {args.workers} worker(s)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root", type=Path, default=DEFAULT_ROOT, help="folder with the sets and known_values.csv"
    )
    parser.add_argument("--set", nargs="+", default=["dumas", "gendreau"], choices=["dumas", "gendreau"])
    parser.add_argument(
        "--sizes", nargs="*", type=int, default=[], help="numbers of customers (default: all)"
    )
    parser.add_argument("--instances", help="glob over instance names, e.g. 'n40w1[46]0.*'")
    parser.add_argument("--limit", type=int, help="at most this many instances per set and size")
    parser.add_argument(
        "--time-limit",
        nargs="+",
        default=["10"],
        metavar="SECONDS|SIZE=SECONDS",
        help="seconds per instance, and optionally per size: --time-limit 10 60=60 80=120",
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "tsptw-results.md")
    parser.add_argument("--append", action="store_true", help="add this run to --out instead of replacing it")
    args = parser.parse_args()

    known = load_known_values(args.root / "known_values.csv")
    default_limit, limit_by_size = parse_time_limits(args.time_limit)
    chosen = select(known, args.set, args.sizes, args.instances, args.limit)
    if not chosen:
        parser.error("no instance matches the selection")

    header = machine_lines(args)
    for line in header:
        print(line)
    print(TABLE_HEADER[0])
    print(TABLE_HEADER[1], flush=True)
    rows = []
    limits: dict[tuple[str, int], float] = {}
    for value in chosen:
        size = instance_size(value)
        seconds = limit_by_size.get(size, default_limit)
        limits[(value.set_name, size)] = seconds
        params = SolverParams(time_limit_s=seconds, workers=args.workers, seed=args.seed)
        row = run(value, args.root, params)
        rows.append(row)
        print(row_line(row), flush=True)
    summary = summary_lines(rows, limits)
    print()
    print("\n".join(summary))

    section = [
        f"## Run of {dt.date.today().isoformat()}",
        "",
        *header,
        "",
        "Optimum proven: CP-SAT status OPTIMAL, value equal to the published optimum and the tour accepted",
        "by the re-check. Times are wall-clock seconds for the whole solve (reductions, warm start, CP-SAT).",
        "",
        *summary,
        "",
        *TABLE_HEADER,
        *(row_line(r) for r in rows),
        "",
    ]
    intro = [
        "# TSPTW benchmark: the planner's CP-SAT engine against published optima",
        "",
        "Dumas et al. (1995) and Gendreau et al. (1998) instances in the LI format, objective total travel",
        "time of the closed tour; published optima from `known_values.csv` (see the README beside the",
        "instances for their provenance). Written by `benchmarks/tsptw.py`.",
        "",
    ]
    if args.append and args.out.exists():
        text = args.out.read_text().rstrip("\n") + "\n\n" + "\n".join(section)
    else:
        text = "\n".join(intro + section)
    args.out.write_text(text)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
