"""The reliability picture: one bar per count of regions covered, fragile legs wider than robust ones."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from planner.domain import Scenario
from planner.pictures.reliability import ROBUST_WIDTH, leg_width, risk_svg
from planner.risk.replay import Policy, _leg_label
from planner.risk.report import RiskReport, summarise
from planner.risk.runner import run_samples
from planner.scenario import load_risk, load_scenario
from tests.api_support import ROOT

SVG = "{http://www.w3.org/2000/svg}"
SCENARIO = ROOT / "scenarios" / "three-cities.yaml"
Fixture = tuple[Scenario, dict[str, Any], RiskReport]


@pytest.fixture(scope="module")
def three_cities() -> Fixture:
    scenario = load_scenario(SCENARIO)
    # The golden plan, with its measured times (blanked there as "<time>") given back as numbers.
    text = (ROOT / "tests" / "data" / "golden" / "three-cities.plan.json").read_text()
    plan = json.loads(text.replace('"<time>"', "0.0"))
    risk = load_risk(ROOT / "scenarios" / "risk" / "three-cities.yaml", scenario)
    outcomes = run_samples(scenario, risk, plan, 60, 0, Policy.FOLLOW)
    return scenario, plan, summarise(scenario, plan, outcomes, 0, "follow")


def groups(svg: str, prefix: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    return {g.get("id", ""): g for g in root.iter(f"{SVG}g") if g.get("id", "").startswith(prefix)}


def stroke_width(group: ET.Element) -> float:
    """The width of the first stroked path of a group (an arrow's line; its head comes after)."""
    for path in group.iter(f"{SVG}path"):
        found = re.search(r"stroke-width:\s*([0-9.]+)", path.get("style", ""))
        if found:
            return float(found[1])
    raise AssertionError(f"no stroked path in {group.get('id')}")


def test_the_histogram_has_one_bar_per_count(
    three_cities: Fixture,
) -> None:
    scenario, plan, report = three_cities
    assert sum(samples for _, samples in report.regions_histogram) == report.samples == 60
    assert len(report.regions_histogram) >= 2  # the follow policy loses regions in some samples
    bars = groups(risk_svg(scenario, plan, report), "bar-")
    assert sorted(bars) == sorted(f"bar-{regions}" for regions, _ in report.regions_histogram)
    assert bars[f"bar-{report.plan_regions}"].get("class") == "bar all-regions"


def test_fragile_legs_are_wider_than_robust_ones(
    three_cities: Fixture,
) -> None:
    scenario, plan, report = three_cities
    labels = [_leg_label(leg) for leg in plan["legs"]]
    # One leg disrupted in 60 % of the samples, one in 10 %, the others in none listed.
    chosen = dataclasses.replace(report, fragile_legs=((labels[0], 0.6), (labels[-1], 0.1)))
    legs = groups(risk_svg(scenario, plan, chosen), "leg-")
    widths = {index: stroke_width(legs[f"leg-{index}"]) for index in range(len(labels))}
    robust = [widths[i] for i in range(1, len(labels) - 1)]
    assert robust and all(width == pytest.approx(ROBUST_WIDTH, abs=0.01) for width in robust)
    assert widths[0] == pytest.approx(leg_width(0.6), abs=0.01)
    assert widths[0] > widths[len(labels) - 1] > max(robust)
    assert "fragile" in legs["leg-0"].get("class", "") and "robust" in legs["leg-1"].get("class", "")


def test_the_report_s_own_fragile_legs_are_drawn_by_their_share(
    three_cities: Fixture,
) -> None:
    scenario, plan, report = three_cities
    labels = [_leg_label(leg) for leg in plan["legs"]]
    assert report.fragile_legs, "the follow policy breaks some leg in 60 samples"
    legs = groups(risk_svg(scenario, plan, report), "leg-")
    shares = dict(report.fragile_legs)
    for index, label in enumerate(labels):
        assert stroke_width(legs[f"leg-{index}"]) == pytest.approx(
            leg_width(shares.get(label, 0.0)), abs=0.01
        )


def test_the_picture_is_the_same_for_the_same_report(
    three_cities: Fixture,
) -> None:
    scenario, plan, report = three_cities
    assert risk_svg(scenario, plan, report) == risk_svg(scenario, plan, report)


def test_planner_risk_draws_the_report_with_picture(tmp_path, capsys):
    from planner.cli import main
    from tests.conftest import SCENARIOS

    three = SCENARIOS / "three-cities.yaml"
    plan_path = tmp_path / "plan.json"
    assert main(["plan", str(three), "--out", str(plan_path)]) == 0
    picture = tmp_path / "out" / "risk.svg"
    args = ["risk", str(three), str(plan_path), "--samples", "20", "--policy", "follow", "--workers", "1"]
    assert main([*args, "--picture", str(picture)]) == 0
    assert f"Picture written to {picture}" in capsys.readouterr().out
    root = ET.fromstring(picture.read_text("utf-8"))
    assert root.tag.endswith("svg")
    wrong = tmp_path / "risk.png"
    assert main([*args, "--picture", str(wrong)]) == 2
    err = capsys.readouterr().err
    assert "--picture" in err and "Traceback" not in err and not wrong.exists()
