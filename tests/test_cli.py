"""The `planner` command: plan writes JSON the checker accepts; check rejects a tampered plan."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

from planner.cli import main
from tests.conftest import SCENARIOS

THREE = SCENARIOS / "three-cities.yaml"
ROOT = Path(__file__).resolve().parent.parent


def test_plan_prints_a_day_table_and_writes_json(tmp_path, capsys):
    """`planner plan` prints local times and the status, and writes the plan JSON."""
    out = tmp_path / "plan.json"
    assert (
        main(["plan", str(THREE), "--out", str(out), "--seed", "3", "--workers", "1", "--time-limit", "3600"])
        == 0
    )
    text = capsys.readouterr().out
    assert "OPTIMAL" in text and "SEMINAR" in text and "+06" in text
    data = json.loads(out.read_text())
    for key in ("status", "objective", "bound", "seminars", "legs", "uncovered", "totals"):
        assert key in data
    assert data["solver"]["seed"] == 3


def test_check_accepts_a_fresh_plan_and_rejects_a_tampered_one(tmp_path, capsys):
    """`planner check` exits 0 on the planner's plan and 1, listing violations, once a leg is moved."""
    out = tmp_path / "plan.json"
    assert main(["plan", str(THREE), "--out", str(out), "--time-limit", "3600"]) == 0
    assert main(["check", str(THREE), str(out)]) == 0
    data = json.loads(out.read_text())
    leg = data["legs"][0]
    leg["depart"] = leg["depart"].replace(
        leg["depart"][11:13], f"{(int(leg['depart'][11:13]) + 1) % 24:02d}", 1
    )
    out.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["check", str(THREE), str(out)]) == 1
    assert "INVALID" in capsys.readouterr().out


def test_bad_option_is_a_clear_error(capsys):
    """A worker count of zero is rejected naming the field, without a traceback."""
    assert main(["plan", str(THREE), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert "workers" in err and "Traceback" not in err


def test_unreadable_plan_is_a_clear_error(tmp_path, capsys):
    """A plan file that is not JSON gives exit code 2 and a message."""
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    assert main(["check", str(THREE), str(bad)]) == 2
    assert "cannot read the plan" in capsys.readouterr().err


def test_a_bad_now_is_a_clear_error(tmp_path, capsys):
    """`planner replan --now` with no date in it: exit code 2 and the message, before any plan is read."""
    assert main(["replan", str(THREE), str(tmp_path / "plan.json"), "--now", "yesterday"]) == 2
    assert "--now: 'yesterday' is not an ISO datetime" in capsys.readouterr().err


def test_an_unknown_position_is_a_clear_error(tmp_path, capsys):
    """A replan refused by the replanner itself (an unknown city) gives exit code 2 and its message."""
    out = tmp_path / "plan.json"
    assert main(["plan", str(THREE), "--out", str(out), "--time-limit", "3600"]) == 0
    capsys.readouterr()
    now = json.loads(out.read_text())["legs"][0]["depart"]
    assert main(["replan", str(THREE), str(out), "--now", now, "--position", "atlantis"]) == 2
    assert "position: unknown city 'atlantis'" in capsys.readouterr().err


def test_the_package_says_its_licence():
    """The installed distribution's metadata names the licence, and the licence text is beside it."""
    metadata = importlib.metadata.metadata("delegation-planner")
    assert metadata["License-Expression"] == "Apache-2.0"
    assert set(metadata.get_all("License-File") or []) == {"LICENSE", "NOTICE"}
    assert "Apache License\n                           Version 2.0" in (ROOT / "LICENSE").read_text()
    assert "Copyright 2026 The delegation planner authors" in (ROOT / "NOTICE").read_text()


def test_export_of_a_plan_missing_a_field_names_it(tmp_path, capsys):
    """The export reads the plan document first: a missing field is named, exit 2, no traceback."""
    out = tmp_path / "plan.json"
    assert main(["plan", str(THREE), "--out", str(out), "--time-limit", "3600"]) == 0
    data = json.loads(out.read_text())
    del data["totals"]["cost"]
    out.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["export", str(out), "--scenario", str(THREE), "--map", str(tmp_path / "map.svg")]) == 2
    err = capsys.readouterr().err
    assert "plan.json: totals.cost: missing" in err and "Traceback" not in err
    assert not (tmp_path / "map.svg").exists()
