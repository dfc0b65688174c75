"""Teams formed by the planner: the distinct splits, the best split against brute force over every
assignment of members to teams (or home, for optional members), the checker of formed teams,
optional members left at home or taken along, bad `forming` input, the anytime answer and the
command line on the shipped example."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import random
from typing import Any

import pytest

from planner.check.forming import check_formed_team_plan
from planner.domain import Scenario
from planner.domain.forming import distinct_splits, distinct_splits_with_home, formed_scenario
from planner.domain.people import Team
from planner.network import TransportNetwork
from planner.problem import Problem, build_problem
from planner.scenario import ScenarioError, load_scenario
from planner.synthetic import tiny_scenario
from planner.team_forming import candidate_teams, coverage_bound, form_teams, formed_plan_json, score
from planner.team_report import render_team_plan
from planner.team_view import team_scenario
from planner.teams import plan_teams, teams_plan_json
from tests.conftest import SCENARIOS, unhurried
from tests.test_teams import two_team_brute_force

FORMED = SCENARIOS / "three-cities-formed-teams.yaml"


def with_forming(scenario: Scenario, seed: int) -> Scenario:
    """4 or 5 members of 2 or 3 roles on a tiny scenario, to be formed into two teams; by seed a
    member free only from the second day, a per-diem of one's own, a city's own staffing rule."""
    draw = random.Random(seed)
    data = scenario.model_dump(mode="json")
    roles = ["trainer", "ministry", "undp"][: draw.choice([2, 3])]
    members: list[dict[str, Any]] = [
        {"id": f"p{i}", "name": f"Person {i}", "role": roles[i % len(roles)]} for i in range(len(roles))
    ]
    for i in range(len(roles), draw.choice([4, 5])):
        members.append({"id": f"p{i}", "name": f"Person {i}", "role": draw.choice(roles)})
    if draw.random() < 0.4:
        second_day = dt.date.fromisoformat(data["calendar"]["start_date"]) + dt.timedelta(days=1)
        draw.choice(members)["available_from"] = f"{second_day}T08:00"
    if draw.random() < 0.3:
        draw.choice(members)["per_diem"] = 9000
    low = draw.choice([1, 2])
    data.update(
        members=members,
        forming={"teams": 2, "min_size": low, "max_size": len(members) - low},
        staffing={"roles": {"trainer": 1, "ministry": 1}},
        costs={"hotel_per_night": 20000, "per_diem": 6000, "note": "[EST]"},
    )
    if draw.random() < 0.5 and data["seminars"]:
        city = draw.choice(data["seminars"])["city"]
        data["staffing"]["cities"] = {city: {roles[-1]: 2}}
    return Scenario.model_validate(data)


def _problems(scenario: Scenario, teams: tuple[Team, ...], built: dict[str, Problem]) -> list[Problem]:
    """Each team's problem, built as the planner builds it (kept across assignments)."""
    problems = []
    for team in teams:
        seen = team_scenario(scenario, team)
        key = seen.model_copy(update={"name": scenario.name}).model_dump_json()
        if key not in built:
            problem = build_problem(seen, network=TransportNetwork.build(seen))
            built[key] = problem.exact() if problem.binding_days else problem
        problems.append(built[key])
    return problems


def with_optional(scenario: Scenario, seed: int) -> Scenario:
    """``with_forming``'s scenario with one or two of its members optional."""
    draw = random.Random(-1 - seed)
    data = with_forming(scenario, seed).model_dump(mode="json")
    for member in draw.sample(data["members"], draw.choice([1, 2])):
        member["optional"] = True
    return Scenario.model_validate(data)


HOME = 2  # in brute force's assignments: the member stays home (optional members only)


def every_assignment_brute_force(scenario: Scenario) -> tuple[int, int] | None:
    """(points, cost) of the best plan over every assignment of each member to team 1 or team 2,
    or to home for an optional member, within the size limits (no reduction by likeness or
    order), each by two-team brute force."""
    forming = scenario.forming
    assert forming is not None and forming.max_size is not None
    ids = [m.id for m in scenario.members]
    places = [(0, 1, HOME) if m.optional else (0, 1) for m in scenario.members]
    built: dict[str, Problem] = {}
    best = None
    for sides in itertools.product(*places):
        groups = [tuple(m for m, side in zip(ids, sides, strict=True) if side == team) for team in (0, 1)]
        if not all(forming.min_size <= len(group) <= forming.max_size for group in groups):
            continue
        teams = tuple(Team(id=f"team-{n + 1}", members=group) for n, group in enumerate(groups))
        fixed = formed_scenario(scenario, teams)
        found = two_team_brute_force(fixed, _problems(fixed, teams, built))
        if found is not None and (best is None or (found[0], -found[1]) > (best[0], -best[1])):
            best = found
    return best


def _formed_equals_brute_force(seed: int, optional: bool = False) -> None:
    scenario = (with_optional if optional else with_forming)(unhurried(tiny_scenario(seed)), seed)
    formed = form_teams(scenario)
    best = every_assignment_brute_force(scenario)
    document = formed_plan_json(formed)
    if best is None:
        assert document["status"] == "INFEASIBLE"
        return
    assert document["status"] == "OPTIMAL"
    assert score(formed.scenario, formed.outcome) == best
    assert document["forming"]["proven"] == document["forming"]["splits"]
    assert check_formed_team_plan(scenario, document) == []
    placed = {m["id"] for t in document["teams"] for m in t["members"]}
    home = [m.id for m in scenario.members if m.id not in placed]
    assert all(scenario.member(m).optional for m in home)
    assert document["forming"].get("left_home", []) == home
    assert ("left_home" in document["forming"]) == optional


# Seed 16 takes several seconds in each of the two checks below: it runs in the slow tier.
@pytest.mark.parametrize("seed", [s for s in range(30) if s != 16])
def test_the_formed_teams_reach_the_best_of_every_assignment(seed):
    """Planning one split per class of alike members and teams loses nothing: the best formed
    plan's (points, cost) is brute force's over every assignment of members to teams."""
    _formed_equals_brute_force(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [16, *range(30, 130)])
def test_the_formed_teams_reach_the_best_of_every_assignment_on_more_seeds(seed):
    _formed_equals_brute_force(seed)


@pytest.mark.parametrize("seed", [s for s in range(20) if s != 16])
def test_with_optional_members_the_formed_teams_reach_the_best_of_every_assignment(seed):
    """Leaving optional members home is weighed exactly too: the best formed plan's (points, cost)
    is brute force's over every assignment of members to teams or, optional ones only, home."""
    _formed_equals_brute_force(seed, optional=True)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [16, *range(20, 100)])
def test_with_optional_members_the_formed_teams_reach_the_best_on_more_seeds(seed):
    _formed_equals_brute_force(seed, optional=True)


def _orbit(vectors: list[tuple[int, ...]]) -> tuple[tuple[int, ...], ...]:
    return tuple(sorted(vectors, reverse=True))


@pytest.mark.parametrize("seed", range(40))
def test_distinct_splits_are_every_split_up_to_likeness_and_order_once(seed):
    """Against all assignments of individual members to labelled teams, reduced to their classes
    of alike members and unordered teams: every class appears, and exactly once."""
    draw = random.Random(seed)
    counts = [draw.randint(1, 3) for _ in range(draw.randint(1, 3))]
    teams = draw.randint(1, 3)
    low = draw.randint(1, 2)
    high = draw.randint(low, max(low, sum(counts)))
    members = [c for c, n in enumerate(counts) for _ in range(n)]
    expected = set()
    for labels in itertools.product(range(teams), repeat=len(members)):
        vectors = [
            tuple(
                sum(1 for m, t in zip(members, labels, strict=True) if m == c and t == team)
                for c in range(len(counts))
            )
            for team in range(teams)
        ]
        if all(low <= sum(v) <= high for v in vectors):
            expected.add(_orbit(vectors))
    found = list(distinct_splits(counts, teams, low, high))
    assert len(found) == len(set(found))
    assert set(found) == expected


@pytest.mark.parametrize("seed", range(40))
def test_distinct_splits_with_home_are_every_assignment_up_to_likeness_and_order_once(seed):
    """Against all assignments of individual members to labelled teams or, for members of an
    optional class, home, reduced to how many of each class stay home and the unordered teams'
    class counts: every reduced assignment appears, and exactly once."""
    draw = random.Random(seed)
    counts = [draw.randint(1, 3) for _ in range(draw.randint(1, 3))]
    while sum(counts) > 7:
        counts[draw.randrange(len(counts))] -= 1
    counts = [n for n in counts if n] or [1]
    optional = [draw.random() < 0.6 for _ in counts]
    teams = draw.randint(1, 3)
    low = draw.randint(1, 2)
    high = draw.randint(low, max(low, sum(counts)))
    members = [c for c, n in enumerate(counts) for _ in range(n)]
    home = teams  # the label of staying home
    places = [(*range(teams), home) if optional[c] else tuple(range(teams)) for c in members]
    expected = set()
    for labels in itertools.product(*places):
        vectors = [
            tuple(
                sum(1 for m, t in zip(members, labels, strict=True) if m == c and t == team)
                for c in range(len(counts))
            )
            for team in range(teams + 1)
        ]
        if all(low <= sum(v) <= high for v in vectors[:teams]):
            expected.add((vectors[teams], _orbit(vectors[:teams])))
    found = list(distinct_splits_with_home(counts, optional, teams, low, high))
    assert len(found) == len(set(found))
    assert set(found) == expected
    nobody_home = [split for at_home, split in found if not any(at_home)]
    assert nobody_home == list(distinct_splits(counts, teams, low, high))


@pytest.fixture(scope="module")
def shipped() -> tuple[Scenario, dict[str, Any]]:
    scenario = unhurried(load_scenario(FORMED))
    return scenario, formed_plan_json(form_teams(scenario))


def test_the_shipped_example_forms_two_teams_and_checks(shipped):
    scenario, document = shipped
    assert document["status"] == "OPTIMAL" and document["uncovered"] == []
    assert [t["id"] for t in document["teams"]] == ["team-1", "team-2"]
    placed = sorted(m["id"] for t in document["teams"] for m in t["members"])
    assert placed == sorted(m.id for m in scenario.members)
    forming = document["forming"]
    assert forming["splits"] == forming["planned"] + forming["skipped"] == forming["proven"] > 1
    assert check_formed_team_plan(scenario, document) == []


def _broken(document: dict[str, Any], change: Any) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    change(copied)
    return copied


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["teams"][1]["members"].append(dict(d["teams"][0]["members"][0])), "more than one team"),
        (lambda d: d["teams"][0]["members"].pop(), "in no team"),
        (lambda d: d["teams"].pop(), "the scenario forms 2"),
        (lambda d: d["teams"][0]["members"].append({"id": "nobody"}), "not members"),
        (lambda d: d["teams"][1].update(id="team-1"), "same id"),
    ],
)
def test_the_checker_rejects_teams_that_break_the_limits(shipped, change, words):
    scenario, document = shipped
    found = check_formed_team_plan(scenario, _broken(document, change))
    assert "teams_formed" in {v.rule for v in found}
    assert any(words in v.message for v in found)


def test_the_checker_rejects_a_team_outside_the_sizes(shipped):
    scenario, document = shipped
    big = max(document["teams"], key=lambda t: len(t["members"]))
    small = next(t for t in document["teams"] if t is not big)

    def move(d: dict[str, Any]) -> None:
        giver = next(t for t in d["teams"] if t["id"] == small["id"])
        taker = next(t for t in d["teams"] if t["id"] == big["id"])
        taker["members"].append(giver["members"].pop())

    found = check_formed_team_plan(scenario, _broken(document, move))
    assert any(v.rule == "teams_formed" and "members" in v.where for v in found)


def test_a_replan_may_not_reshuffle_the_formed_teams(shipped):
    """From the first version on, the teams are the plan's: a version with members moved between
    teams is not a replan of it, even when the moved teams keep the limits."""
    scenario, document = shipped
    first, second = document["teams"]

    def swap(d: dict[str, Any]) -> None:
        a, b = d["teams"][0]["members"], d["teams"][1]["members"]
        a[0], b[0] = b[0], a[0]

    assert first["members"][0]["id"] != second["members"][0]["id"]
    reshuffled = _broken(document, swap)
    assert "teams_formed" not in {v.rule for v in check_formed_team_plan(scenario, reshuffled)}
    found = check_formed_team_plan(scenario, reshuffled, previous=document, now=None)
    assert "teams_share_seminars" in {v.rule for v in found}


def _people(**forming: Any) -> dict[str, Any]:
    data = tiny_scenario(0).model_dump(mode="json")
    data["members"] = [{"id": f"p{i}", "name": f"P{i}", "role": "trainer"} for i in range(5)]
    data["forming"] = {"teams": 2, "min_size": 2, "max_size": 3, **forming}
    return data


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({**_people(), "teams": [{"id": "a", "members": ["p0"]}]}, "forming", "not both"),
        (_people(min_size=3, max_size=2), "forming.max_size", "below min_size"),
        (_people(min_size=3, max_size=4), "forming.min_size", "need 6 members"),
        (_people(max_size=2), "forming.max_size", "every member travels in a team"),
        (_people(start_city="atlantis"), "forming.start_city", "unknown city"),
        (_people(teams=0), "forming.teams", "greater than or equal"),
        (_people(size=4), "forming.size", "unknown field"),
        (
            {**_people(), "budget": {"cap": 1e6, "enforce": "priority", "over_cap_per_point": 1000}},
            "budget.enforce",
            "not yet offered with `forming`",
        ),
        (
            {**_people(), "staffing": {"roles": {"pilot": 1}}},
            "staffing.roles.pilot",
            "no member has the role",
        ),
    ],
)
def test_bad_forming_is_refused_naming_the_field(tmp_path, data, field, words):
    import yaml

    path = tmp_path / "forming.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    text = str(error.value)
    assert field in text and words in text


def test_too_many_distinct_splits_are_refused(tmp_path):
    import yaml

    data = _people(teams=4, min_size=1, max_size=12)
    data["members"] = [{"id": f"p{i}", "name": f"P{i}", "role": f"r{i}"} for i in range(12)]
    path = tmp_path / "forming.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"forming.*more than 500 distinct splits"):
        load_scenario(path)


@pytest.mark.parametrize("seed", range(4))
def test_a_forming_stopped_at_once_still_answers_with_a_checked_plan(seed):
    """Anytime: with almost no deterministic time each split's answer is its first plan, and the
    formed plan is the best of those, checked; it claims OPTIMAL only when every split was proven."""
    scenario = with_forming(unhurried(tiny_scenario(seed)), seed)
    hurried = scenario.solver.model_copy(update={"deterministic_limit": 1e-6})
    formed = form_teams(scenario, hurried)
    document = formed_plan_json(formed)
    if document["status"] in ("INFEASIBLE", "TIME_LIMIT"):
        return
    assert document["status"] in ("FEASIBLE", "OPTIMAL")
    assert (document["status"] == "OPTIMAL") == (formed.proven == formed.splits)
    assert check_formed_team_plan(scenario, document) == []


def test_when_the_time_is_spent_the_best_split_so_far_is_the_answer():
    """A limit already spent after the first split: that split's plan, FEASIBLE, the rest not compared."""
    scenario = load_scenario(FORMED)
    spent = scenario.solver.model_copy(update={"time_limit_s": 1e-9})
    formed = form_teams(scenario, spent)
    document = formed_plan_json(formed)
    assert formed.planned == 1 and formed.splits > 1
    assert document["status"] == "FEASIBLE" and document["bound"] is None
    assert check_formed_team_plan(scenario, document) == []


def test_planner_plan_check_replan_and_export_on_a_forming_scenario(tmp_path, capsys):
    from planner.cli import main

    out, again = tmp_path / "plan.json", tmp_path / "plan.v2.json"
    assert main(["plan", str(FORMED), "--time-limit", "3600", "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "Teams formed by the planner" in shown and "== Team team-1" in shown and "== Team team-2" in shown
    assert main(["check", str(FORMED), str(out)]) == 0
    assert "valid plan" in capsys.readouterr().out
    replan = ["replan", str(FORMED), str(out), "--now", "2016-01-19T07:00+06:00", "--time-limit", "3600"]
    assert main([*replan, "--out", str(again)]) == 0
    capsys.readouterr()
    first, second = (json.loads(p.read_text(encoding="utf-8")) for p in (out, again))
    assert [t["members"] for t in second["teams"]] == [t["members"] for t in first["teams"]]
    assert second["forming"] == first["forming"] and second["version"] == 2
    assert main(["check", str(FORMED), str(again)]) == 0
    folder = tmp_path / "calendars"
    assert main(["export", str(out), "--scenario", str(FORMED), "--members-ics", str(folder)]) == 0
    assert sorted(p.stem for p in folder.iterdir()) == sorted(
        m["id"] for t in first["teams"] for m in t["members"]
    )
    first["teams"][1]["members"].append(dict(first["teams"][0]["members"][0]))
    out.write_text(json.dumps(first), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(FORMED), str(out)]) == 1
    assert "teams_formed" in capsys.readouterr().out
    assert main(replan) == 2
    assert "more than one team" in capsys.readouterr().err
    assert main(["risk", str(FORMED), str(out)]) == 2
    captured = capsys.readouterr()
    assert "forming" in captured.out + captured.err


def _shipped_with(optional: tuple[str, ...], car_seats: int | None = None, **staffing: Any) -> Scenario:
    """The shipped example with these members optional, cars of ``car_seats`` and cities' own
    staffing rules."""
    data = unhurried(load_scenario(FORMED)).model_dump(mode="json")
    for member in data["members"]:
        member["optional"] = member["id"] in optional
    if car_seats is not None:
        data["costs"]["car_seats"] = car_seats
    data["staffing"]["cities"] = staffing
    return Scenario.model_validate(data)


class Formed:
    """A formed plan of a scenario, its score and the scenario with its teams."""

    def __init__(self, scenario: Scenario) -> None:
        formed = form_teams(scenario)
        self.scenario, self.teams = scenario, formed.scenario
        self.document = formed_plan_json(formed)
        self.score = score(formed.scenario, formed.outcome)


@pytest.fixture(scope="module")
def left_behind() -> tuple[Formed, Formed]:
    """Two-seat cars, the UNDP officer optional; and the same with everyone required."""
    return Formed(_shipped_with(("undp-a",), car_seats=2)), Formed(_shipped_with((), car_seats=2))


def test_an_optional_member_who_adds_no_coverage_but_costs_a_car_stays_home(left_behind):
    """The staffing rule needs no UNDP officer and a third member needs a second car, so leaving
    them home covers as much for less: they stay home, the plan says so, checks, and shows it."""
    optional, everyone = left_behind
    document = optional.document
    assert document["status"] == "OPTIMAL" and document["forming"]["left_home"] == ["undp-a"]
    placed = [m["id"] for t in document["teams"] for m in t["members"]]
    assert "undp-a" not in placed and len(placed) == len(optional.scenario.members) - 1
    assert optional.score is not None and everyone.score is not None
    assert optional.score[0] == everyone.score[0] and optional.score[1] < everyone.score[1]
    assert check_formed_team_plan(optional.scenario, document) == []
    shown = render_team_plan(optional.teams, document)
    assert "Left at home (optional members the plan does without): UNDP officer A (undp)" in shown


def test_an_optional_member_whose_role_a_seminar_needs_travels():
    """Pavlodar's seminar needs a UNDP officer: taking the optional one along wins coverage no
    split leaving them home can reach, though every traveller costs, so they travel."""
    formed = Formed(
        _shipped_with(("undp-a",), car_seats=2, pavlodar={"trainer": 1, "ministry": 1, "undp": 1})
    )
    document = formed.document
    assert document["status"] == "OPTIMAL" and document["forming"]["left_home"] == []
    assert "pavlodar" in document["coverage"]["cities"]
    assert formed.score is not None
    for teams in candidate_teams(formed.scenario):
        if all("undp-a" not in team.members for team in teams):
            assert coverage_bound(formed.scenario, teams)[0] < formed.score[0]
    assert check_formed_team_plan(formed.scenario, document) == []
    assert "Left at home: nobody" in render_team_plan(formed.teams, document)


def test_an_optional_member_who_changes_nothing_stays_home():
    """With cars of four, the UNDP officer neither adds coverage nor costs anything here: on such
    a tie the plan with fewer travellers is kept."""
    optional, everyone = Formed(_shipped_with(("undp-a",))), Formed(_shipped_with(()))
    assert optional.score == everyone.score
    assert optional.document["forming"]["left_home"] == ["undp-a"]
    assert "left_home" not in everyone.document["forming"]


def _in_every_team(document: dict[str, Any], member: str) -> None:
    for team in document["teams"]:
        team["members"].append({"id": member})
    document["forming"]["left_home"] = []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["teams"][0]["members"].pop(0), "required members in no team"),
        (lambda d: d["teams"][0]["members"].append({"id": "undp-a"}), "forming.left_home"),
        (lambda d: d["forming"].update(left_home=[]), "the members in no team are ['undp-a']"),
        (lambda d: _in_every_team(d, "undp-a"), "more than one team"),
        (lambda d: d["teams"][0]["members"].append({"id": "nobody"}), "not members"),
    ],
)
def test_the_checker_lets_only_optional_members_stay_home(left_behind, change, words):
    """The plan leaving the optional member home checks (above); a required member at home, a
    member twice, an unknown one, or a ``left_home`` that is not who is in no team do not."""
    optional, _ = left_behind
    found = check_formed_team_plan(optional.scenario, _broken(optional.document, change))
    assert "teams_formed" in {v.rule for v in found}
    assert any(words in f"{v.where}: {v.message}" for v in found), found


def test_an_optional_member_in_a_fixed_team_travels_with_it():
    """``optional`` matters only to forming: listed in a fixed team, the member travels."""
    data = unhurried(load_scenario(SCENARIOS / "three-cities-two-teams.yaml")).model_dump(mode="json")
    data["members"][0]["optional"] = True
    scenario = Scenario.model_validate(data)
    team = next(t for t in scenario.teams if data["members"][0]["id"] in t.members)
    assert team_scenario(scenario, team).delegation.size == len(team.members)
    document = teams_plan_json(scenario, plan_teams(scenario))
    listed = next(t for t in document["teams"] if t["id"] == team.id)
    assert data["members"][0]["id"] in [m["id"] for m in listed["members"]]
    assert "forming" not in document


def test_forming_limits_need_room_only_for_the_required_members(tmp_path):
    import yaml

    data = _people(max_size=2)
    data["members"][4]["optional"] = True
    path = tmp_path / "forming.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_scenario(path).forming is not None
    data = _people(max_size=1, min_size=1)
    data["members"][4]["optional"] = True
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"forming.max_size.*4 required members"):
        load_scenario(path)
