"""Scenario files: the bundled ones load; bad ones give one located message per problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner.cli import main
from planner.scenario import ScenarioError, dump_scenario, load_scenario, scenario_from_data
from tests.conftest import SCENARIOS, steppe_data

BUNDLED = sorted(SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_scenarios_load(path):
    """Every bundled scenario file is valid."""
    scenario = load_scenario(path)
    assert scenario.cities and scenario.seminars


def test_flagship_matches_the_2016_facts(flagship):
    """The flagship has the 16 cities and regions, 14 days from Mon 18 Jan 2016, Astana to Astana."""
    assert len(flagship.cities) == 16
    assert len(flagship.regions) == 16
    assert flagship.calendar.start_date.isoformat() == "2016-01-18"
    assert flagship.calendar.horizon_days == 14
    assert flagship.delegation.start_city == flagship.delegation.end_city == "astana"
    assert flagship.city("aktau").timezone == "Asia/Aqtau"
    petropavlovsk = flagship.city("petropavlovsk")
    assert all(t.kind != "airport" for t in petropavlovsk.terminals)  # PPK closed in 2016


def test_json_is_accepted_and_round_trips(tmp_path, steppe):
    """A scenario dumped as JSON loads back to an equal scenario."""
    path = tmp_path / "steppe.json"
    path.write_text(dump_scenario(steppe))
    assert load_scenario(path) == steppe


def test_unquoted_clock_times_stay_times(tmp_path):
    """YAML 1.1 would read 09:30 as the number 570; the loader keeps it a time."""
    text = Path(SCENARIOS / "three-cities.yaml").read_text().replace('"09:30"', "09:30")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    load_scenario(path)  # no error: 09:30 is a clock time


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "bad.yaml"
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def test_unknown_key_names_file_field_and_line(tmp_path):
    """An unknown field is an error naming the file, the field path and the YAML line."""
    data = steppe_data()
    data["cities"][1]["airprot"] = "KGF"
    path = write(tmp_path, data)
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:")
    assert "cities.1.airprot" in problems[0]
    line = int(problems[0].split(":")[1])
    assert "airprot" in path.read_text().splitlines()[line - 1]


def test_dangling_ids_each_get_a_message(tmp_path):
    """Each reference to an unknown id is its own message with its own path."""
    data = steppe_data()
    data["seminars"][0]["city"] = "karagandy"
    data["delegation"]["end_city"] = "almaty"
    data["services"][0]["stops"][1]["terminal"] = "AKT"
    problems = problems_of(write(tmp_path, data))
    assert len(problems) == 3
    assert any("seminars.0.city: unknown city 'karagandy'" in p for p in problems)
    assert any("delegation.end_city: unknown city 'almaty'" in p for p in problems)
    assert any("services.0.stops.1.terminal: unknown terminal 'AKT'" in p for p in problems)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("cities", 0, "timezone"), "Asia/Astana", "unknown IANA time zone"),
        (("seminars", 0, "start_times", 0), "25:00", "not a valid time of day"),
        (("calendar", "horizon_days"), 0, "greater than or equal to 1"),
        (("cities", 0, "lat"), 123, "less than or equal to 90"),
        (("roads", 0, "driving_window"), {"start": "08:00", "end": "08:00"}, "two different times"),
    ],
)
def test_bad_values_name_the_field(tmp_path, path, value, expected):
    """A bad value gives a message naming the field and what is wrong."""
    data = steppe_data()
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    problems = problems_of(write(tmp_path, data))
    assert any(".".join(map(str, path)) in p and expected in p for p in problems), problems


def test_duplicate_ids_are_errors():
    """Two cities with one id are an error naming the second."""
    data = steppe_data()
    data["cities"][2]["id"] = "karaganda"
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data, "body")
    assert any("cities.2.id" in str(p) and "duplicate" in str(p) for p in caught.value.problems)


def test_not_yaml_at_all(tmp_path):
    """Broken YAML is one message with the line, not a traceback."""
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ncities: [\n")
    problems = problems_of(path)
    assert len(problems) == 1 and "not valid YAML" in problems[0]


def test_cli_validate_reports_without_traceback(tmp_path, capsys):
    """`planner validate` exits 2 on a bad file and prints the located problems only."""
    data = steppe_data()
    data["delegation"]["start_city"] = "nowhere"
    code = main(["validate", str(write(tmp_path, data))])
    err = capsys.readouterr().err
    assert code == 2
    assert "delegation.start_city: unknown city 'nowhere'" in err
    assert "Traceback" not in err


def test_cli_validate_accepts_the_flagship(capsys):
    """`planner validate` exits 0 on the flagship and summarises it."""
    assert main(["validate", str(SCENARIOS / "kazakhstan-winter-2016.yaml")]) == 0
    assert "16 cities" in capsys.readouterr().out


def test_models_are_frozen(steppe):
    """Scenario models cannot be changed in place."""
    with pytest.raises(Exception, match="frozen"):
        steppe.cities[0].name = "Akmola"


def test_json_body_validation_names_fields():
    """Validating plain data (an HTTP body) also names the field path."""
    data = json.loads(json.dumps(steppe_data()))
    data["delegation"]["rules"] = {"min_prep_min": -5}
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data, "body")
    assert any("delegation.rules.min_prep_min" in str(p) for p in caught.value.problems)


def test_stop_times_going_backwards_are_rejected(tmp_path):
    """Rule 10: a run that arrives (15:30 -> 14:26, one zone) before it departs names the stop."""
    data = steppe_data()
    data["services"][0]["stops"] = [
        {"terminal": "TSE", "depart": "15:30"},
        {"terminal": "AKX", "arrive": "14:26"},
    ]
    data["cities"][2]["timezone"] = "Asia/Almaty"
    problems = problems_of(write(tmp_path, data))
    assert any("services.0.stops.1.arrive" in p and "move forward" in p for p in problems), problems


def test_a_westbound_flight_landing_at_an_earlier_clock_time_is_fine(tmp_path):
    """Stop times are local to each stop: 07:00 at +06 to 06:50 at +05 is a 50-minute flight,
    forward in real time, so it is accepted (the same clocks in one zone are rejected above)."""
    data = steppe_data()
    data["services"][0]["stops"] = [
        {"terminal": "TSE", "depart": "07:00"},
        {"terminal": "AKX", "arrive": "06:50"},
    ]
    scenario = load_scenario(write(tmp_path, data))  # raises ScenarioError if rejected
    assert scenario.services[0].stops[1].arrive == "06:50"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (("name",), "steppe\nwinter"),
        (("cities", 1, "name"), "Kara\tganda"),
        (("regions", 0, "name"), "x" * 201),
    ],
)
def test_names_are_one_line(path, name):
    """Names go into calendars (a line break there broke the export), maps and tables."""
    data = steppe_data()
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = name
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data, "body")
    assert any(".".join(map(str, path)) in str(p) for p in caught.value.problems), caught.value.problems


def test_an_events_local_times_are_read_in_the_zone_of_the_place_it_names(flagship):
    """Terminal, road, region, service and city events, and closures: one rule for all (rule 19)."""
    from planner.domain import Closure, Disruption, event_zone, event_zone_or_none
    from planner.scenario import load_events

    events = [
        e
        for path in sorted((SCENARIOS / "events").glob("*.yaml"))
        for e in load_events(path, flagship).events
    ]
    for event in [*events, *flagship.closures]:
        assert event_zone(flagship, event) == event_zone_or_none(flagship, event)
    common = {"announced_at": "2016-01-20T06:00", "start": "2016-01-20T06:00", "end": "2016-01-20T09:00"}
    aktau = Disruption.model_validate({"id": "x", "kind": "terminal_closed", "terminal": "SCO", **common})
    assert event_zone(flagship, aktau).key == flagship.city("aktau").timezone
    closure = Closure.model_validate(
        {"id": "y", "terminal": "SCO", "start": common["start"], "end": common["end"]}
    )
    assert event_zone(flagship, closure) == event_zone(flagship, aktau)
    nowhere = Disruption.model_validate({"id": "z", "kind": "city_unavailable", "city": "atlantis", **common})
    assert event_zone_or_none(flagship, nowhere) is None
    with pytest.raises(KeyError):
        event_zone(flagship, nowhere)
