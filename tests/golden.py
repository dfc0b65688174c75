"""Golden outputs: what the planner prints and writes for the bundled scenarios and timelines.

``tests/test_golden.py`` compares a fresh run with the files in ``tests/data/golden``, so a
refactoring that changes a single byte of a plan, a replan, a what-if report or an export
fails. Only what depends on the clock is blanked (run times, calendar stamps).

Regenerate after an intended change, and review the diff before committing::

    .venv/bin/python -m tests.golden
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from planner.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GOLDEN = ROOT / "tests" / "data" / "golden"
FLAGSHIP = SCENARIOS / "kazakhstan-winter-2016.yaml"
# No wall-clock limit binds (as in every test), one worker, the scenario's seed.
UNHURRIED = ["--time-limit", "3600", "--workers", "1"]

# The two-team flagship takes about a minute to prove optimal: its plan is checked in the slow tier
# (tests/test_teams.py), and the small two-team example stands for team plans here.
SLOW_SCENARIOS = {"kazakhstan-winter-2016-two-teams.yaml"}

# Keys whose values are measured run times, not part of the plan.
_TIMED_KEYS = {"runtime_s", "solve_s", "cp_sat_wall_s", "build_s"}


def blank_times(value: object) -> object:
    if isinstance(value, dict):
        return {k: ("<time>" if k in _TIMED_KEYS else blank_times(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [blank_times(v) for v in value]
    return value


def normalise(name: str, text: str, folder: Path) -> str:
    """The output without what depends on the clock or the run: times, stamps, the scratch folder."""
    text = text.replace(str(folder), "<dir>")
    if name.endswith(".json"):
        return json.dumps(blank_times(json.loads(text)), indent=1, ensure_ascii=False) + "\n"
    text = re.sub(r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:<now>", text)
    return re.sub(r"solve \d+\.\d+ s", "solve <time> s", text)


def _run(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(argv)
    return f"$ planner {' '.join(_shown(a) for a in argv)}\nexit {code}\n{out.getvalue()}"


def _shown(argument: str) -> str:
    return Path(argument).name if argument.startswith("/") else argument


def produce(folder: Path) -> dict[str, str]:
    """Run every golden command, writing into ``folder``; the normalised outputs by file name."""
    outputs: dict[str, str] = {}

    def keep(name: str, text: str) -> None:
        outputs[name] = normalise(name, text, folder)

    def command(name: str, argv: list[str]) -> None:
        keep(name, _run(argv))

    for scenario in sorted(SCENARIOS.glob("*.yaml")):
        if scenario.name in SLOW_SCENARIOS:
            continue
        stem = scenario.stem
        plan_file = folder / f"{stem}.plan.json"
        command(f"{stem}.plan.txt", ["plan", str(scenario), *UNHURRIED, "--out", str(plan_file)])
        keep(plan_file.name, plan_file.read_text())
        command(f"{stem}.check.txt", ["check", str(scenario), str(plan_file)])

    flagship_plan = folder / f"{FLAGSHIP.stem}.plan.json"
    ics, geojson = folder / "flagship.ics", folder / "flagship.geojson"
    export = ["export", str(flagship_plan), "--scenario", str(FLAGSHIP)]
    command("flagship.export.txt", [*export, "--ics", str(ics), "--geojson", str(geojson)])
    keep(ics.name, ics.read_text())
    keep(geojson.name, geojson.read_text())

    whatif = folder / "whatif"
    command("flagship.whatif.txt", ["whatif", str(FLAGSHIP), *UNHURRIED, "--out", str(whatif)])
    for version in sorted(whatif.glob("*.json")):
        keep(f"whatif.{version.name}", version.read_text())

    # A replan from a reported position, with a closure, then a second replan on top of it.
    replanned = folder / "replan.v2.json"
    command(
        "flagship.replan.txt",
        [
            "replan",
            str(FLAGSHIP),
            str(flagship_plan),
            "--now",
            "2016-01-20T13:00+06:00",
            "--position",
            "shymkent",
            "--events",
            str(SCENARIOS / "events" / "blizzard-roads.yaml"),
            *UNHURRIED,
            "--out",
            str(replanned),
        ],
    )
    keep(replanned.name, replanned.read_text())
    again = folder / "replan.v3.json"
    command(
        "flagship.replan-again.txt",
        [
            "replan",
            str(FLAGSHIP),
            str(replanned),
            "--now",
            "2016-01-25T18:00+05:00",
            "--events",
            str(SCENARIOS / "events" / "talgo-late.yaml"),
            *UNHURRIED,
            "--out",
            str(again),
        ],
    )
    keep(again.name, again.read_text())
    return outputs


def write_golden(outputs: dict[str, str], folder: Path = GOLDEN) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, text in outputs.items():
        (folder / name).write_text(text)


def regenerate(report: Callable[[str], object] = print) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        outputs = produce(Path(scratch))
    write_golden(outputs)
    report(f"{len(outputs)} golden files written to {GOLDEN}")


if __name__ == "__main__":
    regenerate()
    sys.exit(0)
