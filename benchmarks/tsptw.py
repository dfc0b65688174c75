"""Solve classic TSPTW instances with the planner's CP-SAT engine and compare with published optima.

    .venv/bin/python benchmarks/tsptw.py --set dumas gendreau --sizes 20 40 --time-limit 10
    .venv/bin/python benchmarks/tsptw.py --set dumas --sizes 60 --time-limit 60 --append
    .venv/bin/python benchmarks/tsptw.py --instances 'n40w1[46]0.*' --workers 2
    .venv/bin/python benchmarks/tsptw.py --set gendreau --sizes 20 --time-limit 2 --peers

Instances come from ``--root`` (default ``../shared/benchmarks/tsptw`` beside the
project) with ``known_values.csv``; sizes are numbers of customers. Each instance
is solved once with the given seed, workers and time limit; the tour is re-scored
from the raw file (every customer once, windows with waiting, travel recomputed),
and its value compared with the published travel-time optimum. The table goes to
stdout and to ``--out`` (Markdown, with the machine, a calibration figure timed in
this run, versions and the command); ``--append`` adds the run to that file instead
of replacing it.

``--peers`` also solves every instance with PyVRP and OR-Tools routing (see
``tsptw_peers.py``; ``--peers pyvrp`` for one of them), one after the other with the
same time limit, and re-scores their tours the same way; PyVRP comes with
``pip install -e '.[bench]'``. ``--stop-at-optimum`` stops PyVRP as soon as its tour
reaches the published optimum, so that a run over all 150 instances does not spend
ten seconds on each: the count reached within the limit is unchanged.
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
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ortools  # noqa: E402
from machine import calibration_s, cpu_model  # noqa: E402

from planner.domain import SolverParams  # noqa: E402
from planner.tsptw import (  # noqa: E402
    KnownValue,
    TsptwInstance,
    check_tour,
    load_known_values,
    load_tsptw,
    solve_tsptw,
)

DEFAULT_ROOT = ROOT.parent / "shared" / "benchmarks" / "tsptw"

# A peer takes an instance and seconds, and returns a customer order or None, and its seconds.
PeerSolver = Callable[[TsptwInstance, float, "int | None"], tuple[list[int] | None, float]]


@dataclass(frozen=True)
class PeerRow:
    """A peer's tour on one instance, re-scored from the raw instance."""

    value: int | None  # travel time of the re-scored tour; None without a tour
    seconds: float
    problems: str  # why the re-check rejected the tour; empty when accepted

    @property
    def accepted(self) -> bool:
        return self.value is not None and not self.problems


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
    peers: tuple[PeerRow, ...] = ()

    @property
    def match(self) -> bool:
        return self.ours == self.published

    @property
    def reached(self) -> bool:
        """The published optimum reached with an accepted tour, proven or not."""
        return self.match and self.tour_ok

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


def run(
    value: KnownValue,
    root: Path,
    params: SolverParams,
    peers: dict[str, PeerSolver],
    stop_at_optimum: bool = False,
) -> Row:
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
        peers=tuple(
            run_peer(solve, instance, params.time_limit_s, value.travel_optimum if stop_at_optimum else None)
            for solve in peers.values()
        ),
    )


def run_peer(solve: PeerSolver, instance: TsptwInstance, limit_s: float, target: int | None) -> PeerRow:
    """Solve with a peer and score its tour with the same re-check as ours, never its own value."""
    order, seconds = solve(instance, limit_s, target)
    if order is None:
        return PeerRow(None, seconds, "")
    check = check_tour(instance, order)
    return PeerRow(check.travel, seconds, "; ".join(check.problems))


PEER_CHOICES = {"pyvrp": "PyVRP", "routing": "OR-Tools routing"}


def load_peers(chosen: list[str]) -> dict[str, PeerSolver]:
    """The chosen peer solvers (all when none is named) by name; exits with the install hint when
    PyVRP is missing."""
    try:
        from tsptw_peers import solve_ortools_routing, solve_pyvrp
    except ImportError as missing:
        sys.exit(f"--peers needs PyVRP ({missing}); install it with: pip install -e '.[bench]'")
    solvers: dict[str, PeerSolver] = {"pyvrp": solve_pyvrp, "routing": solve_ortools_routing}
    return {PEER_CHOICES[key]: solve for key, solve in solvers.items() if not chosen or key in chosen}


def row_line(row: Row) -> str:
    ours = "-" if row.ours is None else str(row.ours)
    bound = "-" if row.bound is None else str(row.bound)
    match = "yes" if row.match else "no"
    tour = "yes" if row.tour_ok else ("-" if row.ours is None else f"NO: {row.problems}")
    cells = [row.key, ours, str(row.published), match, row.status, f"{row.seconds:.2f}", bound, tour]
    for peer in row.peers:
        cells += [
            "-" if peer.value is None else str(peer.value),
            peer_match(peer, row.published),
            f"{peer.seconds:.2f}",
        ]
    return "| " + " | ".join(cells) + " |"


def peer_match(peer: PeerRow, published: int) -> str:
    if peer.value is None:
        return "-"
    if peer.problems:
        return f"NO: {peer.problems}"
    return "yes" if peer.value == published else "no"


def table_header(peer_names: list[str]) -> list[str]:
    names = "".join(f" {name} | {name} = published | {name} s |" for name in peer_names)
    aligns = "---:|---|---:|" * len(peer_names)
    return [
        "| instance | ours | published | match | status | time s | bound | tour re-checked |" + names,
        "|---|---:|---:|---|---|---:|---:|---|" + aligns,
    ]


def groups_of(rows: list[Row]) -> list[tuple[tuple[str, int], list[Row]]]:
    """Rows by set and number of customers, in that order."""
    groups: dict[tuple[str, int], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.key.split("/")[0], row.customers), []).append(row)
    return sorted(groups.items())


def summary_lines(rows: list[Row], limits: dict[tuple[str, int], float]) -> list[str]:
    lines = [
        "| set | customers | limit s | instances | optimum proven | value matches | median s | max s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (set_name, customers), members in groups_of(rows):
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


def solver_cells(members: list[Row], peer_count: int) -> list[str]:
    """Optimum reached, proven and median seconds: CP-SAT first, then each peer (which proves nothing)."""
    cells = [
        str(sum(r.reached for r in members)),
        str(sum(r.hit for r in members)),
        f"{statistics.median(r.seconds for r in members):.2f}",
    ]
    for index in range(peer_count):
        runs = [(r.peers[index], r.published) for r in members]
        cells += [
            str(sum(peer.accepted and peer.value == published for peer, published in runs)),
            "n/a",
            f"{statistics.median(peer.seconds for peer, _ in runs):.2f}",
        ]
    return cells


def side_by_side_summary_lines(
    rows: list[Row], limits: dict[tuple[str, int], float], peer_names: list[str]
) -> list[str]:
    """Per set and size, each solver's optimum reached, proven and median seconds."""
    names = "".join(
        f" {name} optimum reached | {name} proven | {name} median s |" for name in ["CP-SAT", *peer_names]
    )
    lines = [
        "| set | customers | limit s | instances |" + names,
        "|---|---:|---:|---:|" + "---:|---:|---:|" * (1 + len(peer_names)),
    ]
    for (set_name, customers), members in groups_of(rows):
        cells = [set_name, str(customers), f"{limits[(set_name, customers)]:g}", str(len(members))]
        lines.append("| " + " | ".join([*cells, *solver_cells(members, len(peer_names))]) + " |")
    total = ["all", "", "", str(len(rows)), *solver_cells(rows, len(peer_names))]
    lines.append("| " + " | ".join(total) + " |")
    return lines


def machine_lines(args: argparse.Namespace, calibration: str, peer_names: list[str]) -> list[str]:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    command = ".venv/bin/python benchmarks/tsptw.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    solver = f"- solver: CP-SAT, seed {args.seed}, {args.workers} worker(s)"
    described = {
        "PyVRP": f"PyVRP {metadata.version('pyvrp')} (seed 0, MaxRuntime"
        + (", stopped at the published optimum)" if args.stop_at_optimum else ")"),
        "OR-Tools routing": "OR-Tools routing (PATH_CHEAPEST_ARC, GUIDED_LOCAL_SEARCH, 1 thread)",
    }
    if peer_names:
        solver += "; peers, one after the other with the same limit: " + ", ".join(
            described[name] for name in peer_names
        )
    return [
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- command: `{command}`",
        f"- machine: `nproc` = {os.cpu_count()}, {cpu_model()}, "
        f"load average at start {load} (shared machine)",
        f"- calibration (benchmarks/machine.py workload, timed in this run): {calibration}",
        f"- python {platform.python_version()}, ortools {ortools.__version__}, {platform.platform()}",
        solver,
    ]


def parse_args() -> tuple[argparse.ArgumentParser, argparse.Namespace]:
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
    parser.add_argument(
        "--peers",
        nargs="*",
        choices=list(PEER_CHOICES),
        help="also solve with these peers (pyvrp, routing; both when none is named), same limit "
        "(pip install -e '.[bench]')",
    )
    parser.add_argument(
        "--stop-at-optimum",
        action="store_true",
        help="stop PyVRP once its tour reaches the published optimum: the count reached within the "
        "limit is the same, and its time column is then the time to reach it",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "tsptw-results.md")
    parser.add_argument("--append", action="store_true", help="add this run to --out instead of replacing it")
    return parser, parser.parse_args()


def main() -> None:
    parser, args = parse_args()
    known = load_known_values(args.root / "known_values.csv")
    default_limit, limit_by_size = parse_time_limits(args.time_limit)
    chosen = select(known, args.set, args.sizes, args.instances, args.limit)
    if not chosen:
        parser.error("no instance matches the selection")
    peers = load_peers(args.peers) if args.peers is not None else {}
    peer_names = list(peers)

    calibration_before = calibration_s()
    for line in machine_lines(args, f"{calibration_before:.3f} s before the runs", peer_names):
        print(line)
    table = table_header(peer_names)
    print("\n".join(table), flush=True)
    rows = []
    limits: dict[tuple[str, int], float] = {}
    for value in chosen:
        size = instance_size(value)
        seconds = limit_by_size.get(size, default_limit)
        limits[(value.set_name, size)] = seconds
        params = SolverParams(time_limit_s=seconds, workers=args.workers, seed=args.seed)
        row = run(value, args.root, params, peers, args.stop_at_optimum)
        rows.append(row)
        print(row_line(row), flush=True)
    calibration = f"{calibration_before:.3f} s before the runs, {calibration_s():.3f} s after"
    summary = side_by_side_summary_lines(rows, limits, peer_names) if peers else summary_lines(rows, limits)
    print()
    print("\n".join(summary))
    section = [
        f"## Run of {dt.date.today().isoformat()}",
        "",
        *machine_lines(args, calibration, peer_names),
        "",
        *legend(bool(peers), args.stop_at_optimum),
        "",
        *summary,
        "",
        *table,
        *(row_line(r) for r in rows),
        "",
    ]
    write_results(args.out, section, args.append)


def legend(with_peers: bool, stop_at_optimum: bool = False) -> list[str]:
    if not with_peers:
        return [
            "Optimum proven: CP-SAT status OPTIMAL, value equal to the published optimum and the tour",
            "accepted by the re-check. Times are wall-clock seconds for the whole solve (reductions, warm",
            "start, CP-SAT).",
        ]
    return [
        "Optimum reached: value equal to the published optimum and the tour accepted by the re-check.",
        "Proven: CP-SAT status OPTIMAL as well; the peers are heuristics and prove nothing (n/a). Every",
        "peer tour is re-scored from the raw instance like ours; the peers' own objectives are not used.",
        "A peer value of - means no tour within the limit. Times are wall-clock seconds per solver, model",
        "building included; "
        + (
            "PyVRP stops once its tour reaches the published optimum (its time is the time to reach it;"
            " whether it reaches it within the limit is the same), guided local search runs to the limit."
            if stop_at_optimum
            else "PyVRP and guided local search always run until the limit."
        ),
    ]


def write_results(out: Path, section: list[str], append: bool) -> None:
    intro = [
        "# TSPTW benchmark: the planner's CP-SAT engine against published optima",
        "",
        "Dumas et al. (1995) and Gendreau et al. (1998) instances in the LI format, objective total travel",
        "time of the closed tour; published optima from `known_values.csv` (see the README beside the",
        "instances for their provenance). Written by `benchmarks/tsptw.py`; runs with `--peers` also",
        "show PyVRP and OR-Tools routing on the same instances with the same limit.",
        "",
    ]
    if append and out.exists():
        text = out.read_text().rstrip("\n") + "\n\n" + "\n".join(section)
    else:
        text = "\n".join(intro + section)
    out.write_text(text)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
