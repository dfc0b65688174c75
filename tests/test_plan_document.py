"""The plan document: every plan and replan the planner wrote reads back and dumps to the same JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner.document import FORMAT, PlanDocument, PlanDocumentError, read_document
from planner.inputs import PLAN_FORMAT
from tests.golden import GOLDEN

# The golden files have their run times blanked; any number stands in for them.
_RUN_TIME = 1.25
# Single plans and replans; a team plan holds one plan per team (read back below).
GOLDEN_PLANS = sorted(
    p for p in GOLDEN.glob("*.json") if json.loads(p.read_text()).get("format") == PLAN_FORMAT
)
GOLDEN_TEAM_PLANS = sorted(p for p in GOLDEN.glob("*.json") if p not in GOLDEN_PLANS)


def _timed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (_RUN_TIME if v == "<time>" else _timed(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_timed(v) for v in value]
    return value


def _blanked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<time>" if v == _RUN_TIME else _blanked(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_blanked(v) for v in value]
    return value


def test_the_format_is_the_one_the_input_gate_checks() -> None:
    assert FORMAT == PLAN_FORMAT


def test_there_are_plans_and_replans_to_read() -> None:
    names = {path.name for path in GOLDEN_PLANS}
    assert {"three-cities.plan.json", "replan.v2.json", "replan.v3.json"} <= names


@pytest.mark.parametrize("path", GOLDEN_PLANS, ids=lambda path: path.name)
def test_every_golden_plan_reads_back_and_dumps_to_the_same_json(path: Path) -> None:
    text = path.read_text()
    document = PlanDocument.model_validate(_timed(json.loads(text)))
    # Written as the golden files are: key order, integers and floats all count.
    dumped = json.dumps(_blanked(document.to_json()), indent=1, ensure_ascii=False) + "\n"
    assert dumped == text


@pytest.mark.parametrize("path", GOLDEN_TEAM_PLANS, ids=lambda path: path.name)
def test_every_team_of_a_golden_team_plan_reads_back_and_dumps_to_the_same_json(path: Path) -> None:
    for team in json.loads(path.read_text())["teams"]:
        document = PlanDocument.model_validate(_timed(team["plan"]))
        assert _blanked(document.to_json()) == team["plan"]


def test_absent_members_stay_absent_and_nulls_stay_null() -> None:
    plan = json.loads((GOLDEN / "three-cities.plan.json").read_text())
    dumped = read_document(_timed(plan)).to_json()
    assert "now" not in dumped and "position" not in dumped and "stability_points" not in dumped
    assert dumped["based_on"] is None and dumped["diff"] is None
    replanned = read_document(_timed(json.loads((GOLDEN / "replan.v2.json").read_text()))).to_json()
    assert replanned["based_on"] == 1 and replanned["position"]["city"] == "shymkent"


def test_a_broken_plan_names_the_field() -> None:
    plan = _timed(json.loads((GOLDEN / "three-cities.plan.json").read_text()))
    del plan["legs"][0]["depart"]
    with pytest.raises(PlanDocumentError, match=r"^legs\[0\]\.depart: missing$"):
        read_document(plan)
    plan = _timed(json.loads((GOLDEN / "three-cities.plan.json").read_text()))
    plan["seminars"][1]["start"] = "2016-01-19T09:30"
    with pytest.raises(PlanDocumentError, match=r"^seminars\[1\]\.start: .*has no UTC offset"):
        read_document(plan)
    with pytest.raises(PlanDocumentError, match=r"^plan: expected an object$"):
        read_document([])


def test_the_document_is_immutable() -> None:
    document = read_document(_timed(json.loads((GOLDEN / "three-cities.plan.json").read_text())))
    with pytest.raises(ValueError, match="frozen"):
        document.version = 2


def test_a_plan_written_by_an_earlier_release_still_reads() -> None:
    """Members added to format 1 later (run time, reported positions, solver figures, the diff's
    parts) read with their defaults, so a database of older plans is still served."""
    plan = json.loads((Path(__file__).parent / "data" / "check-small.plan.json").read_text())
    assert "runtime_s" not in plan and "reported_positions" not in plan and "stats" not in plan["solver"]
    document = read_document({**plan, "version": 2, "based_on": 1, "diff": {"changes": 2}})
    assert document.runtime_s is None and document.reported_positions == ()
    assert document.solver.optimal_over is None and document.solver.stats == {}
    assert document.diff is not None and document.diff.changes == 2 and document.diff.seminars.moved == ()
    assert [s.city for s in document.seminars] == [s["city"] for s in plan["seminars"]]
