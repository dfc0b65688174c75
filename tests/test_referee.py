"""The movement-level referee against the checker and the planner, on random tiny scenarios.

The referee (tests/referee.py) is written only from the movement rules of
scenarios/README.md; the scenarios come from tests/scenario_gen.py. Its own plans must
pass the independent checker, and the planner must find exactly its optimum.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from planner.check import check_plan
from planner.domain import DisruptionKind, Scenario, SolverParams
from planner.result import SolveStatus, plan_json
from planner.solve import plan
from tests.referee import RefereeResult, plan_dict, referee
from tests.scenario_gen import describe, random_scenario

FAST = range(30)
SLOW = range(30, 350)


def _planner_brief(plan_data: dict[str, Any]) -> str:
    lines = [f"planner: {plan_data['status']} points={plan_data['coverage']['points']}"]
    items = [(s["start"], f"  seminar {s['city']} {s['start']} - {s['end']}") for s in plan_data["seminars"]]
    legs = plan_data["legs"]
    for c in plan_data["connections"]:
        text = ", ".join(
            f"{legs[i]['mode']}:{legs[i]['service']} {legs[i]['from']}->{legs[i]['to']} "
            f"{legs[i]['depart']}-{legs[i]['arrive']}"
            for i in c["legs"]
        )
        items.append(
            (
                c["leave"],
                f"  conn {c['from_city']}->{c['to_city']} {c['leave']}-{c['arrive']} "
                f"travel={c['travel_min']} night={c['night_min']} [{text}]",
            )
        )
    key = {text: dt.datetime.fromisoformat(when) for when, text in items}
    lines += sorted(key, key=lambda t: key[t])
    return "\n".join(lines)


def check_referee_plan(seed: int) -> None:
    scenario = random_scenario(seed)
    result = referee(scenario)
    if not result.feasible:
        return
    violations = check_plan(scenario, plan_dict(scenario, result))
    assert not violations, (
        f"seed {seed}: the referee's plan breaks the checker:\n"
        + "\n".join(map(str, violations))
        + f"\n{result.brief()}\n{describe(scenario)}"
    )


def check_agreement(seed: int) -> None:
    scenario = random_scenario(seed)
    mine = referee(scenario)
    problem, result = plan(scenario, SolverParams(time_limit_s=3600, workers=1, seed=0))
    theirs = plan_json(scenario, problem.axis, result)
    context = f"seed {seed}\n{mine.brief()}\n{_planner_brief(theirs)}\n{describe(scenario)}"
    # `planner plan` exits 1 when its own checker rejects its plan: never, on any seed.
    violations = check_plan(scenario, theirs)
    assert not violations, (
        "planner plan breaks the checker:\n" + "\n".join(map(str, violations)) + "\n" + context
    )
    if not mine.feasible:
        assert result.status == SolveStatus.INFEASIBLE, (
            f"referee INFEASIBLE, planner {result.status}\n{context}"
        )
        return
    assert result.status == SolveStatus.OPTIMAL, f"planner {result.status}, referee feasible\n{context}"
    assert (result.coverage_points, result.secondary_cost) == (mine.points, mine.cost), (
        f"points/cost: planner {result.coverage_points}/{result.secondary_cost}, "
        f"referee {mine.points}/{mine.cost}\n{context}"
    )


@pytest.mark.parametrize("seed", FAST)
def test_referee_plans_pass_the_checker(seed: int) -> None:
    check_referee_plan(seed)


@pytest.mark.parametrize("seed", FAST)
def test_planner_agrees_with_referee(seed: int) -> None:
    check_agreement(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW)
def test_referee_plans_pass_the_checker_slow(seed: int) -> None:
    check_referee_plan(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW)
def test_planner_agrees_with_referee_slow(seed: int) -> None:
    check_agreement(seed)


def test_generator_is_deterministic_and_covers_the_format() -> None:
    assert random_scenario(7) == random_scenario(7)
    seen: set[str] = set()
    for seed in range(120):
        sc = random_scenario(seed)
        seen |= {c.timezone for c in sc.cities}
        seen |= {e.kind.value for e in sc.disruptions}
        seen |= {
            "wrapping-road"
            for r in sc.roads
            if r.driving_window and r.driving_window.start > r.driving_window.end
        }
        seen |= {"wrapping-seminar" for s in sc.seminars if s.window and s.window.start > s.window.end}
        seen |= {"required" for s in sc.seminars if s.required}
        seen |= {"offset+2" for s in sc.services for st in s.stops if (st.arrive or "").endswith("+2")}
        seen |= {"closure" for _ in sc.closures}
        seen |= {"no-quiet" for _ in [0] if sc.delegation.rules.quiet_hours is None}
        seen |= {"zero-weight-region" for r in sc.regions if r.weight == 0}
        seen |= {"region-wide-event" for e in sc.disruptions if e.region is not None}
        rules = sc.delegation.rules
        seen |= {"daylight-driving" for _ in [0] if rules.daylight_driving}
        seen |= {"after-seminar" for _ in [0] if rules.after_seminar_min}
        seen |= {"departure-buffer" for _ in [0] if rules.departure_buffer_min}
        seen |= {"rest-day" for _ in rules.rest_days}
        seen |= {"avoided-service" for _ in rules.avoid_services}
        seen |= {"avoided-road" for _ in rules.avoid_roads}
        seen |= {"pinned" for s in sc.seminars if s.pinned is not None}
        seen |= {"pinned-start" for s in sc.seminars if s.pinned is not None and s.pinned.start}
    for needed in (
        "Asia/Almaty",
        "Asia/Aqtobe",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Australia/Adelaide",
        "Europe/Berlin",
        "America/St_Johns",
        *(kind.value for kind in DisruptionKind),  # every event kind, present and future
        "wrapping-road",
        "wrapping-seminar",
        "required",
        "offset+2",
        "closure",
        "no-quiet",
        "zero-weight-region",
        "region-wide-event",
        "daylight-driving",
        "after-seminar",
        "departure-buffer",
        "rest-day",
        "avoided-service",
        "avoided-road",
        "pinned",
        "pinned-start",
    ):
        assert needed in seen, needed


# ---------------------------------------------------------------------------
# Hand-made tiny worlds whose answer is known


def _world(**overrides: Any) -> dict[str, Any]:
    """Cities a, b, c in Asia/Almaty (UTC+6 all year), Mon 18 - Wed 20 January 2016."""
    data: dict[str, Any] = {
        "name": "hand",
        "calendar": {"start_date": "2016-01-18", "horizon_days": 3},
        "regions": [{"id": "ra"}, {"id": "rb"}, {"id": "rc"}],
        "cities": [
            {
                "id": x,
                "name": x.upper(),
                "region": f"r{x}",
                "lat": 50.0,
                "lon": 70.0 + i,
                "timezone": "Asia/Almaty",
            }
            for i, x in enumerate("abc")
        ],
        "seminars": [],
        "delegation": {
            "start_city": "a",
            "end_city": "a",
            "earliest_departure": "2016-01-18T08:00",
            "latest_return": "2016-01-20T23:00",
            "rules": {"quiet_hours": None, "min_prep_min": 0},
        },
        "objective": {"travel_per_hour": 60, "night_per_hour": 0, "cost_per_unit": 0},
    }
    for key, value in overrides.items():
        data[key] = value
    return data


def _solve(data: dict[str, Any], check: bool = True) -> tuple[Scenario, RefereeResult]:
    scenario = Scenario.model_validate(data)
    result = referee(scenario)
    if result.feasible and check:
        assert check_plan(scenario, plan_dict(scenario, result)) == []
    return scenario, result


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=6))).strftime("%a %H:%M")


def test_next_morning_drive() -> None:
    """Seminar in B Monday 14:00-17:00 after 5 h of travel; 4 h drive to C; limit 6 h."""
    data = _world(
        seminars=[
            {
                "city": "b",
                "start_times": ["14:00"],
                "duration_min": 180,
                "required": True,
                "latest_date": "2016-01-18",
            },
            {"city": "c", "start_times": ["13:00"], "duration_min": 60, "required": True},
        ],
        roads=[
            {"id": "ab", "a": "a", "b": "b", "distance_km": 300, "duration_min": 300},
            {"id": "bc", "a": "b", "b": "c", "distance_km": 240, "duration_min": 240},
        ],
    )
    data["delegation"]["end_city"] = "c"
    data["delegation"]["rules"]["max_travel_min_per_day"] = 360
    data["delegation"]["rules"]["driving_window"] = {"start": "08:00", "end": "20:00"}
    _, result = _solve(data)
    assert result.feasible
    bc = next(c for c in result.connections if c.origin == "b")
    # Monday is full (5 h + 4 h would break 6 h): leave on Tuesday between 08:00 (window)
    # and 09:00 (the 13:00 seminar); the night in B is not travel.
    assert _local(bc.leave) in ("Tue 08:00", "Tue 09:00") and bc.travel_min == 240
    assert result.cost == (300 + 240) * 60


def test_drive_into_a_flight_leaves_as_late_as_possible() -> None:
    """Seminar in A ends 12:00; drive A->B 2 h; flight from B 18:00 (access 30, check-in 60)."""
    cities = _world()["cities"]
    cities[1]["terminals"] = [{"id": "B-air", "kind": "airport", "access_min": 30, "check_in_min": 60}]
    cities[2]["terminals"] = [{"id": "C-air", "kind": "airport", "access_min": 0, "check_in_min": 0}]
    data = _world(
        cities=cities,
        seminars=[
            {
                "city": "a",
                "start_times": ["09:00"],
                "duration_min": 180,
                "required": True,
                "latest_date": "2016-01-18",
            }
        ],
        roads=[{"id": "ab", "a": "a", "b": "b", "distance_km": 120, "duration_min": 120, "both_ways": False}],
        services=[
            {
                "id": "F1",
                "mode": "flight",
                "days": ["mon"],
                "stops": [{"terminal": "B-air", "depart": "18:00"}, {"terminal": "C-air", "arrive": "19:00"}],
            }
        ],
    )
    data["delegation"]["end_city"] = "c"
    _, result = _solve(data)
    assert result.feasible
    (conn,) = result.connections
    assert _local(conn.leave) == "Mon 14:30" and _local(conn.arrive) == "Mon 19:00"
    assert [leg.mode for leg in conn.legs] == ["drive", "flight"]


def _wrapping_world() -> dict[str, Any]:
    data = _world(
        seminars=[
            {"city": "b", "start_times": ["05:00"], "duration_min": 60, "any_day": True, "required": True}
        ],
        roads=[
            {
                "id": "ab",
                "a": "a",
                "b": "b",
                "distance_km": 100,
                "duration_min": 180,
                "driving_window": {"start": "22:00", "end": "06:00"},
            }
        ],
    )
    data["delegation"]["end_city"] = "b"
    data["delegation"]["latest_return"] = "2016-01-19T12:00"
    # Closed until Tue 02:00 (local to a): the only drive reaching the 05:00 seminar starts at 02:00.
    data["closures"] = [{"id": "x", "road": "ab", "start": "2016-01-18T08:00", "end": "2016-01-19T02:00"}]
    return data


def test_wrapping_window_drive_at_two() -> None:
    """Window 22:00-06:00, 3 h road: a drive may start at 02:00 and arrive at 05:00."""
    data = _wrapping_world()
    _, result = _solve(data, check=False)
    assert result.feasible
    (conn,) = result.connections
    assert _local(conn.leave) == "Tue 02:00" and _local(conn.arrive) == "Tue 05:00"
    # With quiet hours 00:00-05:00 the 02:00 start is refused; nothing else reaches 05:00.
    data["delegation"]["rules"]["quiet_hours"] = {"start": "00:00", "end": "05:00"}
    _, result = _solve(data)
    assert not result.feasible


def test_checker_accepts_the_wrapping_window_drive_at_two() -> None:
    """Rule 16's example: the 02:00 start lies in the opening of the previous date."""
    scenario, result = _solve(_wrapping_world(), check=False)
    assert check_plan(scenario, plan_dict(scenario, result)) == []


def test_same_terminal_transfer_uses_transfer_min() -> None:
    """Arrive TSE 10:00, transfer 120 (access 20, check-in 30): next flight 12:00 or later."""
    cities = _world()["cities"]
    cities[0]["terminals"] = [{"id": "A-air", "kind": "airport", "access_min": 0, "check_in_min": 0}]
    cities[1]["terminals"] = [
        {"id": "TSE", "kind": "airport", "access_min": 20, "check_in_min": 30, "transfer_min": 120}
    ]
    cities[2]["terminals"] = [{"id": "C-air", "kind": "airport", "access_min": 0, "check_in_min": 0}]

    def flight(sid: str, a: str, b: str, dep: str, arr: str) -> dict[str, Any]:
        return {
            "id": sid,
            "mode": "flight",
            "days": ["mon"],
            "stops": [{"terminal": a, "depart": dep}, {"terminal": b, "arrive": arr}],
        }

    data = _world(
        cities=cities,
        seminars=[{"city": "c", "start_times": ["16:00"], "duration_min": 60, "required": True}],
        services=[
            flight("F1", "A-air", "TSE", "09:00", "10:00"),
            flight("F2", "TSE", "C-air", "11:30", "12:30"),  # too early: 90 < 120
            flight("F3", "TSE", "C-air", "12:00", "13:00"),  # exactly the transfer
        ],
    )
    data["delegation"]["end_city"] = "c"
    _, result = _solve(data)
    assert result.feasible
    (conn,) = result.connections
    assert [leg.ref for leg in conn.legs] == ["F1", "F3"]
    assert conn.travel_min == 240


def test_window_end_and_road_closure_end_points() -> None:
    """Window 08:00-20:00, 4 h road: last start 16:00. A road closed from 12:00 refuses 08:01-12:01."""
    data = _world(
        seminars=[
            {
                "city": "a",
                "start_times": ["13:00"],
                "duration_min": 180,
                "required": True,
                "latest_date": "2016-01-18",
            },
            {
                "city": "b",
                "start_times": ["20:00"],
                "duration_min": 60,
                "required": True,
                "latest_date": "2016-01-18",
            },
        ],
        roads=[{"id": "ab", "a": "a", "b": "b", "distance_km": 100, "duration_min": 240}],
    )
    data["delegation"]["end_city"] = "b"
    _, result = _solve(data)
    (conn,) = result.connections
    assert _local(conn.leave) == "Mon 16:00" and _local(conn.arrive) == "Mon 20:00"
    closed = copy.deepcopy(data)
    closed["seminars"] = closed["seminars"][1:]
    closed["closures"] = [{"id": "x", "road": "ab", "start": "2016-01-18T12:00", "end": "2016-01-18T21:00"}]
    _, result = _solve(closed)
    (conn,) = result.connections
    assert _local(conn.leave) == "Mon 08:00" and _local(conn.arrive) == "Mon 12:00"


def test_night_on_a_clock_change() -> None:
    """Home Europe/Berlin, night 22:00-06:00: 22:00 26 March to 06:00 27 March 2016 is 420 min."""
    data = _world(
        calendar={"start_date": "2016-03-26", "horizon_days": 2},
        seminars=[
            {"city": "b", "start_times": ["06:00"], "duration_min": 60, "any_day": True, "required": True}
        ],
        roads=[
            {
                "id": "ab",
                "a": "a",
                "b": "b",
                "distance_km": 100,
                "duration_min": 420,
                "driving_window": {"start": "22:00", "end": "06:00"},
            }
        ],
        objective={"travel_per_hour": 60, "night_per_hour": 30, "cost_per_unit": 0},
    )
    for city in data["cities"]:
        city["timezone"] = "Europe/Berlin"
    data["delegation"].update(
        end_city="b", earliest_departure="2016-03-26T08:00", latest_return="2016-03-27T12:00"
    )
    data["delegation"]["rules"]["max_travel_min_per_day"] = 1440
    _, result = _solve(data)
    (conn,) = result.connections
    assert conn.travel_min == 420 and conn.night_min == 420
    assert result.cost == 420 * 60 + 420 * 30
