"""Write the generated part of the bad-input corpus and its manifest, ``expected.json``.

    .venv/bin/python tests/data/bad/make_corpus.py

From a small valid scenario, event file and plan (written to ``base/``, the plan
solved by the planner), it writes mutated copies to ``generated/``: every field set
to a wrong type or out of its range, required fields missing, unknown keys, ids
that name nothing or twice, non-finite numbers, impossible dates, integer
timestamps, cross-field violations, duplicate keys, files that are not UTF-8,
alias bombs and deep nesting, event files and plan files with errors. The
hand-written files of ``hand/`` are listed in ``HAND`` below.

Each manifest entry says what kind of file it is (scenario, events or plan), its
class, the words ``planner validate`` must print (the field path, or words naming
the problem), the extra arguments (``--scenario`` for event and plan files), how
the HTTP test sends it (``api``: ``raw`` JSON text, ``yaml`` loaded by PyYAML and
sent as JSON, or ``null`` when it is not a scenario or cannot be JSON), and
``isolate`` for the files a broken gate would hang or exhaust memory on (run in a
subprocess).
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

BASE = HERE / "base"
GENERATED = HERE / "generated"
SCENARIO_FILE = BASE / "tiny-steppe.yaml"
EVENTS_FILE = BASE / "tiny-steppe.events.yaml"
PLAN_FILE = BASE / "tiny-steppe.plan.json"
WITH_SCENARIO = ["--scenario", str(SCENARIO_FILE.relative_to(ROOT))]
RAW = "@@RAW@@"  # stands for a JSON token json.dumps cannot write (NaN, Infinity, 1e400)

BASE_SCENARIO: dict[str, Any] = {
    "name": "tiny-steppe",
    "description": "Astana, Karaganda and Pavlodar in three winter days: the base of the bad-input corpus.",
    "currency": "KZT",
    "calendar": {
        "start_date": "2016-01-18",
        "horizon_days": 3,
        "working_weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "holidays": ["2016-01-01"],
        "extra_working_dates": ["2016-01-23"],
    },
    "regions": [
        {"id": "astana-city", "name": "Astana", "weight": 100},
        {"id": "akmola", "name": "Akmola Region"},
        {"id": "karaganda", "name": "Karaganda Region", "weight": 100},
        {"id": "pavlodar", "name": "Pavlodar Region", "weight": 100},
    ],
    "cities": [
        {
            "id": "astana",
            "name": "Astana",
            "region": "astana-city",
            "lat": 51.18,
            "lon": 71.446,
            "timezone": "Asia/Almaty",
            "terminals": [
                {
                    "id": "TSE",
                    "kind": "airport",
                    "name": "Astana International Airport",
                    "access_min": 30,
                    "check_in_min": 60,
                    "transfer_min": 60,
                },
                {"id": "astana-rail", "kind": "station", "access_min": 20, "check_in_min": 20},
            ],
        },
        {
            "id": "karaganda",
            "name": "Karaganda",
            "region": "karaganda",
            "lat": 49.802,
            "lon": 73.102,
            "timezone": "Asia/Almaty",
            "terminals": [{"id": "karaganda-rail", "kind": "station", "access_min": 15, "check_in_min": 20}],
        },
        {
            "id": "pavlodar",
            "name": "Pavlodar",
            "region": "pavlodar",
            "lat": 52.283,
            "lon": 76.967,
            "timezone": "Asia/Almaty",
            "terminals": [
                {"id": "PWQ", "kind": "airport", "access_min": 30, "check_in_min": 60, "transfer_min": 60},
                {"id": "pavlodar-rail", "kind": "station", "access_min": 15, "check_in_min": 20},
            ],
        },
    ],
    "seminars": [
        {
            "city": "astana",
            "duration_min": 180,
            "start_times": ["09:30", "14:30"],
            "required": True,
            "latest_date": "2016-01-19",
            "serves": ["akmola"],
        },
        {
            "city": "karaganda",
            "duration_min": 180,
            "window": {"start": "09:00", "end": "18:00"},
            "step_min": 30,
            "earliest_date": "2016-01-19",
            "any_day": False,
        },
        {"city": "pavlodar", "start_times": ["09:30", "14:30"], "weight": 50},
    ],
    "delegation": {
        "size": 4,
        "vehicles": 1,
        "start_city": "astana",
        "earliest_departure": "2016-01-18T08:00",
        "end_city": "astana",
        "latest_return": "2016-01-20T22:00",
        "rules": {
            "quiet_hours": {"start": "00:00", "end": "05:00"},
            "min_prep_min": 60,
            "max_travel_min_per_day": 720,
            "night": {"start": "22:00", "end": "06:00"},
            "driving_window": {"start": "08:00", "end": "20:00"},
        },
    },
    "services": [
        {
            "id": "KC885",
            "mode": "flight",
            "operator": "Air Astana",
            "days": ["mon", "wed", "fri"],
            "valid_from": "2015-10-25",
            "valid_to": "2016-03-26",
            "stops": [{"terminal": "TSE", "depart": "15:30"}, {"terminal": "PWQ", "arrive": "16:26"}],
            "fare": 21300,
        },
        {
            "id": "KC886",
            "mode": "flight",
            "operator": "Air Astana",
            "days": ["mon", "wed", "fri"],
            "stops": [{"terminal": "PWQ", "depart": "17:15"}, {"terminal": "TSE", "arrive": "18:11"}],
            "fare": 21300,
        },
        {
            "id": "KTZ031",
            "mode": "train",
            "operator": "KTZ",
            "days": "daily",
            "stops": [
                {"terminal": "karaganda-rail", "depart": "17:30"},
                {"terminal": "astana-rail", "arrive": "21:00", "depart": "21:40"},
                {"terminal": "pavlodar-rail", "arrive": "06:05+1"},
            ],
            "fare": 7400,
            "distance_km": 740,
            "note": "overnight through train",
        },
        {
            "id": "KTZ003",
            "mode": "train",
            "stops": [
                {"terminal": "astana-rail", "depart": "07:10"},
                {"terminal": "karaganda-rail", "arrive": "10:40"},
            ],
            "fare": 3400,
        },
    ],
    "roads": [
        {
            "id": "astana-karaganda",
            "a": "astana",
            "b": "karaganda",
            "distance_km": 215,
            "speed_kmh": 70,
            "cost_per_km": 40,
            "regions": ["astana-city", "akmola", "karaganda"],
            "note": "often closed in blizzards",
        },
        {
            "id": "astana-pavlodar",
            "a": "astana",
            "b": "pavlodar",
            "distance_km": 440,
            "duration_min": 420,
            "both_ways": True,
            "driving_window": {"start": "08:00", "end": "17:00"},
            "cost_per_km": 40,
            "regions": ["astana-city", "akmola", "pavlodar"],
        },
    ],
    "closures": [
        {
            "id": "blizzard",
            "road": "astana-karaganda",
            "start": "2016-01-19T02:00",
            "end": "2016-01-19T10:00",
            "note": "ground blizzard",
        },
        {"id": "pwq-night", "terminal": "PWQ", "start": "2016-01-20T01:00", "end": "2016-01-20T03:00"},
    ],
    "disruptions": [
        {
            "id": "snow",
            "kind": "road_slowed",
            "road": "astana-pavlodar",
            "factor": 1.5,
            "announced_at": "2016-01-17T12:00",
            "start": "2016-01-18T00:00",
            "end": "2016-01-19T00:00",
        }
    ],
    "objective": {
        "travel_per_hour": 60,
        "night_per_hour": 30,
        "cost_per_unit": 0.001,
        "stability": {"move_seminar": 10, "drop_city": 20, "add_city": 5, "change_connection": 2},
    },
    "solver": {
        "time_limit_s": 3600,
        "deterministic_limit": 1000,
        "workers": 1,
        "seed": 0,
        "prune_dominated": True,
    },
    "emissions": {"flight": 0.246, "train": 0.035, "bus": 0.027, "drive": 0.168, "source": "DEFRA 2023"},
}

BASE_EVENTS: dict[str, Any] = {
    "name": "tiny-steppe-winter",
    "scenario": "tiny-steppe",
    "description": "One event of each kind.",
    "events": [
        {
            "id": "tse-fog",
            "kind": "terminal_closed",
            "terminal": "TSE",
            "announced_at": "2016-01-19T06:00",
            "start": "2016-01-19T06:00",
            "end": "2016-01-19T12:00",
            "note": "fog",
        },
        {
            "id": "road-shut",
            "kind": "road_closed",
            "road": "astana-karaganda",
            "announced_at": "2016-01-19T06:00",
            "start": "2016-01-19T12:00",
            "end": "2016-01-19T18:00",
        },
        {
            "id": "region-shut",
            "kind": "road_closed",
            "region": "akmola",
            "announced_at": "2016-01-19T06:00",
            "start": "2016-01-20T00:00",
            "end": "2016-01-20T06:00",
        },
        {
            "id": "ktz-off",
            "kind": "service_cancelled",
            "service": "KTZ031",
            "announced_at": "2016-01-19T10:00",
            "start": "2016-01-19T00:00",
            "end": "2016-01-20T00:00",
        },
        {
            "id": "kc-late",
            "kind": "service_delayed",
            "service": "KC885",
            "delay_min": 90,
            "announced_at": "2016-01-20T10:00",
            "start": "2016-01-20T00:00",
            "end": "2016-01-21T00:00",
        },
        {
            "id": "snow",
            "kind": "road_slowed",
            "road": "astana-pavlodar",
            "factor": 1.5,
            "announced_at": "2016-01-19T06:00",
            "start": "2016-01-19T06:00",
            "end": "2016-01-20T06:00",
        },
        {
            "id": "pav-busy",
            "kind": "city_unavailable",
            "city": "pavlodar",
            "announced_at": "2016-01-19T06:00",
            "start": "2016-01-20T00:00",
            "end": "2016-01-20T12:00",
        },
    ],
}

# Hand-written files (hand/): the class, and the words `planner validate` must print.
HAND: dict[str, dict[str, Any]] = {
    "unterminated-double-quote.yaml": {"class": "yaml-syntax", "expect": [":29:", "currency", "quote"]},
    "unterminated-quote-at-end.yaml": {"class": "yaml-syntax", "expect": [":3:", "quote"]},
    "unterminated-single-quote.yaml": {"class": "yaml-syntax", "expect": [":7:", "quote"]},
    "unterminated-quote-in-list.yaml": {"class": "yaml-syntax", "expect": [":10:", "quote"]},
    "tab-indentation.yaml": {"class": "yaml-syntax", "expect": [":5:", "tab"]},
    "bad-indentation.yaml": {"class": "yaml-syntax", "expect": [":7:", "regions", "indentation"]},
    "unclosed-bracket.yaml": {"class": "yaml-syntax", "expect": ["'[' opened at line 5", "working_weekdays"]},
    "unclosed-brace.yaml": {"class": "yaml-syntax", "expect": ["'{' opened at line 4", "regions.0"]},
    "colon-in-value.yaml": {"class": "yaml-syntax", "expect": [":2:", "': '"]},
    "two-documents.yaml": {"class": "yaml-syntax", "expect": [":4:", "one"]},
    "undefined-alias.yaml": {"class": "yaml-syntax", "expect": [":3:", "alias"]},
    "python-tag.yaml": {"class": "yaml-syntax", "expect": [":1:", "tag"]},
    "binary-tag.yaml": {"class": "yaml-syntax", "expect": ["description", "tag"]},
    "at-sign-value.yaml": {"class": "yaml-syntax", "expect": [":3:", "'@'"]},
    "backtick-value.yaml": {"class": "yaml-syntax", "expect": [":2:", "'`'"]},
    "unknown-escape.yaml": {"class": "yaml-syntax", "expect": [":2:", "escape"]},
    "boolean-key.yaml": {"class": "yaml-syntax", "expect": [":3:", "'on'", "quote it"]},
    "number-key.yaml": {"class": "yaml-syntax", "expect": ["2016", "quote it"]},
    "complex-key.yaml": {"class": "yaml-syntax", "expect": [":2:", "key must be text"]},
    "missing-comma.json": {"class": "yaml-syntax", "expect": [":3:", "',' is missing"]},
    "empty.yaml": {"class": "file-kind", "expect": ["empty"]},
    "only-comments.yaml": {"class": "file-kind", "expect": ["empty"]},
    "top-level-scalar.yaml": {"class": "file-kind", "expect": ["mapping"]},
    "top-level-string-list.yaml": {"class": "file-kind", "expect": ["events.0"], "args": WITH_SCENARIO},
    "duplicate-top-level-key.yaml": {"class": "duplicate-key", "expect": [":4:", "name", "twice"]},
    "duplicate-nested-key.yaml": {"class": "duplicate-key", "expect": [":7:", "calendar.horizon_days"]},
    "duplicate-flow-key.yaml": {"class": "duplicate-key", "expect": ["services.0.stops.0.terminal", "twice"]},
    "duplicate-event-key.yaml": {
        "class": "duplicate-key",
        "expect": ["events.0.end", "twice"],
        "args": WITH_SCENARIO,
    },
    "billion-laughs.yaml": {"class": "alias-bomb", "expect": ["aliases"], "isolate": True},
    "recursive-alias.yaml": {"class": "alias-bomb", "expect": ["loop"], "isolate": True},
    "event-file-without-scenario.yaml": {"class": "file-kind", "expect": ["--scenario", "event file"]},
    "plan-for-unknown-scenario.json": {"class": "file-kind", "expect": ["--scenario", "plan file"]},
    "plan-for-three-cities-bad-leg.json": {"class": "plan-file", "expect": ["legs.0.depart"]},
    "event-for-flagship-unknown-terminal.yaml": {
        "class": "event-file",
        "expect": ["events.0.terminal", "XXX"],
    },
}


class Corpus:
    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    def add(
        self,
        name: str,
        content: str | bytes,
        kind: str,
        cls: str,
        expect: list[str],
        *,
        api: str | None = None,
        args: list[str] | None = None,
        isolate: bool = False,
    ) -> None:
        path = GENERATED / name
        assert f"generated/{name}" not in self.entries, name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        entry: dict[str, Any] = {"kind": kind, "class": cls, "expect": expect}
        if api is None and kind == "scenario" and name.endswith(".json"):
            api = "raw"
        entry["api"] = api
        if args:
            entry["args"] = args
        if isolate:
            entry["isolate"] = True
        self.entries[f"generated/{name}"] = entry

    def scenario(self, name: str, data: Any, cls: str, expect: list[str], raw: str | None = None) -> None:
        """A scenario as JSON; ``raw`` replaces the RAW marker (a token json cannot write)."""
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if raw is not None:
            text = text.replace(json.dumps(RAW), raw)
        self.add(f"{name}.json", text + "\n", "scenario", cls, expect)

    def events(self, name: str, data: Any, cls: str, expect: list[str], raw: str | None = None) -> None:
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if raw is not None:
            text = text.replace(json.dumps(RAW), raw)
        self.add(f"{name}.json", text + "\n", "events", cls, expect, args=WITH_SCENARIO)

    def plan(self, name: str, text: str | bytes, cls: str, expect: list[str]) -> None:
        self.add(name, text, "plan", cls, expect, args=WITH_SCENARIO)


def changed(base: Any, path: str, value: Any) -> Any:
    """A copy of ``base`` with the field at a dotted path set to ``value``."""
    data = copy.deepcopy(base)
    *parents, last = _parts(path)
    target = data
    for part in parents:
        target = target[part]
    target[last] = value
    return data


def removed(base: Any, path: str) -> Any:
    data = copy.deepcopy(base)
    *parents, last = _parts(path)
    target = data
    for part in parents:
        target = target[part]
    del target[last]
    return data


def _parts(path: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def slug(path: str) -> str:
    return path.replace(".", "-").replace("_", "-")


# --- Scenario mutations --------------------------------------------------------------------------

WRONG_TYPE: list[tuple[str, Any]] = [
    ("name", ["tiny"]),
    ("description", {"text": "x"}),
    ("currency", 12),
    ("calendar", "next week"),
    ("calendar.start_date", True),
    ("calendar.horizon_days", "three"),
    ("calendar.working_weekdays", "mon"),
    ("calendar.holidays", "2016-01-01"),
    ("calendar.holidays.0", 20160101),
    ("calendar.extra_working_dates.0", ["2016-01-23"]),
    ("regions", {"id": "astana-city"}),
    ("regions.0", "astana-city"),
    ("regions.0.id", 5),
    ("regions.0.name", ["Astana"]),
    ("regions.0.weight", "heavy"),
    ("regions.2.weight", True),
    ("cities", "astana, karaganda"),
    ("cities.0.name", None),
    ("cities.0.lat", "north"),
    ("cities.0.lon", [71.4]),
    ("cities.0.timezone", 6),
    ("cities.0.terminals", "TSE"),
    ("cities.0.terminals.0", ["TSE", "airport"]),
    ("cities.0.terminals.0.access_min", 1.5),
    ("cities.0.terminals.0.check_in_min", "an hour"),
    ("cities.0.terminals.0.transfer_min", False),
    ("cities.0.terminals.0.name", 3),
    ("seminars", {"city": "astana"}),
    ("seminars.0.duration_min", "3h"),
    ("seminars.0.start_times", "09:30"),
    ("seminars.0.start_times.0", 930),
    ("seminars.0.required", "maybe"),
    ("seminars.0.serves", "akmola"),
    ("seminars.0.weight", 0.5),
    ("seminars.1.window", "09:00-18:00"),
    ("seminars.1.window.start", 900),
    ("seminars.1.step_min", 2.5),
    ("seminars.1.any_day", "sometimes"),
    ("seminars.1.earliest_date", 19),
    ("delegation", ["astana"]),
    ("delegation.size", "four"),
    ("delegation.vehicles", 1.5),
    ("delegation.start_city", ["astana"]),
    ("delegation.latest_return", "next week"),
    ("delegation.rules", ["strict"]),
    ("delegation.rules.quiet_hours", "00:00-05:00"),
    ("delegation.rules.min_prep_min", "an hour"),
    ("delegation.rules.max_travel_min_per_day", True),
    ("delegation.rules.night.end", 6),
    ("delegation.rules.driving_window", []),
    ("services", "KC885"),
    ("services.0.mode", "plane"),
    ("services.0.days", "weekdays"),
    ("services.0.days.0", "monday"),
    ("services.0.valid_from", 2015),
    ("services.0.fare", "21300 KZT"),
    ("services.0.stops", {"terminal": "TSE"}),
    ("services.0.stops.0", "TSE 15:30"),
    ("services.0.stops.0.depart", 1530),
    ("services.0.operator", 7),
    ("services.2.distance_km", "740 km"),
    ("services.2.note", ["night"]),
    ("roads", {"id": "astana-karaganda"}),
    ("roads.0.distance_km", "215km"),
    ("roads.0.speed_kmh", True),
    ("roads.1.both_ways", "yes please"),
    ("roads.0.regions", "akmola"),
    ("roads.1.duration_min", 420.5),
    ("roads.1.driving_window", "daylight"),
    ("roads.0.cost_per_km", [40]),
    ("closures", "none"),
    ("closures.0.note", 5),
    ("closures.0.road", ["astana-karaganda"]),
    ("disruptions", {"id": "snow"}),
    ("disruptions.0.kind", "snowstorm"),
    ("disruptions.0.factor", "double"),
    ("objective", 60),
    ("objective.travel_per_hour", "sixty"),
    ("objective.cost_per_unit", "cheap"),
    ("objective.stability", "high"),
    ("objective.stability.move_seminar", 2.5),
    ("solver", "fast"),
    ("solver.time_limit_s", "ten"),
    ("solver.workers", 1.5),
    ("solver.prune_dominated", "sure"),
    ("solver.seed", "random"),
    ("emissions.flight", "high"),
    ("emissions.source", ["DEFRA"]),
]

OUT_OF_RANGE: list[tuple[str, Any]] = [
    ("calendar.horizon_days", 0),
    ("calendar.horizon_days", 61),
    ("calendar.working_weekdays.0", "funday"),
    ("regions.0.weight", -1),
    ("regions.0.weight", 1_000_001),
    ("regions.0.id", "astana city"),
    ("regions.0.id", ""),
    ("regions.0.id", "r" * 65),
    ("cities.0.lat", 91),
    ("cities.0.lat", -90.5),
    ("cities.0.lon", 181),
    ("cities.0.timezone", "Asia/Astana"),
    ("cities.0.timezone", "../../etc/passwd"),
    ("cities.0.terminals.0.access_min", -5),
    ("cities.0.terminals.0.check_in_min", 10_081),
    ("cities.0.terminals.0.transfer_min", 20_000),
    ("cities.0.terminals.0.kind", "harbour"),
    ("seminars.0.duration_min", 0),
    ("seminars.0.duration_min", 1441),
    ("seminars.1.step_min", 4),
    ("seminars.0.weight", -10),
    ("seminars.0.start_times.0", "25:00"),
    ("seminars.0.start_times.0", "9:30"),
    ("seminars.0.start_times.0", "09:30+1"),
    ("seminars.0.start_times.1", "09:60"),
    ("seminars.0.start_times.1", "٠٩:٣٠"),
    ("delegation.size", 0),
    ("delegation.size", 101),
    ("delegation.vehicles", 21),
    ("delegation.rules.min_prep_min", -1),
    ("delegation.rules.max_travel_min_per_day", 59),
    ("delegation.rules.max_travel_min_per_day", 1441),
    ("delegation.rules.night.start", "24:00"),
    ("services.0.mode", "drive"),
    ("services.0.fare", -1),
    ("services.0.fare", 2e9),
    ("services.2.distance_km", 0),
    ("services.2.distance_km", 50_000),
    ("services.0.id", "KC 885"),
    ("services.0.stops.1.arrive", "16:26+12"),
    ("services.0.stops.1.arrive", "16:26+١"),
    ("services.0.stops.1.arrive", "16:26\n"),
    ("roads.0.distance_km", 0),
    ("roads.0.distance_km", 40_001),
    ("roads.0.speed_kmh", 151),
    ("roads.0.speed_kmh", 0),
    ("roads.1.duration_min", 0),
    ("roads.1.duration_min", 10_081),
    ("roads.0.cost_per_km", -40),
    ("roads.0.cost_per_km", 2e6),
    ("objective.travel_per_hour", -1),
    ("objective.night_per_hour", 10**7),
    ("objective.cost_per_unit", 1001),
    ("objective.stability.drop_city", -1),
    ("solver.time_limit_s", 0),
    ("solver.time_limit_s", 3601),
    ("solver.workers", 0),
    ("solver.workers", 65),
    ("solver.seed", -1),
    ("solver.seed", 2**31),
    ("solver.deterministic_limit", 0),
    ("emissions.flight", -0.1),
    ("emissions.drive", 101),
    ("disruptions.0.factor", 0.5),
    ("disruptions.0.factor", 11),
    ("calendar.start_date", "1800-01-01"),
    ("calendar.start_date", "2300-01-01"),
    ("calendar.start_date", "2016-1-18"),
    ("delegation.earliest_departure", "0001-01-01T00:00+06:00"),
    ("closures.0.end", "9999-12-31T23:59-12:00"),
    ("regions.0.weight", 10**400),
]

NOT_FINITE: list[tuple[str, str]] = [
    ("services.0.fare", "NaN"),
    ("services.0.fare", "Infinity"),
    ("services.0.fare", "1e400"),
    ("services.1.fare", "-1e400"),
    ("cities.0.lat", "NaN"),
    ("cities.0.lon", "-Infinity"),
    ("roads.0.distance_km", "1e400"),
    ("roads.0.speed_kmh", "NaN"),
    ("roads.0.cost_per_km", "Infinity"),
    ("objective.cost_per_unit", "NaN"),
    ("emissions.drive", "Infinity"),
    ("emissions.flight", "1e400"),
    ("disruptions.0.factor", "NaN"),
    ("solver.time_limit_s", "Infinity"),
    ("solver.deterministic_limit", "1e400"),
    ("services.2.distance_km", "1E999"),
    ("regions.0.weight", "1e400"),
    ("delegation.size", "NaN"),
    ("objective.travel_per_hour", "Infinity"),
    ("cities.0.terminals.0.access_min", "NaN"),
]

MISSING: list[str] = [
    "name",
    "calendar",
    "calendar.start_date",
    "calendar.horizon_days",
    "regions",
    "cities",
    "cities.0.name",
    "cities.0.region",
    "cities.0.lat",
    "cities.0.lon",
    "cities.0.timezone",
    "cities.0.terminals.0.id",
    "cities.0.terminals.0.kind",
    "seminars",
    "seminars.0.city",
    "delegation",
    "delegation.start_city",
    "delegation.end_city",
    "delegation.earliest_departure",
    "delegation.latest_return",
    "services.0.id",
    "services.0.mode",
    "services.0.stops",
    "services.0.stops.0.terminal",
    "roads.0.id",
    "roads.0.a",
    "roads.0.b",
    "roads.0.distance_km",
    "closures.0.id",
    "closures.0.start",
    "closures.0.end",
    "disruptions.0.id",
    "disruptions.0.kind",
    "disruptions.0.announced_at",
    "disruptions.0.start",
    "seminars.1.window.end",
    "delegation.rules.night.start",
    "regions.0.id",
]

# Removing these breaks a rule between fields: (path removed, field path named, words).
MISSING_ONE_OF: list[tuple[str, str, str]] = [
    ("seminars.0.start_times", "seminars.0", "start_times or window"),
    ("roads.0.speed_kmh", "roads.0", "duration_min or speed_kmh"),
    ("closures.0.road", "closures.0", "exactly one of terminal or road"),
    ("services.0.stops.0.depart", "services.0.stops.0.depart", "first stop"),
    ("services.0.stops.1.arrive", "services.0.stops.1.arrive", "last stop"),
    ("disruptions.0.factor", "disruptions.0", "takes road+factor"),
]

UNKNOWN_KEYS: list[tuple[str, str]] = [
    ("", "citys"),
    ("calendar", "horizon"),
    ("regions.0", "wieght"),
    ("cities.0", "airport"),
    ("cities.0.terminals.0", "checkin_min"),
    ("seminars.0", "duration"),
    ("seminars.1.window", "length"),
    ("delegation", "people"),
    ("delegation.rules", "quiet"),
    ("delegation.rules.night", "middle"),
    ("services.0", "price"),
    ("services.0.stops.0", "platform"),
    ("roads.0", "speed"),
    ("closures.0", "reason"),
    ("disruptions.0", "severity"),
    ("objective", "travel_hour"),
    ("objective.stability", "move"),
    ("solver", "threads"),
    ("emissions", "ship"),
]

DANGLING: list[tuple[str, Any, str]] = [
    ("cities.0.region", "astana", "unknown region"),
    ("seminars.0.city", "almaty", "unknown city"),
    ("seminars.0.serves.0", "kostanay", "unknown region"),
    ("delegation.start_city", "almaty", "unknown city"),
    ("delegation.end_city", "nowhere", "unknown city"),
    ("services.0.stops.0.terminal", "ALA", "unknown terminal"),
    ("roads.0.a", "almaty", "unknown city"),
    ("roads.0.regions.0", "zhambyl", "unknown region"),
    ("closures.0.road", "astana-almaty", "unknown road"),
    ("closures.1.terminal", "ALA", "unknown terminal"),
    ("disruptions.0.road", "no-road", "unknown road"),
    ("regions.1.id", "astana-city", "duplicate id"),
    ("cities.1.id", "astana", "duplicate id"),
    ("cities.1.terminals.0.id", "TSE", "duplicate id"),
    ("services.1.id", "KC885", "duplicate id"),
    ("roads.1.id", "astana-karaganda", "duplicate id"),
    ("closures.1.id", "blizzard", "duplicate id"),
    ("seminars.2.city", "astana", "duplicate id"),
    ("delegation.rules.avoid_services", ["KC999"], "unknown service"),
    ("delegation.rules.avoid_roads", ["astana-almaty"], "unknown road"),
]

# (name, changes as (path, value), the field path named, words)
CROSS_FIELD: list[tuple[str, list[tuple[str, Any]], str, str]] = [
    (
        "pinned-off-its-dates",
        [("seminars.1.pinned", {"date": "2016-01-20"}), ("seminars.1.earliest_date", "2016-01-19")],
        "seminars.1.earliest_date",
        "pinned",
    ),
    (
        "pinned-start-and-window",
        [("seminars.1.pinned", {"date": "2016-01-20", "start": "10:00"})],
        "seminars.1.pinned.start",
        "window",
    ),
    (
        "pinned-but-not-required",
        [("seminars.2.pinned", {"date": "2016-01-20"}), ("seminars.2.required", False)],
        "seminars.2.required",
        "pinned",
    ),
    (
        "return-before-departure",
        [("delegation.latest_return", "2016-01-17T22:00")],
        "delegation.latest_return",
        "",
    ),
    (
        "return-equals-departure",
        [("delegation.latest_return", "2016-01-18T08:00")],
        "delegation.latest_return",
        "",
    ),
    (
        "return-before-departure-offset",
        [("delegation.latest_return", "2016-01-18T01:30+00:00")],
        "delegation.latest_return",
        "not after",
    ),
    (
        "trip-after-horizon",
        [
            ("delegation.earliest_departure", "2016-02-20T08:00"),
            ("delegation.latest_return", "2016-02-21T08:00"),
        ],
        "delegation.earliest_departure",
        "horizon",
    ),
    (
        "trip-before-horizon",
        [
            ("delegation.earliest_departure", "2016-01-10T08:00"),
            ("delegation.latest_return", "2016-01-12T08:00"),
        ],
        "delegation.latest_return",
        "horizon",
    ),
    (
        "return-far-after-horizon",
        [("delegation.latest_return", "2016-06-01T22:00")],
        "delegation.latest_return",
        "",
    ),
    ("return-in-2199", [("delegation.latest_return", "2199-12-31T22:00")], "delegation.latest_return", ""),
    (
        "departure-far-before-horizon",
        [("delegation.earliest_departure", "2015-06-01T08:00")],
        "earliest_departure",
        "",
    ),
    ("seminar-dates-reversed", [("seminars.0.earliest_date", "2016-01-20")], "seminars.0.latest_date", ""),
    (
        "seminar-window-too-short",
        [("seminars.1.window", {"start": "09:00", "end": "11:00"})],
        "seminars.1.window",
        "",
    ),
    (
        "seminar-window-wrapping-too-short",
        [("seminars.1.window", {"start": "23:00", "end": "01:00"})],
        "seminars.1.window",
        "shorter",
    ),
    (
        "seminar-window-empty",
        [("seminars.1.window", {"start": "09:00", "end": "09:00"})],
        "seminars.1.window",
        "",
    ),
    (
        "seminar-times-and-window",
        [("seminars.0.window", {"start": "09:00", "end": "18:00"})],
        "seminars.0",
        "start_times or window",
    ),
    ("service-validity-reversed", [("services.0.valid_from", "2016-04-01")], "services.0.valid_to", ""),
    (
        "service-stops-backwards",
        [("services.0.stops.1.arrive", "14:26")],
        "services.0.stops.1.arrive",
        "move forward",
    ),
    (
        "service-intermediate-without-time",
        [("services.2.stops.1", {"terminal": "astana-rail"})],
        "services.2.stops.1",
        "needs a time",
    ),
    ("closure-end-before-start", [("closures.0.end", "2016-01-19T01:00")], "closures.0.end", ""),
    (
        "closure-end-before-start-offset",
        [("closures.0.end", "2016-01-18T19:30+00:00")],
        "closures.0.end",
        "after start",
    ),
    ("closure-terminal-and-road", [("closures.0.terminal", "TSE")], "closures.0", "exactly one"),
    ("road-to-itself", [("roads.0.b", "astana")], "roads.0.b", "different"),
    ("road-duration-and-speed", [("roads.0.duration_min", 180)], "roads.0", "duration_min or speed_kmh"),
    ("event-end-before-start", [("disruptions.0.end", "2016-01-17T00:00")], "disruptions.0.end", ""),
    (
        "event-end-before-start-offset",
        [("disruptions.0.end", "2016-01-17T17:00+00:00")],
        "disruptions.0.end",
        "after start",
    ),
    (
        "event-wrong-fields-for-kind",
        [("disruptions.0.terminal", "TSE")],
        "disruptions.0",
        "road_slowed event takes",
    ),
    (
        "night-window-empty",
        [("delegation.rules.night", {"start": "22:00", "end": "22:00"})],
        "rules.night",
        "",
    ),
    (
        "driving-window-empty",
        [("roads.1.driving_window", {"start": "08:00", "end": "08:00"})],
        "roads.1.driving_window",
        "",
    ),
]

IMPOSSIBLE_DATES: list[tuple[str, str]] = [
    ("calendar.start_date", "2016-02-30"),
    ("calendar.holidays.0", "2016-13-01"),
    ("services.0.valid_to", "2015-02-29"),
    ("seminars.1.earliest_date", "2016-04-31"),
    ("closures.0.start", "2016-01-19T25:00"),
    ("delegation.earliest_departure", "2016-01-18T08:61"),
    ("delegation.latest_return", "20/01/2016 22:00"),
    ("delegation.latest_return", "2016-01-20"),
    ("calendar.extra_working_dates.0", "2016-02-30"),
]

INTEGER_TIMESTAMPS: list[tuple[str, Any]] = [
    ("delegation.earliest_departure", 1453082400),
    ("delegation.latest_return", "1453305600"),
    ("closures.0.end", 1453168800),
    ("disruptions.0.start", 1453053600),
    ("disruptions.0.announced_at", 1453053600.5),
    ("calendar.start_date", 1453075200),
]


def yaml_scenario(data: dict[str, Any], replace: dict[str, str] | None = None) -> str:
    """The scenario as YAML (block style); ``replace`` swaps quoted texts for raw YAML tokens."""
    import yaml

    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    for quoted, token in (replace or {}).items():
        assert quoted in text, quoted
        text = text.replace(quoted, token, 1)
    return text


def scenario_mutations(corpus: Corpus) -> None:
    base = BASE_SCENARIO
    for path, value in WRONG_TYPE:
        corpus.scenario(f"wrong-type-{slug(path)}", changed(base, path, value), "wrong-type", [path])
    for number, (path, value) in enumerate(OUT_OF_RANGE):
        corpus.scenario(
            f"out-of-range-{number:02d}-{slug(path)}", changed(base, path, value), "out-of-range", [path]
        )
    for number, (path, token) in enumerate(NOT_FINITE):
        expect = [path] if path != "regions.0.weight" else [path, "finite"]
        corpus.scenario(
            f"not-finite-{number:02d}-{slug(path)}", changed(base, path, RAW), "non-finite", expect, token
        )
    for path in MISSING:
        corpus.scenario(f"missing-{slug(path)}", removed(base, path), "missing", [path, "required"])
    for path, named, words in MISSING_ONE_OF:
        corpus.scenario(f"missing-one-of-{slug(path)}", removed(base, path), "missing", [named, words])
    for where, key in UNKNOWN_KEYS:
        path = f"{where}.{key}" if where else key
        corpus.scenario(
            f"unknown-key-{slug(path)}", changed(base, path, 1), "unknown-key", [path, "unknown field"]
        )
    for path, value, words in DANGLING:
        corpus.scenario(f"dangling-{slug(path)}", changed(base, path, value), "dangling-id", [path, words])
    for name, changes, named, words in CROSS_FIELD:
        data = base
        for path, value in changes:
            data = changed(data, path, value)
        corpus.scenario(f"cross-{name}", data, "cross-field", [named, *([words] if words else [])])
    for number, (path, value) in enumerate(IMPOSSIBLE_DATES):
        corpus.scenario(
            f"impossible-date-{number:02d}-{slug(path)}",
            changed(base, path, value),
            "impossible-date",
            [path],
        )
    for number, (path, value) in enumerate(INTEGER_TIMESTAMPS):
        corpus.scenario(
            f"integer-timestamp-{number:02d}-{slug(path)}",
            changed(base, path, value),
            "integer-timestamp",
            [path],
        )

    # YAML spellings: unquoted impossible dates and YAML's own infinities.
    yaml_cases: list[tuple[str, str, dict[str, str], list[str], str | None]] = [
        (
            "impossible-date-unquoted",
            "impossible-date",
            {"start_date: '2016-01-18'": "start_date: 2016-02-30"},
            ["calendar.start_date", ":5:"],
            None,
        ),
        (
            "impossible-holiday-unquoted",
            "impossible-date",
            {"- '2016-01-01'": "- 2016-02-30"},
            ["calendar.holidays.0"],
            None,
        ),
        (
            "impossible-datetime-unquoted",
            "impossible-date",
            {"earliest_departure: 2016-01-18T08:00": "earliest_departure: 2016-01-18 25:00:00"},
            ["delegation.earliest_departure"],
            None,
        ),
        (
            "unquoted-integer-timestamp",
            "integer-timestamp",
            {"earliest_departure: 2016-01-18T08:00": "earliest_departure: 1453082400"},
            ["delegation.earliest_departure"],
            "yaml",
        ),
        ("fare-dot-inf", "non-finite", {"fare: 21300": "fare: .inf"}, ["services.0.fare", "finite"], "yaml"),
        ("lat-dot-nan", "non-finite", {"lat: 51.18": "lat: .nan"}, ["cities.0.lat", "finite"], "yaml"),
        (
            "cost-minus-inf",
            "non-finite",
            {"cost_per_km: 40": "cost_per_km: -.inf"},
            ["roads.0.cost_per_km"],
            "yaml",
        ),
        (
            "bus-huge-exponent",
            "non-finite",
            {"bus: 0.027": "bus: 1.0e+400"},
            ["emissions.bus", "finite"],
            "yaml",
        ),
        ("fare-1e400-plain", "non-finite", {"fare: 21300": "fare: 1e400"}, ["services.0.fare"], "yaml"),
        (
            "timetable-offset-two-digits",
            "out-of-range",
            {"arrive: 06:05+1": "arrive: 06:05+12"},
            ["services.2.stops.2.arrive", "one digit"],
            "yaml",
        ),
        ("yes-as-weight", "wrong-type", {"weight: 50": "weight: yes"}, ["seminars.2.weight"], "yaml"),
        (
            "huge-integer",
            "out-of-range",
            {"horizon_days: 3": "horizon_days: " + "9" * 5000},
            ["calendar.horizon_days"],
            None,
        ),
    ]
    for name, cls, replace, expect, api in yaml_cases:
        corpus.add(f"{name}.yaml", yaml_scenario(base, replace), "scenario", cls, expect, api=api)

    # A scenario given where only an event file or the scenario belongs, and the reverse.
    corpus.add(
        "scenario-as-events.yaml",
        yaml_scenario({"name": "x", "events": [], "calendar": {}}),
        "scenario",
        "file-kind",
        ["calendar"],
        api="yaml",
    )


def encoding_cases(corpus: Corpus) -> None:
    text = yaml_scenario(BASE_SCENARIO)
    events = yaml_scenario(BASE_EVENTS)
    plan = PLAN_FILE.read_text(encoding="utf-8")
    rng = random.Random(12)
    junk = bytes(rng.randrange(256) for _ in range(3000))
    cases: list[tuple[str, bytes, str, list[str], list[str] | None]] = [
        ("utf16-le.yaml", text.encode("utf-16"), "scenario", ["UTF-16"], None),
        ("utf16-be-bom.yaml", b"\xfe\xff" + text.encode("utf-16-be"), "scenario", ["UTF-16"], None),
        ("utf32.yaml", text.encode("utf-32"), "scenario", ["UTF-16"], None),
        (
            "latin1.yaml",
            text.replace("Astana", "Astanà").encode("latin-1"),
            "scenario",
            ["UTF-8", ":2:"],
            None,
        ),
        ("binary-junk.yaml", junk, "scenario", ["not UTF-8"], None),
        ("gzip-bytes.yaml", b"\x1f\x8b\x08\x00" + junk[:500], "scenario", ["not UTF-8"], None),
        (
            "nul-byte.yaml",
            text.replace("Karaganda Region", "Karaganda\x00Region").encode(),
            "scenario",
            ["U+0000"],
            None,
        ),
        (
            "escape-character.yaml",
            text.replace("Akmola Region", "Akmola\x1bRegion").encode(),
            "scenario",
            ["U+001B"],
            None,
        ),
        (
            "events-latin1.yaml",
            events.replace("fog", "brouillard épais").encode("latin-1"),
            "events",
            ["UTF-8"],
            WITH_SCENARIO,
        ),
        ("events-utf16.yaml", events.encode("utf-16"), "events", ["UTF-16"], WITH_SCENARIO),
        ("plan-utf16.json", plan.encode("utf-16"), "plan", ["UTF-16"], WITH_SCENARIO),
        (
            "plan-latin1.json",
            plan.replace('"KZT"', '"KZT \xa3"').encode("latin-1"),
            "plan",
            ["UTF-8"],
            WITH_SCENARIO,
        ),
    ]
    for name, content, kind, expect, args in cases:
        corpus.add(name, content, kind, "encoding", expect, args=args)


def bomb_cases(corpus: Corpus) -> None:
    levels = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        previous = ", ".join([f"*l{level - 1}"] * 9)
        levels.append(f"lol{level}: &l{level} [{previous}]")
    corpus.add(
        "billion-laughs-in-description.yaml",
        yaml_scenario(BASE_SCENARIO).replace(
            "description: ", "x-lols:\n  " + "\n  ".join(levels) + "\ndescription: ", 1
        ),
        "scenario",
        "alias-bomb",
        ["aliases"],
        isolate=True,
    )
    many = "anchor: &a {x: 1}\nuses:\n" + "".join("  - *a\n" for _ in range(150))
    corpus.add("too-many-aliases.yaml", many, "scenario", "alias-bomb", ["aliases"], isolate=True)
    wide = "big: &big [" + ", ".join(["x"] * 2000) + "]\nmore: [" + ", ".join(["*big"] * 6) + "]\n"
    corpus.add("alias-expansion.yaml", wide, "scenario", "alias-bomb", ["aliases"], isolate=True)
    corpus.add(
        "deep-nesting.yaml",
        "name: deep\ndescription: " + "[" * 5000 + "]" * 5000 + "\n",
        "scenario",
        "alias-bomb",
        ["nested"],
        isolate=True,
    )
    corpus.add(
        "deep-nesting-block.yaml",
        "".join(f"{'  ' * depth}k{depth}:\n" for depth in range(200)) + "  " * 200 + "v\n",
        "scenario",
        "alias-bomb",
        ["nested"],
        isolate=True,
    )
    nested: Any = "deep"
    for _ in range(40):
        nested = {"x": nested}
    corpus.scenario(
        "deep-nesting-json", changed(BASE_SCENARIO, "description", nested), "alias-bomb", ["nested"]
    )
    corpus.add(
        "deep-nesting-plan.json",
        '{"format": "delegation-plan/1", "legs": ' + "[" * 3000 + "]" * 3000 + "}",
        "plan",
        "alias-bomb",
        ["nested"],
        args=WITH_SCENARIO,
        isolate=True,
    )
    corpus.add(
        "long-line.yaml",
        yaml_scenario(changed(BASE_SCENARIO, "regions.0.id", "r" * 200_000)),
        "scenario",
        "out-of-range",
        ["regions.0.id", "64"],
        api="yaml",
    )


def event_mutations(corpus: Corpus) -> None:
    base = BASE_EVENTS
    cases: list[tuple[str, Any, list[str], str | None]] = [
        ("empty-list", changed(base, "events", []), ["events", "at least 1"], None),
        ("no-events-key", removed(base, "events"), ["events", "none"], None),
        ("events-mapping", changed(base, "events", {"id": "x"}), ["events", "list"], None),
        ("name-missing", removed(base, "name"), ["name", "required"], None),
        ("name-wrong-type", changed(base, "name", 5), ["name", "text"], None),
        ("unknown-top-key", changed(base, "author", "me"), ["author", "unknown field"], None),
        ("kind-unknown", changed(base, "events.0.kind", "volcano"), ["events.0.kind"], None),
        (
            "wrong-field-for-kind",
            changed(base, "events.0.road", "astana-karaganda"),
            ["events.0", "takes terminal"],
            None,
        ),
        ("unknown-terminal", changed(base, "events.0.terminal", "ALA"), ["events.0.terminal", "ALA"], None),
        ("unknown-road", changed(base, "events.1.road", "astana-almaty"), ["events.1.road"], None),
        ("unknown-region", changed(base, "events.2.region", "zhambyl"), ["events.2.region"], None),
        ("unknown-service", changed(base, "events.3.service", "KC999"), ["events.3.service"], None),
        ("unknown-city", changed(base, "events.6.city", "almaty"), ["events.6.city"], None),
        ("delay-zero", changed(base, "events.4.delay_min", 0), ["events.4.delay_min"], None),
        ("delay-huge", changed(base, "events.4.delay_min", 20000), ["events.4.delay_min"], None),
        ("delay-text", changed(base, "events.4.delay_min", "late"), ["events.4.delay_min"], None),
        ("factor-low", changed(base, "events.5.factor", 0.5), ["events.5.factor"], None),
        ("factor-high", changed(base, "events.5.factor", 11), ["events.5.factor"], None),
        ("factor-nan", changed(base, "events.5.factor", RAW), ["events.5.factor", "finite"], "NaN"),
        ("factor-1e400", changed(base, "events.5.factor", RAW), ["events.5.factor", "finite"], "1e400"),
        ("end-before-start", changed(base, "events.0.end", "2016-01-19T05:00"), ["events.0.end"], None),
        (
            "end-before-start-offset",
            changed(base, "events.0.end", "2016-01-18T23:30+00:00"),
            ["events.0.end"],
            None,
        ),
        ("start-integer", changed(base, "events.0.start", 1453190400), ["events.0.start"], None),
        (
            "announced-words",
            changed(base, "events.0.announced_at", "yesterday"),
            ["events.0.announced_at"],
            None,
        ),
        ("start-impossible", changed(base, "events.0.start", "2016-01-32T10:00"), ["events.0.start"], None),
        ("end-year-9999", changed(base, "events.0.end", "9999-12-31T23:00-12:00"), ["events.0.end"], None),
        ("duplicate-id-overlap", changed(base, "events.5.id", "tse-fog"), ["events.5.id", "duplicate"], None),
        ("unknown-event-key", changed(base, "events.0.severity", 3), ["events.0.severity"], None),
        ("id-missing", removed(base, "events.0.id"), ["events.0.id", "required"], None),
        ("kind-missing", removed(base, "events.0.kind"), ["events.0.kind", "required"], None),
        ("start-missing", removed(base, "events.0.start"), ["events.0.start", "required"], None),
        ("event-not-mapping", changed(base, "events.0", "tse closed"), ["events.0", "mapping"], None),
        ("bad-id", changed(base, "events.0.id", "tse fog!"), ["events.0.id"], None),
        ("other-scenario", changed(base, "scenario", "three-cities"), ["scenario", "written for"], None),
    ]
    for name, data, expect, raw in cases:
        corpus.events(f"events-{name}", data, "event-file", expect, raw)
    corpus.add(
        "events-list-form.yaml",
        yaml_scenario([{**BASE_EVENTS["events"][0], "terminal": "ALA"}]),  # type: ignore[arg-type]
        "events",
        "event-file",
        ["events.0.terminal"],
        args=WITH_SCENARIO,
    )
    corpus.add(
        "events-unquoted-timestamp.yaml",
        yaml_scenario(BASE_EVENTS, {"start: 2016-01-19T06:00": "start: 2016-02-30 06:00:00"}),
        "events",
        "event-file",
        ["events.0.start"],
        args=WITH_SCENARIO,
    )
    corpus.add(
        "events-no-scenario-option.json",
        json.dumps(changed(base, "events.0.terminal", "ALA"), indent=2),
        "events",
        "file-kind",
        ["--scenario", "tiny-steppe"],
    )


def plan_mutations(corpus: Corpus) -> None:
    base = json.loads(PLAN_FILE.read_text(encoding="utf-8"))
    assert base["legs"] and base["seminars"], "the base plan travels"

    def dump(data: Any) -> str:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    first_depart = base["legs"][0]["depart"]
    hour = int(first_depart[11:13])
    shifted = first_depart[:11] + f"{(hour + 1) % 24:02d}" + first_depart[13:]
    seminar_start = base["seminars"][0]["start"]
    cases: list[tuple[str, str, list[str]]] = [
        ("format-missing", dump(removed(base, "format")), ["format", "missing"]),
        ("format-other", dump(changed(base, "format", "delegation-plan/9")), ["format", "delegation-plan/9"]),
        ("scenario-other", dump(changed(base, "scenario", "south-loop")), ["scenario", "south-loop"]),
        ("leg-depart-words", dump(changed(base, "legs.0.depart", "half past three")), ["legs.0.depart"]),
        ("leg-depart-integer", dump(changed(base, "legs.0.depart", 1453190400)), ["legs.0"]),
        ("leg-missing-to", dump(removed(base, "legs.0.to")), ["legs.0", "to"]),
        ("legs-not-list", dump(changed(base, "legs", "none")), ["legs", "list"]),
        ("leg-not-object", dump(changed(base, "legs.0", "flight")), ["legs.0"]),
        ("leg-moved", dump(changed(base, "legs.0.depart", shifted)), ["legs.0"]),
        ("leg-unknown-service", dump(changed(base, "legs.0.service", "XX000")), ["legs.0"]),
        ("seminar-unknown-city", dump(changed(base, "seminars.0.city", "almaty")), ["seminars.0"]),
        (
            "seminar-no-offset",
            dump(changed(base, "seminars.0.start", seminar_start[:16])),
            ["seminars.0.start"],
        ),
        (
            "events-bad-kind",
            dump(changed(base, "events", [{"id": "x", "kind": "volcano"}])),
            ["events.0.kind"],
        ),
        ("events-not-list", dump(changed(base, "events", "none")), ["events", "list"]),
        ("status-integer", dump(changed(base, "objective", "lots")), ["objective"]),
        (
            "cost-nan",
            dump(changed(base, "totals.cost", RAW)).replace(json.dumps(RAW), "NaN"),
            ["NaN", "finite"],
        ),
        (
            "objective-1e400",
            dump(changed(base, "objective", RAW)).replace(json.dumps(RAW), "1e400"),
            ["1e400", "finite"],
        ),
        (
            "duplicate-key",
            dump(base).replace('"status":', '"status": "FEASIBLE",\n  "status":', 1),
            ["status", "twice"],
        ),
        ("truncated", dump(base)[: len(dump(base)) // 2], ["not valid JSON"]),
        ("trailing-comma", dump(base).rstrip().rstrip("}").rstrip() + ",\n}\n", ["not valid JSON"]),
        ("single-quotes", dump(base).replace('"format"', "'format'", 1), ["not valid JSON"]),
        (
            "huge-integer",
            dump(base).replace('"version": 1', '"version": ' + "7" * 5000, 1),
            ["too many digits"],
        ),
    ]
    for name, text, expect in cases:
        assert text != dump(base), name
        corpus.plan(f"plan-{name}.json", text, "plan-file", expect)
    import yaml

    corpus.plan("plan-as-yaml.json", yaml.safe_dump(base, sort_keys=False), "plan-file", ["not valid JSON"])


def make_base() -> None:
    from planner.result import plan_json
    from planner.scenario import load_events, load_scenario
    from planner.solve import plan

    BASE.mkdir(exist_ok=True)
    SCENARIO_FILE.write_text(
        "# The valid base of the bad-input corpus (written by make_corpus.py).\n"
        + yaml_scenario(BASE_SCENARIO),
        encoding="utf-8",
    )
    EVENTS_FILE.write_text(
        "# Valid events for tiny-steppe.yaml, one of each kind (written by make_corpus.py).\n"
        + yaml_scenario(BASE_EVENTS),
        encoding="utf-8",
    )
    scenario = load_scenario(SCENARIO_FILE)
    load_events(EVENTS_FILE, scenario)
    problem, result = plan(scenario)
    data = plan_json(scenario, problem.axis, result)
    # The file does not change with the machine's speed.
    data["runtime_s"] = 0.0
    stats = data["solver"].get("stats", {})
    stats.update({key: 0.0 for key in stats if key.endswith("_s")})
    PLAN_FILE.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    make_base()
    if GENERATED.exists():
        shutil.rmtree(GENERATED)
    GENERATED.mkdir()
    corpus = Corpus()
    scenario_mutations(corpus)
    encoding_cases(corpus)
    bomb_cases(corpus)
    event_mutations(corpus)
    plan_mutations(corpus)
    manifest: dict[str, dict[str, Any]] = {}
    for name, entry in sorted(HAND.items()):
        path = HERE / "hand" / name
        assert path.is_file(), f"hand-written file missing: {path}"
        kind = entry.get("kind") or _kind_of_hand(name)
        full = {"kind": kind, "class": entry["class"], "expect": entry["expect"], "api": entry.get("api")}
        for key in ("args", "isolate"):
            if key in entry:
                full[key] = entry[key]
        manifest[f"hand/{name}"] = full
    manifest.update(corpus.entries)
    (HERE / "expected.json").write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    counts: dict[str, int] = {}
    for entry in manifest.values():
        counts[entry["class"]] = counts.get(entry["class"], 0) + 1
    print(f"{len(manifest)} files: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def _kind_of_hand(name: str) -> str:
    if name.startswith(("event", "duplicate-event", "top-level-string-list")):
        return "events"
    if name.startswith("plan"):
        return "plan"
    return "scenario"


if __name__ == "__main__":
    main()
