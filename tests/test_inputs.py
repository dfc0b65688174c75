"""The input gate: each reported defect of issue 12 ("airtight inputs"), named and refused.

Every bad input is exit code 2 with a message naming the file, the line (when known) and
the field, never a traceback, whichever command reads it; plain data (an HTTP body) meets
the same finite-number and cross-field rules through the models.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.cli import main
from planner.domain import parse_clock
from planner.scenario import ScenarioError, load_events, load_scenario, parse_text, scenario_from_data
from tests.conftest import SCENARIOS, steppe_data

THREE = SCENARIOS / "three-cities.yaml"
BAD = Path(__file__).resolve().parent / "data" / "bad"
TINY = BAD / "base" / "tiny-steppe.yaml"
TINY_PLAN = BAD / "base" / "tiny-steppe.plan.json"
TINY_EVENTS = BAD / "base" / "tiny-steppe.events.yaml"
PARSER_WORDS = (
    "Input should be",
    "cannot start any token",
    "<unicode string>",
    "Value error",
    "valid tuple",
    "Traceback",
)


def three_cities(old: str, new: str) -> str:
    text = THREE.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """Exit code 2, the words (file, field...) in the message, no traceback or parser wording."""
    code, output = run(argv, capsys)
    assert code == 2, output
    for word in words:
        assert word in output, (word, output)
    for word in PARSER_WORDS:
        assert word not in output, (word, output)
    return output


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


# --- Finite numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [".inf", "-.inf", ".nan", "1.0e+400", "1e400"])
def test_a_fare_that_is_not_finite_is_refused(tmp_path: Path, token: str, capsys) -> None:
    """`fare: .inf` (or 1e400) passed validation, then `plan` died with OverflowError."""
    path = tmp_path / "inf.yaml"
    path.write_text(three_cities("fare: 21300 ", f"fare: {token} "))
    line = line_of(path, f"fare: {token}")
    refused(["validate", str(path)], capsys, f"{path}:{line}: services.0.fare:", "finite")
    refused(["plan", str(path)], capsys, "services.0.fare")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", 0, "fare"), math.inf),
        (("cities", 0, "lat"), math.nan),
        (("roads", 0, "distance_km"), -math.inf),
        (("emissions", "drive"), math.nan),
        (("services", 0, "fare"), 10**400),
        (("objective", "cost_per_unit"), "1e400"),
        (("regions", 0, "weight"), "NaN"),
    ],
)
def test_plain_data_numbers_must_be_finite(path: tuple[Any, ...], value: Any) -> None:
    """An HTTP body (parsed JSON: NaN, Infinity and 1e400 become floats) meets the same rule."""
    data = steppe_data()
    target: Any = data
    for part in path[:-1]:
        target = target.setdefault(part, {}) if isinstance(part, str) else target[part]
    target[path[-1]] = value
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data, "body")
    assert any(p.path == path for p in caught.value.problems), caught.value
    assert "finite" in str(caught.value) or "too large" in str(caught.value)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("delegation", "size"), True),
        (("services", 0, "fare"), False),
        (("calendar", "horizon_days"), True),
    ],
)
def test_true_and_false_are_not_numbers(path: tuple[Any, ...], value: Any) -> None:
    """YAML's yes/no read as true/false counted as 1 and 0; now they are refused."""
    data = steppe_data()
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ScenarioError, match="must be a number"):
        scenario_from_data(data, "body")


def test_an_emission_factor_may_not_be_negative() -> None:
    data = steppe_data(emissions={"flight": -0.2})
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data, "body")
    assert [str(p) for p in caught.value.problems] == [
        "body: emissions.flight: must be greater than or equal to 0.0 (got -0.2)"
    ]


def test_the_largest_values_allowed_still_plan(tmp_path: Path, capsys) -> None:
    """Upper limits keep every figure finite: a scenario at them plans (no OverflowError)."""
    data = steppe_data(
        objective={"travel_per_hour": 1_000_000, "night_per_hour": 1_000_000, "cost_per_unit": 1000},
        emissions={"flight": 100, "train": 100, "bus": 100, "drive": 100},
    )
    for service in data["services"]:
        service["fare"] = 1e9
        service["distance_km"] = 40_000
    data["roads"][0]["cost_per_km"] = 1e6
    data["delegation"]["size"] = 100
    path = tmp_path / "large.json"
    path.write_text(json.dumps(data))
    code, output = run(["plan", str(path), "--json"], capsys)
    assert code == 0, output
    plan = json.loads(output)
    assert plan["status"] in ("OPTIMAL", "FEASIBLE") and math.isfinite(plan["totals"]["co2_kg"])


# --- Text, not bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\xff\xfe" + "name: x\n".encode("utf-16-le"), "UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff", "not UTF-8"),
        ("name: Astanà\n".encode("latin-1"), "not UTF-8"),
        (b"name: x\x00y\n", "U+0000"),
    ],
)
def test_files_that_are_not_utf8_text_are_refused(tmp_path: Path, content: bytes, words: str, capsys) -> None:
    """Binary junk and UTF-16 gave a UnicodeDecodeError traceback."""
    path = tmp_path / "not-text.yaml"
    path.write_bytes(content)
    refused(["validate", str(path)], capsys, f"{path}:1: ", words)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + THREE.read_bytes())
    code, output = run(["validate", str(path)], capsys)
    assert code == 0, output


# --- Dates, times and timestamps ---------------------------------------------------------------


def test_an_impossible_unquoted_date_names_the_field(tmp_path: Path, capsys) -> None:
    """`start_date: 2016-02-30` gave a ValueError traceback from the YAML loader."""
    path = tmp_path / "date.yaml"
    path.write_text(three_cities("start_date: 2016-01-18 ", "start_date: 2016-02-30 "))
    line = line_of(path, "start_date: 2016-02-30")
    refused(["validate", str(path)], capsys, f"{path}:{line}: calendar.start_date:", "2016-02-30")


def test_an_integer_timestamp_in_an_event_is_refused(tmp_path: Path, capsys) -> None:
    """An event `start: 1453190400` was read as a Unix time and compared with a local one: TypeError."""
    path = tmp_path / "events.yaml"
    path.write_text(
        "name: ints\nevents:\n  - id: tse\n    kind: terminal_closed\n    terminal: TSE\n"
        '    announced_at: "2016-01-19T06:00"\n    start: 1453190400\n    end: "2016-01-20T00:00"\n'
    )
    scenario = load_scenario(THREE)
    with pytest.raises(ScenarioError) as caught:
        load_events(path, scenario)
    assert [(p.path, p.line) for p in caught.value.problems] == [(("events", 0, "start"), 7)]
    refused(["validate", str(path), "--scenario", str(THREE)], capsys, "events.0.start", "datetime")


def test_local_and_offset_times_are_compared_on_the_real_time_line(capsys, tmp_path: Path) -> None:
    """A closure from local 10:00 (+06) to 03:30+00:00 (09:30 there) ends before it starts."""
    path = tmp_path / "closure.yaml"
    path.write_text(three_cities('end: "2016-01-19T10:00"', 'end: "2016-01-18T19:30+00:00"'))
    refused(["validate", str(path)], capsys, "closures.0.end: end must be after start")


@pytest.mark.parametrize("text", ["06:05+12", "6:05", "06:05+١", "٠٦:05", "06:05\n", "06:5", "24:00"])
def test_clock_times_are_as_the_format_writes_them(text: str) -> None:
    """scenarios/README.md: `HH:MM`, and in timetables a one-digit day offset (`07:47+1`)."""
    with pytest.raises(ValueError):
        parse_clock(text)


def test_a_two_digit_day_offset_names_the_stop(tmp_path: Path, capsys) -> None:
    path = tmp_path / "offset.yaml"
    path.write_text(three_cities('arrive: "06:05+1"', 'arrive: "06:05+12"'))
    refused(["validate", str(path)], capsys, "services.4.stops.2.arrive", "one digit")


# --- YAML's own traps ----------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_before_it_grows(tmp_path: Path, capsys) -> None:
    """The billion laughs hung and ate gigabytes; aliases now have a small budget."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    with pytest.raises(ScenarioError, match="too many aliases"):
        parse_text("\n".join(lines), "bomb.yaml")
    with pytest.raises(ScenarioError, match="loop"):
        parse_text("a: &a [*a]", "loop.yaml")
    with pytest.raises(ScenarioError, match="nested more than"):
        parse_text("a: " + "[" * 100 + "]" * 100, "deep.yaml")
    # A few aliases are fine.
    data, _ = parse_text("base: &w {start: '08:00', end: '20:00'}\nother: *w\n", "fine.yaml")
    assert data["other"] == {"start": "08:00", "end": "20:00"}


def test_an_oversized_file_is_not_read(tmp_path: Path, capsys) -> None:
    from planner.inputs import MAX_FILE_BYTES

    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    refused(["validate", str(path)], capsys, f"{path}: (top level): the file is larger than")


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("name: a\ncurrency: KZT\nname: b\n", "name", 3),
        (
            "calendar:\n  start_date: 2016-01-18\n  horizon_days: 3\n  horizon_days: 5\n",
            "calendar.horizon_days",
            4,
        ),
        ("cities:\n  - {id: a, name: A, id: b}\n", "cities.0.id", 2),
    ],
)
def test_a_key_given_twice_is_refused_at_any_level(tmp_path: Path, text: str, field: str, line: int, capsys):
    """Duplicate YAML keys were accepted, the last one silently winning."""
    path = tmp_path / "twice.yaml"
    path.write_text(text)
    refused(["validate", str(path)], capsys, f"{path}:{line}: {field}: ", "given twice")


# --- Rules between fields -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (
            'latest_return: "2016-01-20T22:00"',
            'latest_return: "2016-01-17T22:00"',
            "delegation.latest_return",
        ),
        (
            'latest_return: "2016-01-20T22:00"',
            'latest_return: "2017-01-20T22:00"',
            "delegation.latest_return",
        ),
        ("valid_from: 2015-10-25 ", "valid_from: 2016-04-01 ", "services.0.valid_to"),
        (
            'window: {start: "09:00", end: "18:00"}',
            'window: {start: "09:00", end: "11:00"}',
            "seminars.1.window",
        ),
        ("b: karaganda", "b: astana", "roads.0.b"),
        ("drive: 0.168", "drive: -0.168", "emissions.drive"),
    ],
    ids=["return-before-departure", "return-a-year-later", "validity", "window", "road-loop", "emission"],
)
def test_rules_between_fields_name_the_field(tmp_path: Path, old: str, new: str, field: str, capsys) -> None:
    """A departure after the return used to be INFEASIBLE (`no_window`); the rest passed silently."""
    path = tmp_path / "cross.yaml"
    path.write_text(three_cities(old, new))
    refused(["validate", str(path)], capsys, f"{field}: ")


# --- File kinds ----------------------------------------------------------------------------------


def test_validate_tells_an_event_file_from_a_scenario(capsys) -> None:
    """It listed 7 scenario errors for an event file; now it checks it against its scenario."""
    path = SCENARIOS / "events" / "aktau-airport-closed.yaml"
    code, output = run(["validate", str(path)], capsys)
    assert code == 0, output
    assert "valid event file 'aktau-airport-closed' for 'kazakhstan-winter-2016'" in output
    code, output = run(["validate", str(TINY_EVENTS), "--scenario", str(TINY)], capsys)
    assert code == 0, output


def test_an_event_file_without_its_scenario_says_so(tmp_path: Path, capsys) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "events": [{"id": "a"}]}))
    refused(["validate", str(path)], capsys, str(path), "event file", "give --scenario")


def test_validate_checks_a_plan_file(tmp_path: Path, capsys) -> None:
    code, output = run(["validate", str(TINY_PLAN), "--scenario", str(TINY)], capsys)
    assert code == 0, output
    plan = json.loads(TINY_PLAN.read_text())
    plan["legs"][0]["depart"] = "soon"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    refused(["validate", str(path), "--scenario", str(TINY)], capsys, f"{path}:", "legs.0.depart")
    refused(["validate", str(path)], capsys, "plan file", "'tiny-steppe'", "give --scenario")


@pytest.mark.parametrize("command", ["plan", "check", "replan", "whatif"])
def test_every_command_refuses_a_bad_scenario_without_a_traceback(
    tmp_path: Path, command: str, capsys
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\xff\xfe" + "name: x\n".encode("utf-16-le"))
    argv = {
        "plan": ["plan", str(path)],
        "check": ["check", str(path), str(TINY_PLAN)],
        "replan": ["replan", str(path), str(TINY_PLAN), "--now", "2016-01-19T10:00+06:00"],
        "whatif": ["whatif", str(path)],
    }[command]
    refused(argv, capsys, str(path), "UTF-16")


@pytest.mark.parametrize("command", ["check", "replan", "export"])
def test_a_plan_file_that_is_not_utf8_json_is_refused(tmp_path: Path, command: str, capsys) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(TINY_PLAN.read_text().replace('"KZT"', '"KZT\xa3"').encode("latin-1"))
    argv = {
        "check": ["check", str(TINY), str(path)],
        "replan": ["replan", str(TINY), str(path), "--now", "2016-01-19T10:00+06:00"],
        "export": ["export", str(path), "--scenario", str(TINY), "--ics", str(tmp_path / "x.ics")],
    }[command]
    refused(argv, capsys, str(path), "cannot read the plan", "not UTF-8")


@pytest.mark.parametrize(
    ("now", "words"),
    [
        ("2017-01-20T10:00+06:00", "after the trip's latest return"),
        ("2014-01-17T10:00+06:00", "more than a year before the trip starts"),
        ("0001-01-01T00:00+06:00", "nowhere near the trip"),
        ("9999-12-31T23:00-06:00", "nowhere near the trip"),
    ],
)
def test_replan_now_outside_the_trip_is_refused(now: str, words: str, capsys) -> None:
    """`--now` a year after the return answered "no changes"; year 1 or 9999 overflowed. (The day
    before departure is fine: a replan then keeps as much of the booked plan as it can.)"""
    refused(["replan", str(TINY), str(TINY_PLAN), "--now", now], capsys, "--now", words)


def test_replan_refuses_a_plan_for_another_scenario(tmp_path: Path, capsys) -> None:
    plan = json.loads(TINY_PLAN.read_text())
    plan["scenario"] = "three-cities"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    refused(
        ["replan", str(TINY), str(path), "--now", "2016-01-19T10:00+06:00"],
        capsys,
        "scenario",
        "three-cities",
    )


# --- Plain words -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("working_weekdays: [mon, tue, wed, thu, fri]", "working_weekdays: mon", "should be a list"),
        ("currency: KZT", "currency: @KZT", "put the value in quotes"),
        ("horizon_days: 3", "horizon_days: three", "should be a whole number"),
        ("kind: airport", "kind: port", "is not one of: airport, station, bus_station"),
        ("mode: flight", "mode: plane", "is not one of: flight, train, bus"),
    ],
)
def test_messages_are_in_the_coordinators_words(
    tmp_path: Path, old: str, new: str, words: str, capsys
) -> None:
    path = tmp_path / "words.yaml"
    path.write_text(three_cities(old, new))
    refused(["validate", str(path)], capsys, words)


def test_an_unterminated_quote_is_reported_at_its_line(tmp_path: Path, capsys) -> None:
    """The quote opened on one line was reported where the parser gave up, lines later."""
    path = tmp_path / "quote.yaml"
    path.write_text(three_cities("currency: KZT", 'currency: "KZT'))
    line = line_of(path, 'currency: "KZT')
    refused(["validate", str(path)], capsys, f"{path}:{line}: currency: a quote is not closed")
    path.write_text('name: tiny\ndescription: x\ncurrency: "KZT\n')
    refused(["validate", str(path)], capsys, f"{path}:3: currency: a quote is not closed")
