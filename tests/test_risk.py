"""Winter risk: the risk file, the seeded sampling, the replay policies, the report and `planner risk`."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from planner.cli import main
from planner.domain import Scenario, trip_window
from planner.risk.model import RiskModel
from planner.risk.replay import Policy, Replayer
from planner.risk.report import mean_interval, percentile, summarise, wilson, worst_timeline
from planner.risk.runner import run_samples
from planner.risk.sampling import draw, trials_of
from planner.scenario import ScenarioError, load_events, load_risk, load_scenario
from planner.whatif import play
from tests.conftest import SCENARIOS, make_plan, steppe_data, unhurried

THREE = SCENARIOS / "three-cities.yaml"
RISKS = SCENARIOS / "risk"

FOG = {
    "id": "akx-fog",
    "kind": "terminal_closure",
    "terminal": "AKX",
    "chance_per_day": 0.3,
    "start_hours": {"from": 6, "to": 10},
    "duration_hours": {"min": 2, "most_likely": 4, "max": 8},
    "lead_hours": 2,
}
BLIZZARD = {
    "id": "blizzard",
    "kind": "road_closure",
    "road": "astana-karaganda",
    "chance_per_day": 0.3,
    "start_hours": {"from": 0, "to": 24},
    "duration_hours": {"min": 8, "most_likely": 12, "max": 24},
    "lead_hours": 3,
}
LATE = {
    "id": "late",
    "kind": "service_delay",
    "mode": "flight",
    "chance_per_run": 0.2,
    "delay_minutes": {"min": 30, "most_likely": 60, "max": 240},
    "lead_hours": 1,
}
STORM = {
    "id": "front",
    "kind": "storm",
    "chance_per_day": 0.5,
    "affects": {"terminals": ["TSE", "AKX"], "roads": ["astana-karaganda"]},
    "start_hours": {"from": 12, "to": 18},
    "duration_hours": {"min": 4, "most_likely": 6, "max": 10},
    "lead_hours": 6,
}


def risk_of(*hazards: dict[str, Any]) -> RiskModel:
    return RiskModel.model_validate({"name": "test", "scenario": "steppe", "hazards": list(hazards)})


@pytest.fixture(scope="module")
def steppe_plan() -> tuple[Scenario, dict[str, Any]]:
    scenario = Scenario.model_validate(steppe_data())
    return scenario, make_plan(scenario)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- The risk file ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["three-cities", "kazakhstan-winter-2016"])
def test_bundled_risk_files_load_and_every_number_has_a_source_or_an_estimate_tag(name):
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    risk = load_risk(RISKS / f"{name}.yaml", scenario)
    assert risk.scenario == scenario.name and risk.hazards
    for hazard in risk.hazards:
        assert re.search(r"S\d+|\[EST\]", hazard.note), hazard.id


def test_the_flagship_risk_file_covers_the_winter_patterns_of_the_facts():
    scenario = load_scenario(SCENARIOS / "kazakhstan-winter-2016.yaml")
    risk = load_risk(RISKS / "kazakhstan-winter-2016.yaml", scenario)
    kinds = {h.kind.value for h in risk.hazards}
    assert kinds >= {"terminal_closure", "road_closure", "road_slowdown", "service_delay", "storm"}
    targets = {getattr(h, "terminal", None) for h in risk.hazards} | {
        getattr(h, "region", None) for h in risk.hazards
    }
    assert {"ALA", "SCO", "karaganda", "akmola", "pavlodar", "kyzylorda"} <= targets


BAD_CASES = [
    (
        "hazards:\n  - {id: a, kind: terminal_closure, terminal: NOPE, chance_per_day: 0.1,\n"
        "     start_hours: {from: 1, to: 2}, duration_hours: {min: 1, most_likely: 1, max: 1}}\n",
        "hazards.0.terminal",
        "unknown terminal 'NOPE'",
    ),
    (
        "hazards:\n  - {id: a, kind: road_closure, road: astana-karaganda, chance_per_day: 1.5,\n"
        "     start_hours: {from: 1, to: 2}, duration_hours: {min: 1, most_likely: 1, max: 1}}\n",
        "hazards.0",
        "chance_per_day",
    ),
    (
        "hazards:\n  - {id: a, kind: road_slowdown, region: karaganda, factor: 1.5, chance_per_day: 0.1,\n"
        "     start_hours: {from: 1, to: 2}, duration_hours: {min: 3, most_likely: 1, max: 4}}\n",
        "duration_hours",
        "min <= most_likely <= max",
    ),
    (
        "hazards:\n  - {id: a, kind: service_delay, service: KC101, chance_per_run: 0.1, colour: red,\n"
        "     delay_minutes: {min: 1, most_likely: 2, max: 3}}\n",
        "colour",
        "",
    ),
    (
        "hazards:\n  - {id: a, kind: storm, chance_per_day: 0.1, affects: {regions: [atlantis]},\n"
        "     start_hours: {from: 1, to: 2}, duration_hours: {min: 1, most_likely: 1, max: 1}}\n",
        "hazards.0.affects.regions.0",
        "unknown region 'atlantis'",
    ),
    (
        "hazards:\n  - {id: a, kind: storm, chance_per_day: 0.1, affects: {terminals: [TSE], roads: [TSE]},\n"
        "     start_hours: {from: 1, to: 2}, duration_hours: {min: 1, most_likely: 1, max: 1}}\n",
        "hazards.0.affects.roads.0",
        "named twice",
    ),
    ("hazards:\n  - {id: a, kind: hail, chance_per_day: 0.1}\n", "hazards.0.kind", "unknown kind 'hail'"),
    (
        "hazards:\n  - {id: a, kind: service_cancellation, mode: drive, chance_per_run: 0.1}\n",
        "hazards.0.mode",
        "flight, train or bus",
    ),
]


@pytest.mark.parametrize(("body", "field", "words"), BAD_CASES)
def test_a_bad_risk_file_is_refused_naming_the_file_line_and_field(tmp_path, body, field, words):
    scenario = Scenario.model_validate(steppe_data())
    path = write(tmp_path / "risk.yaml", "name: bad\nscenario: steppe\n" + body)
    with pytest.raises(ScenarioError) as caught:
        load_risk(path, scenario)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert str(path) in text and field in text and words in text
    assert re.search(r"risk\.yaml:\d+: ", text), text


def test_a_risk_file_for_another_scenario_is_refused(tmp_path):
    scenario = Scenario.model_validate(steppe_data())
    path = write(tmp_path / "risk.yaml", "name: other\nscenario: three-cities\nhazards: []\n")
    with pytest.raises(ScenarioError, match="three-cities"):
        load_risk(path, scenario)


def test_planner_validate_tells_a_risk_file_apart_and_checks_it(tmp_path, capsys):
    """`planner validate` recognises a risk file by its `hazards`, checks it against the scenario it
    names, and refuses a bad one with exit 2, naming the field."""
    assert main(["validate", str(SCENARIOS / "risk" / "kazakhstan-winter-2016.yaml")]) == 0
    out = capsys.readouterr().out
    assert "valid risk file" in out and "kazakhstan-winter-2016" in out
    bad = write(
        tmp_path / "risk.yaml",
        "name: bad\nscenario: kazakhstan-winter-2016\n"
        "hazards:\n  - {id: fog, kind: terminal_closure, terminal: XXX, chance_per_day: 0.1,\n"
        "     start_hours: {from: 6, to: 9}, duration_hours: {min: 1, most_likely: 2, max: 3},\n"
        "     lead_hours: 1}\n",
    )
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "hazards.0.terminal" in err and "XXX" in err


# --- Sampling --------------------------------------------------------------------------------


def test_every_chance_at_zero_draws_no_event():
    scenario = load_scenario(SCENARIOS / "kazakhstan-winter-2016.yaml")
    risk = load_risk(RISKS / "kazakhstan-winter-2016.yaml", scenario)
    silent = risk.model_copy(
        update={
            "hazards": tuple(
                h.model_copy(
                    update={"chance_per_day" if hasattr(h, "chance_per_day") else "chance_per_run": 0.0}
                )
                for h in risk.hazards
            )
        }
    )
    trials = trials_of(scenario, silent)
    assert trials.trials and all(draw(trials, 7, i) == () for i in range(50))


def test_sample_i_depends_on_seed_and_index_only():
    scenario = Scenario.model_validate(steppe_data())
    trials = trials_of(scenario, risk_of(FOG, BLIZZARD, LATE, STORM))
    forward = [draw(trials, 3, i) for i in range(30)]
    backward = [draw(trials, 3, i) for i in reversed(range(30))][::-1]
    assert forward == backward
    assert any(forward) and forward != [draw(trials, 4, i) for i in range(30)]


def test_events_are_announced_lead_hours_ahead_but_never_before_the_trip():
    scenario = Scenario.model_validate(steppe_data())
    leave, back = trip_window(scenario)
    trials = trials_of(scenario, risk_of(FOG, BLIZZARD))
    events = [e for i in range(200) for e in draw(trials, 0, i)]
    assert events
    for event in events:
        assert leave <= event.announced_at and event.start < event.end
        assert event.start < back and event.end > leave
        hours = 2 if event.terminal else 3
        # Announced lead_hours ahead; one that would be announced earlier is known at departure.
        assert event.announced_at == max(leave, event.start - dt.timedelta(hours=hours))


def test_a_storm_closes_every_target_together():
    scenario = Scenario.model_validate(steppe_data())
    trials = trials_of(scenario, risk_of(STORM))
    storms = [draw(trials, 1, i) for i in range(20)]
    fired = [s for s in storms if s]
    assert fired
    for events in fired:
        by_day: dict[str, list[Any]] = {}
        for event in events:
            by_day.setdefault(event.start.isoformat(), []).append(event)
        for group in by_day.values():
            assert sorted(e.terminal or e.road for e in group) == ["AKX", "TSE", "astana-karaganda"]
            assert len({(e.start, e.end, e.announced_at) for e in group}) == 1


# --- Replay ----------------------------------------------------------------------------------


def test_follow_loses_every_seminar_from_the_first_broken_leg(steppe_plan):
    """AKX closed while the outbound flight lands: Aktobe is lost, Karaganda (before) kept, not back."""
    scenario, plan = steppe_plan
    assert [s["city"] for s in plan["seminars"]] == ["karaganda", "aktobe"]
    closed = load_events_data(
        scenario,
        [
            {
                "id": "akx",
                "kind": "terminal_closed",
                "terminal": "AKX",
                "announced_at": "2016-01-20T05:00",
                "start": "2016-01-20T06:00",
                "end": "2016-01-20T09:00",
            }
        ],
    )
    follow = Replayer(scenario, plan, Policy.FOLLOW).outcome(0, closed)
    assert (follow.cities, follow.back, follow.lost_cities) == (1, False, ("aktobe",))
    assert any(label.startswith("KC101 TSE->AKX") for label in follow.disrupted_legs)
    replanned = Replayer(scenario, plan, Policy.REPLAN).outcome(0, closed)
    assert replanned.violations == 0 and replanned.back and replanned.changes >= 1


def load_events_data(scenario: Scenario, events: list[dict[str, Any]]) -> tuple[Any, ...]:
    from planner.scenario import events_from_data

    return events_from_data({"name": "t", "events": events}, scenario).events


@pytest.mark.parametrize("policy", list(Policy))
def test_every_replayed_version_passes_the_checker(steppe_plan, policy):
    scenario, plan = steppe_plan
    outcomes = run_samples(scenario, risk_of(FOG, BLIZZARD, LATE, STORM), plan, 30, seed=5, policy=policy)
    assert [o.index for o in outcomes] == list(range(30))
    assert all(o.violations == 0 for o in outcomes)
    assert any(o.events for o in outcomes) and any(o.cities < len(plan["seminars"]) for o in outcomes)


def test_one_worker_and_two_workers_give_the_same_outcomes():
    scenario = unhurried(load_scenario(THREE))
    risk = load_risk(RISKS / "three-cities.yaml", scenario)
    plan = make_plan(scenario)
    here = run_samples(scenario, risk, plan, 6, seed=11, policy=Policy.REPLAN, workers=1)
    pooled = run_samples(scenario, risk, plan, 6, seed=11, policy=Policy.REPLAN, workers=2)
    assert here == pooled and any(o.events for o in here)


# --- The report ------------------------------------------------------------------------------


def test_interval_formulas():
    assert wilson(0, 10).low == 0.0 and 0.27 < wilson(0, 10).high < 0.28  # 0.2775 (Wilson)
    assert wilson(10, 10).high == 1.0 and 0.72 < wilson(10, 10).low < 0.73
    middle = mean_interval([1.0, 2.0, 3.0, 4.0])
    assert middle.value == 2.5 and middle.high - 2.5 == pytest.approx(1.959964 * 1.290994 / 2, rel=1e-5)
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0


def test_report_names_fragile_legs_and_the_worst_samples(steppe_plan):
    scenario, plan = steppe_plan
    outcomes = run_samples(scenario, risk_of(FOG, BLIZZARD), plan, 40, seed=2, policy=Policy.FOLLOW)
    report = summarise(scenario, plan, outcomes, 2, "follow", worst=2)
    broken = sum(1 for o in outcomes if not o.back)
    assert report.back.value == 1 - broken / 40 and report.back.low <= report.back.value <= report.back.high
    assert report.fragile_legs and all(0 < share <= 1 for _, share in report.fragile_legs)
    worst = [o for o in outcomes if o.index in report.worst]
    assert max(o.cities for o in worst) <= min(o.cities for o in outcomes if o.index not in report.worst)


# --- The command -----------------------------------------------------------------------------


def test_planner_risk_writes_worst_samples_that_whatif_replays_to_the_same_outcome(tmp_path, capsys):
    plan_path = tmp_path / "plan.json"
    assert main(["plan", str(THREE), "--out", str(plan_path)]) == 0
    worst = tmp_path / "worst"
    args = ["risk", str(THREE), str(plan_path), "--samples", "8", "--seed", "3", "--workers", "1"]
    capsys.readouterr()
    assert main([*args, "--worst-out", str(worst), "--worst", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["samples"] == 8 and report["violations"] == 0 and report["worst_files"]
    scenario = load_scenario(THREE)
    plan = json.loads(plan_path.read_text())
    replayer = Replayer(scenario, plan, Policy.REPLAN)
    for name in report["worst_files"]:
        timeline = load_events(name, scenario)
        index = int(name.rsplit("sample", 1)[1].removesuffix(".yaml"))
        expected = replayer.outcome(
            index, draw(trials_of(scenario, load_risk(RISKS / "three-cities.yaml", scenario)), 3, index)
        )
        final = play(scenario, timeline, plan).final
        assert len(final["seminars"]) == expected.cities
        assert len({r for s in final["seminars"] for r in s["regions"]}) == expected.regions
        assert main(["whatif", str(THREE), name]) == 0
        row = next(
            line for line in capsys.readouterr().out.splitlines() if line.startswith(timeline.name[:24])
        )
        assert row.split()[2:4] == [str(expected.regions), str(expected.cities)]


def test_planner_risk_table_and_bad_input(tmp_path, capsys):
    plan_path = tmp_path / "plan.json"
    assert main(["plan", str(THREE), "--out", str(plan_path)]) == 0
    capsys.readouterr()
    assert (
        main(["risk", str(THREE), str(plan_path), "--samples", "3", "--policy", "follow", "--workers", "1"])
        == 0
    )
    table = capsys.readouterr().out
    assert "P(all regions)" in table and "Wilson" in table
    assert main(["risk", str(THREE), str(plan_path), "--samples", "0"]) == 2
    assert "--samples" in capsys.readouterr().err
    bad = write(tmp_path / "risk.yaml", "name: x\nhazards:\n  - {id: a, kind: storm}\n")
    assert main(["risk", str(THREE), str(plan_path), "--risk", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "risk.yaml" in err and "hazards.0" in err and "Traceback" not in err
    assert main(["risk", str(THREE), str(plan_path), "--risk", str(tmp_path / "none.yaml")]) == 2


def test_worst_timeline_is_a_valid_event_file(steppe_plan, tmp_path):
    scenario, plan = steppe_plan
    outcomes = run_samples(scenario, risk_of(FOG, LATE), plan, 10, seed=0, policy=Policy.FOLLOW)
    outcome = next(o for o in outcomes if o.events)
    path = write(tmp_path / "w.yaml", worst_timeline(scenario, "test", outcome, 0, "follow"))
    timeline = load_events(path, scenario)
    assert timeline.scenario == "steppe" and timeline.events == outcome.events


def test_a_replan_that_changes_nothing_costs_no_extra_hours(steppe_plan):
    """Announced at night in Astana, between two legs of one connection: the version splits that
    connection at its `now`, but the legs, seminars and nights stay, so nothing extra is counted."""
    scenario, plan = steppe_plan
    harmless = load_events_data(
        scenario,
        [
            {
                "id": "slow",
                "kind": "road_slowed",
                "road": "astana-karaganda",
                "factor": 1.5,
                "announced_at": "2016-01-20T02:30",
                "start": "2016-01-20T10:00",
                "end": "2016-01-20T12:00",
            }
        ],
    )
    outcome = Replayer(scenario, plan, Policy.REPLAN).outcome(0, harmless)
    assert (outcome.changes, outcome.violations, outcome.extra_travel_hours, outcome.extra_nights) == (
        0,
        0,
        0,
        0,
    )
    assert outcome.disrupted_legs == () and outcome.lost_cities == () and outcome.all_regions and outcome.back


def test_the_pool_of_planner_risk_ends_with_it_even_after_kill_9(tmp_path):
    """kill -9 of `planner risk` while its two workers replay samples leaves neither behind."""
    import signal
    import subprocess
    import sys
    import time

    from tests.leftovers import children_of, command_line, running

    plan_path = tmp_path / "plan.json"
    assert main(["plan", str(THREE), "--out", str(plan_path)]) == 0
    command = [sys.executable, "-m", "planner.cli", "risk", str(THREE), str(plan_path)]
    risk = subprocess.Popen(
        [*command, "--samples", "100000", "--workers", "2", "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while time.monotonic() < deadline:
            workers = [pid for pid in children_of(risk.pid) if "spawn_main" in command_line(str(pid))]
            if len(workers) == 2:
                break
            time.sleep(0.2)
        assert len(workers) == 2, "the pool's two workers never started"
        risk.send_signal(signal.SIGKILL)
        risk.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if running(pid)]
    finally:
        if risk.poll() is None:
            risk.kill()
            risk.wait()
