"""Bundled scenarios and timelines, and turning a request's scenario choice into a Scenario.

Limits are enforced here, before anything reaches a solver: a request over them gets
422 naming the field and the limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api import limits
from api.errors import field_error, not_found
from api.schemas import ScenarioChoice, ScenarioSummary, SolveOptions
from api.settings import Settings
from planner.domain import EventTimeline, Scenario, SolverParams
from planner.scenario import ScenarioError, events_from_data, load_scenario, parse_text, scenario_from_data


@dataclass(frozen=True)
class ChosenScenario:
    name: str
    scenario: Scenario
    data: dict[str, Any]  # canonical JSON form, stored with the plan


class Catalog:
    """The scenario files under ``scenarios_dir`` and their timelines under ``events/``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = settings.scenarios_dir
        self._cache: dict[Path, tuple[float, Scenario]] = {}
        self._stored: OrderedDict[str, Scenario] = OrderedDict()

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.yaml"))

    def path(self, name: str) -> Path | None:
        path = self.folder / f"{name}.yaml"
        # The name must be a plain file name in the folder: no path tricks.
        return path if name in self.names() and path.is_file() else None

    def scenario(self, name: str) -> Scenario | None:
        path = self.path(name)
        if path is None:
            return None
        mtime = path.stat().st_mtime
        cached = self._cache.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, load_scenario(path))
            self._cache[path] = cached
        return cached[1]

    def timelines(self, scenario: Scenario) -> dict[str, dict[str, Any]]:
        """Bundled timelines meant for this scenario (or for any), by name, as data."""
        found: dict[str, dict[str, Any]] = {}
        for path in sorted((self.folder / "events").glob("*.yaml")):
            data, _ = parse_text(path.read_text(encoding="utf-8"), str(path))
            if isinstance(data, dict) and data.get("scenario") in (None, scenario.name):
                found[str(data.get("name", path.stem))] = data
        return found

    def summary(self, name: str, scenario: Scenario) -> ScenarioSummary:
        return ScenarioSummary(
            name=name,
            title=scenario.name,
            cities=len(scenario.cities),
            regions=len(scenario.regions),
            seminars=len(scenario.seminars),
            services=len(scenario.services),
            start_date=scenario.calendar.start_date,
            horizon_days=scenario.calendar.horizon_days,
            timelines=list(self.timelines(scenario)),
            teams=[team.id for team in scenario.teams],
            forms_teams=scenario.forming.teams if scenario.forming is not None else 0,
        )

    def choose(self, choice: ScenarioChoice) -> ChosenScenario:
        """The scenario a request names or carries, validated and within the limits."""
        if choice.scenario_name is not None:
            scenario = self.scenario(choice.scenario_name)
            if scenario is None:
                raise field_error(
                    ["scenario_name"], f"no bundled scenario {choice.scenario_name!r}; see GET /v1/scenarios"
                )
            name = choice.scenario_name
        else:
            try:
                scenario = scenario_from_data(choice.scenario, "scenario")
            except ScenarioError as error:
                first = error.problems[0]
                raise field_error(
                    ["scenario", *first.path], "; ".join(str(p) for p in error.problems)
                ) from None
            name = scenario.name
        self._within_limits(scenario)
        name_loc: list[str | int] = (
            ["scenario_name"] if choice.scenario_name is not None else ["scenario", "name"]
        )
        problem = limits.text_problem(name, limits.SCENARIO_NAME)
        if problem is not None:
            raise field_error(name_loc, problem)
        _printable_names(scenario)
        return ChosenScenario(name, scenario, scenario.model_dump(mode="json", exclude_defaults=True))

    def _within_limits(self, scenario: Scenario) -> None:
        limits = self.settings
        if len(scenario.cities) > limits.max_cities:
            raise field_error(
                ["scenario", "cities"],
                f"{len(scenario.cities)} cities; this server plans at most {limits.max_cities}",
            )
        if scenario.calendar.horizon_days > limits.max_horizon_days:
            raise field_error(
                ["scenario", "calendar", "horizon_days"],
                f"{scenario.calendar.horizon_days} days; this server plans at most {limits.max_horizon_days}",
            )

    def solver_options(self, options: SolveOptions, scenario: Scenario) -> dict[str, Any]:
        """Options for the solver: the request's, else the scenario's, within the server's cap."""
        cap = self.settings.max_time_limit_s
        if options.time_limit_s is not None and options.time_limit_s > cap:
            raise field_error(
                ["options", "time_limit_s"],
                f"{options.time_limit_s:g} s is above this server's cap of {cap:g} s",
            )
        fallback = self.settings.default_time_limit_s or min(scenario.solver.time_limit_s, cap)
        time_limit = options.time_limit_s or fallback
        seed = options.seed if options.seed is not None else scenario.solver.seed
        # One CP-SAT worker per solve: the pool's processes are the server's parallelism.
        SolverParams(time_limit_s=time_limit, seed=seed, workers=1)
        return {"time_limit_s": time_limit, "seed": seed, "workers": 1}

    def stored(self, data: dict[str, Any]) -> Scenario:
        """The Scenario of a stored plan (validated when the plan was made; cached)."""
        key = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        if key not in self._stored:
            self._stored[key] = scenario_from_data(_one_line_names(data), "stored scenario")
            while len(self._stored) > 16:
                self._stored.popitem(last=False)
        self._stored.move_to_end(key)
        return self._stored[key]

    def require(self, name: str) -> Scenario:
        scenario = self.scenario(name)
        if scenario is None:
            raise not_found(f"scenario {name!r}")
        return scenario


def _printable_names(scenario: Scenario) -> None:
    """Names shown in calendars, maps and pages hold no control characters (422 naming one)."""
    named: list[tuple[list[str | int], str]] = [(["scenario", "name"], scenario.name)]
    named += [(["scenario", "regions", i, "name"], region.name) for i, region in enumerate(scenario.regions)]
    for i, city in enumerate(scenario.cities):
        named.append((["scenario", "cities", i, "name"], city.name))
        named += [
            (["scenario", "cities", i, "terminals", j, "name"], terminal.name)
            for j, terminal in enumerate(city.terminals)
        ]
    for loc, name in named:
        bad = limits.unprintable(name)
        if bad is not None:
            raise field_error(loc, f"contains the control character U+{ord(bad):04X}; give printable text")


def near_the_trip(scenario: Scenario, moment: dt.datetime, loc: list[str | int]) -> None:
    """Times more than a year from the horizon are typing errors (and would overflow the axis)."""
    calendar = scenario.calendar
    first = calendar.start_date - dt.timedelta(days=366)
    last = calendar.start_date + dt.timedelta(days=calendar.horizon_days + 366)
    if not first <= moment.date() <= last:
        message = f"{moment.isoformat()} is more than a year from the trip ({calendar.start_date})"
        raise field_error(loc, message)


def checked_events(scenario: Scenario, data: Any, loc: list[str | int]) -> EventTimeline:
    """Events (a list or a what-if timeline) validated against the scenario; 422 naming the field."""
    try:
        timeline = events_from_data(data, scenario, "events")
    except ScenarioError as error:
        first = error.problems[0]
        raise field_error([*loc, *first.path], "; ".join(p.message for p in error.problems)) from None
    for index, event in enumerate(timeline.events):
        for name in ("announced_at", "start", "end"):
            near_the_trip(scenario, getattr(event, name), [*loc, "events", index, name])
    return timeline


def _one_line_names(data: dict[str, Any]) -> dict[str, Any]:
    """A stored scenario with its names made printable: one stored before names had to be one
    line of text (planner.domain.Name) still loads, for its exports and replans."""
    copy = json.loads(json.dumps(data))

    def fix(item: Any) -> None:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            item["name"] = limits.printable(item["name"])[:200]

    fix(copy)
    for city in copy.get("cities") or []:
        fix(city)
        for terminal in (city.get("terminals") or []) if isinstance(city, dict) else []:
            fix(terminal)
    for region in copy.get("regions") or []:
        fix(region)
    return copy
