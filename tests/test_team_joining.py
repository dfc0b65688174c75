"""A member who joins their team en route (``joins_en_route``): the plan, its checker, costs,
calendars, replans and the scenario's validation."""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

import pytest
import yaml

from planner.check.teams import check_team_plan
from planner.domain import Disruption, Scenario
from planner.scenario import ScenarioError, load_scenario
from planner.team_replan import replan_teams
from planner.team_report import member_calendars
from planner.teams import TeamsOutcome, plan_teams, teams_plan_json
from tests.brute_force import coverage
from tests.conftest import SCENARIOS, load, unhurried
from tests.scenario_gen import describe, random_scenario
from tests.test_team_referee import with_two_teams

JOINING = SCENARIOS / "three-cities-joining.yaml"
FAST = range(6)
SLOW = range(6, 60)


def _waiting(scenario: Scenario) -> Scenario:
    """The same scenario with the team waiting for every member (nobody joins en route)."""
    members = tuple(m.model_copy(update={"joins_en_route": False}) for m in scenario.members)
    return scenario.model_copy(update={"members": members})


def _rank(scenario: Scenario, outcome: TeamsOutcome) -> tuple[int, int]:
    """(coverage points, -summed travel cost): higher is better."""
    held = frozenset(
        s.city for share in outcome.shares if share.result.itinerary for s in share.result.itinerary.seminars
    )
    cost = sum(share.result.secondary_cost for share in outcome.shares)
    cost += sum(share.joiner.result.secondary_cost for share in outcome.shares if share.joiner)
    return coverage(scenario, held), -cost


@pytest.fixture(scope="module")
def joined() -> tuple[Scenario, dict[str, Any]]:
    scenario = load(JOINING)
    return scenario, teams_plan_json(scenario, plan_teams(scenario))


def test_the_member_meets_the_team_at_home_and_the_plan_beats_waiting(joined):
    scenario, document = joined
    assert document["status"] == "OPTIMAL"
    assert check_team_plan(scenario, document) == []
    east = next(t for t in document["teams"] if t["id"] == "east")
    meeting = east["joiner"]
    assert meeting["member"] == "undp-a" and meeting["home_city"] == "pavlodar"
    assert meeting["city"] == "pavlodar" and meeting["plan"]["legs"] == []
    at = dt.datetime.fromisoformat(meeting["at"])
    assert at.utcoffset() == dt.timedelta(hours=6)  # local to Pavlodar
    # Before she joins, the legs carry the two others; after, nobody is marked (the whole team).
    for leg in east["plan"]["legs"]:
        before = dt.datetime.fromisoformat(leg["depart"]) < at
        assert leg.get("people") == (2 if before else None)
    waiting = _waiting(scenario)
    waited = plan_teams(waiting)
    assert waited.status.value == "OPTIMAL"
    assert _rank(scenario, plan_teams(scenario)) > _rank(waiting, waited)


def test_the_member_pays_only_from_when_she_travels(joined):
    _, document = joined
    east = next(t for t in document["teams"] if t["id"] == "east")
    people = {p["member"]: p for p in document["costs"]["people"]}
    at = dt.datetime.fromisoformat(east["joiner"]["at"])
    legs = east["plan"]["legs"]
    before = sum(leg["cost"] / leg["people"] for leg in legs if "people" in leg)
    after = sum(leg["cost"] / 3 for leg in legs if "people" not in leg)
    assert people["undp-a"]["fares"] == pytest.approx(after, abs=0.01)
    assert people["trainer-a"]["fares"] == pytest.approx(before + after, abs=0.01)
    # At home in Pavlodar: no hotel; her per-diems from the day she joins to the team's return.
    assert people["undp-a"]["hotels"] == 0
    back = dt.datetime.fromisoformat(legs[-1]["arrive"]).date()
    assert people["undp-a"]["days"] == (back - at.date()).days + 1
    assert people["undp-a"]["days"] < people["trainer-a"]["days"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda e: e["plan"]["legs"][0].pop("people"), "teams.0.plan.legs.0.people"),
        (lambda e: e["joiner"].update(member="mne-a"), "teams.0.joiner.member"),
        (lambda e: e["joiner"].update(at="2016-01-19T10:30:00+06:00"), "teams.0.joiner.at"),
        (lambda e: e["joiner"].update(home_city="astana"), "teams.0.joiner.home_city"),
    ],
)
def test_the_checker_catches_a_wrong_meeting(joined, change, where):
    scenario, document = joined
    tampered = copy.deepcopy(document)
    entry = next(t for t in tampered["teams"] if t["id"] == "east")
    assert tampered["teams"].index(entry) == 0
    change(entry)
    found = check_team_plan(scenario, tampered)
    assert any(v.where == where for v in found), found


def test_the_joiners_calendar_starts_at_her_home_and_skips_the_teams_earlier_legs(joined):
    scenario, document = joined
    calendars = member_calendars(scenario, document)
    hers, trainer = calendars["undp-a"].decode(), calendars["trainer-a"].decode()
    assert "KC885" in trainer and "KC885" not in hers  # the flight before she joins
    assert "KC886" in trainer and "KC886" in hers  # the flight home together
    assert hers.count("BEGIN:VEVENT") < trainer.count("BEGIN:VEVENT")


def test_a_replan_before_the_member_joins_keeps_the_meeting_and_one_after_it_is_checked(joined):
    scenario, document = joined
    planned = next(t for t in document["teams"] if t["id"] == "east")["joiner"]
    at = dt.datetime.fromisoformat(planned["at"])
    for now in (at - dt.timedelta(hours=1), at + dt.timedelta(hours=4)):
        new = replan_teams(scenario, document, now)
        assert new["version"] == 2
        east = next(t for t in new["teams"] if t["id"] == "east")
        assert (east["joiner"]["city"], east["joiner"]["at"]) == (planned["city"], planned["at"])
        assert sum(t["plan"]["diff"]["changes"] for t in new["teams"]) == 0
        assert check_team_plan(scenario, new, previous=document, now=now) == []


def _her_first_leg_off(leg: dict[str, Any], now: dt.datetime) -> Disruption:
    """An event announced at ``now`` that takes the member's first leg away: its road closed for
    30 hours, or its service's run cancelled."""
    if leg["mode"] == "drive":
        local = now.replace(tzinfo=None)
        return Disruption.model_validate(
            {
                "id": "road-off",
                "kind": "road_closed",
                "road": leg["service"],
                "announced_at": now.isoformat(),
                "start": local.isoformat(timespec="minutes"),
                "end": (local + dt.timedelta(hours=30)).isoformat(timespec="minutes"),
            }
        )
    return Disruption.model_validate(
        {
            "id": "run-off",
            "kind": "service_cancelled",
            "service": leg["service"],
            "announced_at": now.isoformat(),
            "start": f"{leg['run_date']}T00:00",
            "end": f"{leg['run_date']}T23:59",
        }
    )


def check_replans_before_the_join(seed: int) -> int:
    """Replans of a plan whose member joins en route, from before the join: with no event nothing
    changes; with her first leg taken away the team and she are replanned together. Every version
    passes the checker as a replan. Returns how many replans were made."""
    scenario = _with_joiner(seed)
    outcome = plan_teams(scenario)
    if outcome.status.value not in ("OPTIMAL", "FEASIBLE"):
        return 0
    document = teams_plan_json(scenario, outcome)
    made = 0
    for entry in document["teams"]:
        meeting = entry.get("joiner")
        if not meeting:
            continue
        at = dt.datetime.fromisoformat(meeting["at"])
        legs = meeting["plan"]["legs"]
        context = f"seed {seed}\n{describe(scenario)}"
        if legs:
            now = dt.datetime.fromisoformat(legs[0]["depart"]) - dt.timedelta(hours=2)
            if now < at:
                new = replan_teams(scenario, document, now, (_her_first_leg_off(legs[0], now),))
                assert check_team_plan(scenario, new, previous=document, now=now) == [], context
                made += 1
        now = at - dt.timedelta(minutes=1)
        new = replan_teams(scenario, document, now)
        assert sum(t["plan"]["diff"]["changes"] for t in new["teams"]) == 0, context
        assert check_team_plan(scenario, new, previous=document, now=now) == [], context
        made += 1
    return made


@pytest.mark.parametrize("seeds", [range(0, 12)])
def test_replans_before_the_join_are_checked(seeds):
    assert sum(check_replans_before_the_join(seed) for seed in seeds) > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(12, 80))
def test_replans_before_the_join_are_checked_slow(seed):
    check_replans_before_the_join(seed)


def _with_joiner(seed: int) -> Scenario:
    """The two-team random scenario, the first team's UNDP officer free only later, at a home city."""
    scenario = with_two_teams(random_scenario(seed), seed)
    draw = random.Random(1000 + seed)
    data = scenario.model_dump(mode="json")
    start = dt.datetime.fromisoformat(str(data["delegation"]["earliest_departure"]))
    later = (start + dt.timedelta(hours=draw.choice([6, 20, 26, 44]))).replace(tzinfo=None)
    officer = next(m for m in data["members"] if m["id"] == "u1")
    officer.update(
        # Half the time at the team's start (where it may also wait for them), else anywhere.
        home_city=(
            data["delegation"]["start_city"]
            if draw.random() < 0.5
            else draw.choice([c["id"] for c in data["cities"]])
        ),
        available_from=later.isoformat(timespec="minutes"),
        joins_en_route=True,
    )
    if draw.random() < 0.5 and data["seminars"]:
        # A city only the whole first team may staff: the officer must be there.
        city = draw.choice(data["seminars"])["city"]
        data["staffing"].setdefault("cities", {})[city] = {"trainer": 1, "undp": 1}
    return unhurried(Scenario.model_validate(data))


def check_joining(seed: int) -> None:
    scenario = _with_joiner(seed)
    context = f"seed {seed}\n{describe(scenario)}"
    outcome = plan_teams(scenario)
    waited = plan_teams(_waiting(scenario))
    officer = scenario.member("u1")
    start = scenario.teams[0].start_city or scenario.delegation.start_city
    # Waiting at the start is the team's choice only for a member who lives there (one who lives
    # elsewhere meets it at a seminar; the waiting variant would leave their way to the start out).
    if waited.status.value == "OPTIMAL" and officer.home_city == start:
        assert outcome.status.value == "OPTIMAL", context
        # Waiting is one of the team's choices: meeting en route is never worse.
        assert _rank(scenario, outcome) >= _rank(scenario, waited), context
    if outcome.status.value in ("OPTIMAL", "FEASIBLE"):
        document = teams_plan_json(scenario, outcome)
        assert check_team_plan(scenario, document) == [], context


@pytest.mark.parametrize("seed", FAST)
def test_meeting_en_route_is_checked_and_never_worse_than_waiting(seed):
    check_joining(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW)
def test_meeting_en_route_is_checked_and_never_worse_than_waiting_slow(seed):
    check_joining(seed)


def _members_with(tmp_path, change) -> Scenario:
    data = yaml.safe_load(JOINING.read_text(encoding="utf-8"))
    data["extends"] = str(SCENARIOS / "three-cities-two-teams.yaml")
    change(data)
    path = tmp_path / "joining.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_scenario(path)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["members"][4].pop("home_city"), "home_city and available_from"),
        (lambda d: d["members"][4].pop("available_from"), "home_city and available_from"),
        (lambda d: d["members"][0].update(joins_en_route=True), "another member joining en route"),
        (lambda d: d.update(budget={"cap": 1000000, "enforce": "hard"}), "not with budget enforce 'hard'"),
    ],
)
def test_a_bad_joiner_is_refused_naming_the_field(tmp_path, change, words):
    with pytest.raises(ScenarioError) as error:
        _members_with(tmp_path, change)
    text = str(error.value)
    assert "joins_en_route" in text and words in text, text
