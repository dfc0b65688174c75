"""Frozen, self-validating models of a scenario.

A scenario is everything a plan depends on: the calendar, the cities and their
terminals, the seminars, the regions to cover, the delegation and its rules, the
transport network (timetabled services and roads), closures known at planning
time, objective weights and solver parameters.

Times of day are written as local wall-clock times ``"HH:MM"`` of the place they
refer to; a timetable time may carry a day offset (``"07:47+1"``). Datetimes
without an offset are local to the city they refer to; datetimes with an offset
are taken as given. The models never convert to UTC themselves: see
``planner.calendar`` for that.

The package: ``values`` (the scalar types and the base model), ``places`` (cities, terminals,
regions, services, roads), ``seminars`` (calendar, seminars, delegation), ``events`` (closures,
disruptions and the zone their times are read in), ``settings`` (objective, emissions, solver),
``scenario`` and ``validation`` (the checks of a scenario as a whole).
"""

from planner.domain.events import (
    Closure,
    Disruption,
    DisruptionKind,
    EventTimeline,
    event_zone,
    event_zone_or_none,
)
from planner.domain.places import City, Mode, Region, Road, Service, Stop, Terminal, TerminalKind
from planner.domain.scenario import Scenario
from planner.domain.seminars import Calendar, Delegation, Seminar, TravelRules
from planner.domain.settings import EmissionFactors, Objective, SolverParams, StabilityWeights
from planner.domain.validation import (
    TRIP_MARGIN_DAYS,
    DanglingReferences,
    disruption_problems,
    reference_problems,
    trip_window,
)
from planner.domain.values import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_COST_PER_KM,
    MAX_DISTANCE_KM,
    MAX_EMISSION_FACTOR,
    MAX_MONEY,
    MAX_WEIGHT,
    WEEKDAYS,
    Clock,
    ClockWindow,
    Date,
    DateTime,
    FieldProblems,
    Frozen,
    Identifier,
    Minutes,
    Name,
    Number,
    TimetableClock,
    TimeZoneName,
    Weekday,
    Whole,
    parse_clock,
    shown,
)

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_COST_PER_KM",
    "MAX_DISTANCE_KM",
    "MAX_EMISSION_FACTOR",
    "MAX_MONEY",
    "MAX_WEIGHT",
    "TRIP_MARGIN_DAYS",
    "WEEKDAYS",
    "Calendar",
    "City",
    "Clock",
    "ClockWindow",
    "Closure",
    "DanglingReferences",
    "Date",
    "DateTime",
    "Delegation",
    "Disruption",
    "DisruptionKind",
    "EmissionFactors",
    "EventTimeline",
    "FieldProblems",
    "Frozen",
    "Identifier",
    "Minutes",
    "Mode",
    "Name",
    "Number",
    "Objective",
    "Region",
    "Road",
    "Scenario",
    "Seminar",
    "Service",
    "SolverParams",
    "StabilityWeights",
    "Stop",
    "Terminal",
    "TerminalKind",
    "TimeZoneName",
    "TimetableClock",
    "TravelRules",
    "Weekday",
    "Whole",
    "disruption_problems",
    "event_zone",
    "event_zone_or_none",
    "parse_clock",
    "reference_problems",
    "shown",
    "trip_window",
]
