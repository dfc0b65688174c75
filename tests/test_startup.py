"""A fast start: `planner --help` and `planner validate` load no solver, graph, drawing or service library.

Each case runs in a fresh interpreter and reports which modules it imported: what a test
process has already loaded says nothing. No timing is asserted (that depends on the machine);
benchmarks/startup.py measures it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import api.cli
from tests.conftest import SCENARIOS

DATA = Path(__file__).resolve().parent / "data"

# Libraries that only planning, drawing, exporting or serving need.
HEAVY = (
    "ortools",
    "networkx",
    "matplotlib",
    "fastapi",
    "uvicorn",
    "starlette",
    "sqlalchemy",
    "alembic",
    "icalendar",
)

COMMANDS = {
    "validate",
    "plan",
    "check",
    "replan",
    "whatif",
    "risk",
    "export",
    "sheets",
    "serve",
    "keys",
    "db",
}

# Runs the command line in-process, then prints the heavy libraries it loaded as the last line.
RUN_AND_LIST = """
import contextlib, io, json, sys
import api.cli
heavy = tuple(sys.argv[1].split(","))
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = api.cli.main(sys.argv[2:])
    except SystemExit as stop:
        code = stop.code
loaded = sorted({name.partition(".")[0] for name in sys.modules} & set(heavy))
print(out.getvalue())
print(json.dumps({"code": code, "loaded": loaded}))
"""


def run_cli(*argv: str) -> tuple[int, list[str], str]:
    """Exit code, heavy libraries loaded, and standard output of `planner ARGV` in a new process."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, ",".join(HEAVY), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    *output, last = done.stdout.rstrip("\n").splitlines()
    report = json.loads(last)
    return report["code"], report["loaded"], "\n".join(output)


def test_building_the_full_parser_loads_nothing_heavy():
    """Importing the console script's module and building every command's parser stays light."""
    code = (
        "import sys, api.cli; api.cli.build_parser(); "
        f"print(sorted({{n.partition('.')[0] for n in sys.modules}} & set({HEAVY!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def test_help_lists_every_command_and_loads_nothing_heavy():
    """`planner --help` names every command, the service's too, and imports none of the heavy libraries."""
    code, loaded, text = run_cli("--help")
    assert code == 0
    assert loaded == []
    listed = set(re.findall(r"^    (\w+) +\S", text, flags=re.MULTILINE))
    assert listed == COMMANDS


def test_parser_has_exactly_the_known_commands():
    """A command added or lost shows here, so the startup cases above are kept up to date."""
    parser = api.cli.build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == COMMANDS


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ((str(SCENARIOS / "three-cities.yaml"),), "valid scenario 'three-cities'"),
        ((str(SCENARIOS / "events" / "almaty-fog.yaml"),), "valid event file 'almaty-fog'"),
        ((str(SCENARIOS / "risk" / "kazakhstan-winter-2016.yaml"),), "valid risk file"),
        (
            (
                str(DATA / "check-small.plan.json"),
                "--scenario",
                str(DATA / "check-small.yaml"),
            ),
            "valid plan",
        ),
    ],
    ids=["scenario", "events", "risk", "plan"],
)
def test_validate_loads_nothing_heavy(argv, expected):
    """`planner validate` of a scenario, an event file and a plan reads, checks and reports without them."""
    code, loaded, text = run_cli("validate", *argv)
    assert code == 0
    assert expected in text
    assert loaded == []


def test_a_bad_file_is_reported_without_loading_anything_heavy(tmp_path):
    """The error path of validate (exit code 2) stays light too."""
    bad = tmp_path / "scenario.yaml"
    bad.write_text("name: broken\ncities: 3\n")
    code, loaded, _ = run_cli("validate", str(bad))
    assert code == 2
    assert loaded == []
