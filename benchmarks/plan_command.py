"""The whole `planner plan` command on the flagship, cold and warm, as a coordinator runs it.

    .venv/bin/python benchmarks/plan_command.py [--repeat 7] [--out benchmarks/plan-command-results.md]
    mkdir /tmp/COMMIT && git archive COMMIT planner api | tar -x -C /tmp/COMMIT   # an earlier tree
    .venv/bin/python benchmarks/plan_command.py --before /tmp/COMMIT

Each case runs ``--repeat`` times as a new process, in turns, and the table gives wall-time
medians (the process from start to exit: imports, connections, arcs, first plan, CP-SAT,
backups, checker, the written plan), with the build and solve seconds the plan itself states.
Cold is ``--no-cache``; warm reads the connections and arcs an earlier run kept (one unmeasured
run fills a cache folder of this benchmark's own first). The target, under 2 s warm, is also
stated as a ratio to the calibration workload timed in the same run (see machine.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from machine import calibration_s, cpu_model
from startup import planner_command, publish, wall_s

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"
TARGET_S = 2.0


def cases(before: Path | None, out: Path) -> dict[str, tuple[list[str], Path]]:
    planner = planner_command()
    plan = ["plan", str(FLAGSHIP), "--out", str(out)]
    found = {
        "planner --help": ([*planner, "--help"], ROOT),
        "plan, cold (--no-cache)": ([*planner, *plan, "--no-cache"], ROOT),
        "plan, warm": ([*planner, *plan], ROOT),
    }
    if before is not None:
        found[f"plan ({before.name})"] = ([sys.executable, "-m", "api.cli", *plan], before)
    return found


def compile_bytecode(tree: Path) -> None:
    """Write the bytecode of ``tree``'s packages, as an installed package has it (and as any run
    after the first writes it, unless PYTHONDONTWRITEBYTECODE is set): otherwise each run would
    compile the project's sources again, about 0.1 s that no coordinator's second run pays."""
    packages = [str(tree / name) for name in ("planner", "api") if (tree / name).is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "plan-command-results.md")
    parser.add_argument("--before", type=Path, help="an earlier checkout to time alongside (api/, planner/)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="plan-command-") as scratch:
        env = {**os.environ, "PLANNER_CACHE_DIR": str(Path(scratch) / "cache")}
        plan_out = Path(scratch) / "plan.json"
        runs = cases(args.before, plan_out)
        for tree in {cwd for _, cwd in runs.values()}:
            compile_bytecode(tree)
        wall_s(runs["plan, warm"][0], ROOT, env)  # fills the cache: the warm rows read it
        load = os.getloadavg()[0]
        calibration_before = calibration_s()
        times: dict[str, list[float]] = {name: [] for name in runs}
        stated: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for index in range(args.repeat):
            for name, (command, cwd) in runs.items():
                plan_out.unlink(missing_ok=True)
                times[name].append(wall_s(command, cwd, env))
                if plan_out.exists():
                    stats = json.loads(plan_out.read_text())["solver"]["stats"]
                    stated[name].append((stats["build_s"], stats["solve_s"]))
            print(f"run {index + 1}/{args.repeat} done", file=sys.stderr)
        calibration = (calibration_before + calibration_s()) / 2

    lines = [
        "# The whole `planner plan` command on the flagship",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"calibration {calibration:.3f} s; load average {load:.1f} at the start. "
        f"Command: `.venv/bin/python benchmarks/plan_command.py --repeat {args.repeat}"
        + (f" --before {args.before}" if args.before else "")
        + f"`; {args.repeat} runs of each, in turns, each a new process; wall time. "
        f"Target: warm under {TARGET_S:.0f} s, that is under {TARGET_S / calibration:.1f} calibrations.",
        "",
        "| command | median s | min s | max s | × calibration | build s (stated) | solve s (stated) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, measured in times.items():
        median = statistics.median(measured)
        build = f"{statistics.median(b for b, _ in stated[name]):.2f}" if stated[name] else "-"
        solve = f"{statistics.median(s for _, s in stated[name]):.2f}" if stated[name] else "-"
        lines.append(
            f"| `{name}` | {median:.2f} | {min(measured):.2f} | {max(measured):.2f} | "
            f"{median / calibration:.1f} | {build} | {solve} |"
        )
    warm = statistics.median(times["plan, warm"])
    lines += [
        "",
        f"Warm median {warm:.2f} s = {warm / calibration:.1f} calibrations: "
        + ("within" if warm < TARGET_S else "over")
        + f" the {TARGET_S:.0f} s target.",
    ]
    publish(lines, args.out)


if __name__ == "__main__":
    main()
