"""The itinerary's rules, named once: what each says, where it is enforced, that it is checked.

Every rule here is re-verified by the independent checker (``planner.check``), one function per
rule under the rule's name. The rules the CP-SAT model states are methods of
``planner.cpsat.model.ItineraryModel`` under the same names. The other stages enforce theirs
before the model sees the problem: scenario validation rejects what no plan could keep, the
connection search builds only legs and connections that keep the movement rules, problem building
makes only seminar slots and arcs that keep the calendar and the start state, and the result
writes the plan document. ``tests/test_rules.py`` asserts that the model's and the checker's sets
are these, and that the README's table is ``markdown_table()``.

Run ``python -m planner.rules`` to print the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """Where along the pipeline a rule is enforced."""

    VALIDATION = "scenario validation"
    SEARCH = "connection search"
    PROBLEM = "problem building"
    MODEL = "the model"
    RESULT = "the result"


class Rule(StrEnum):
    """One rule an itinerary keeps. The value is the name the model and the checker use."""

    START_AND_END = "start_and_end"
    LEG_IN_TIMETABLE = "leg_in_timetable"
    DRIVE_ON_ROAD = "drive_on_road"
    NOT_CLOSED = "not_closed"
    NOT_CANCELLED = "not_cancelled"
    QUIET_HOURS = "quiet_hours"
    LEGS_CHAIN = "legs_chain"
    CONNECTION_TIMES = "connection_times"
    SEMINAR_FITS = "seminar_fits"
    CITY_AVAILABLE = "city_available"
    PREP_TIME = "prep_time"
    BUFFERS = "buffers"
    REST_DAYS = "rest_days"
    AVOIDED = "avoided"
    NO_TWO_PLACES = "no_two_places"
    ONE_SEMINAR_PER_CITY = "one_seminar_per_city"
    REQUIRED_CITIES = "required_cities"
    DAILY_TRAVEL_LIMIT = "daily_travel_limit"
    REGION_COVERAGE = "region_coverage"
    STABILITY = "stability"
    OBJECTIVE = "objective"
    TOTALS = "totals"
    LOCAL_TIMES = "local_times"
    FROZEN_PAST = "frozen_past"
    BACKUP_LEGS = "backup_legs"
    PLAN_FORMAT = "plan_format"


@dataclass(frozen=True)
class RuleInfo:
    """What a rule says and the stages that enforce it (the checker verifies every rule)."""

    says: str
    enforced_in: tuple[Stage, ...]


_S, _P, _M, _R, _V = Stage.SEARCH, Stage.PROBLEM, Stage.MODEL, Stage.RESULT, Stage.VALIDATION

# In the order the checker runs them, which follows the model's where both have a rule.
RULES: dict[Rule, RuleInfo] = {
    Rule.START_AND_END: RuleInfo(
        "The trip leaves the start city no earlier than the start and reaches the end city by the end.",
        (_V, _P, _M),
    ),
    Rule.LEG_IN_TIMETABLE: RuleInfo(
        "Every ride is a run of a scenario service on a day it runs, between two of its stops, "
        "at their timetable times (delays included).",
        (_S,),
    ),
    Rule.DRIVE_ON_ROAD: RuleInfo(
        "Every drive follows a scenario road, inside its daylight window, taking its time "
        "(slowdowns included).",
        (_S,),
    ),
    Rule.NOT_CLOSED: RuleInfo("No leg uses a terminal or road while it is closed.", (_S,)),
    Rule.NOT_CANCELLED: RuleInfo("No ride uses a cancelled run.", (_S,)),
    Rule.QUIET_HOURS: RuleInfo("No leg departs during the delegation's quiet hours.", (_S,)),
    Rule.LEGS_CHAIN: RuleInfo(
        "A connection's legs chain: each starts where the previous ended, after the transfer time it needs.",
        (_S,),
    ),
    Rule.CONNECTION_TIMES: RuleInfo(
        "Each leg belongs to exactly one connection, whose cities, leave, arrive and travel minutes are "
        "those of its legs.",
        (_S, _R),
    ),
    Rule.SEMINAR_FITS: RuleInfo(
        "Each seminar is one the scenario asks for, of its length, inside its window, on a working day "
        "between its dates (a pinned seminar: required, on its agreed date and start).",
        (_V, _P),
    ),
    Rule.CITY_AVAILABLE: RuleInfo("No seminar while its city is unavailable.", (_P,)),
    Rule.PREP_TIME: RuleInfo("The delegation arrives the preparation time before each seminar.", (_P,)),
    Rule.BUFFERS: RuleInfo(
        "A connection leaves no sooner than the after-seminar buffer after the seminar before it; every "
        "boarding from a city allows access, check-in and the departure buffer.",
        (_S, _P),
    ),
    Rule.REST_DAYS: RuleInfo(
        "No seminar on a rest day of the delegation and no connection under way during one (home zone).",
        (_S, _P),
    ),
    Rule.AVOIDED: RuleInfo("No leg takes a service or drives a road the delegation avoids.", (_S,)),
    Rule.NO_TWO_PLACES: RuleInfo(
        "The delegation is in one place at a time: seminars and connections follow each other in time.",
        (_P, _M),
    ),
    Rule.ONE_SEMINAR_PER_CITY: RuleInfo("At most one seminar per city.", (_M,)),
    Rule.REQUIRED_CITIES: RuleInfo(
        "Every required city holds its seminar, or the plan says why it cannot.", (_P, _M, _R)
    ),
    Rule.DAILY_TRAVEL_LIMIT: RuleInfo(
        "Door-to-door travel per home-zone day stays within the delegation's limit "
        "(travel already under way excepted).",
        (_P, _M),
    ),
    Rule.REGION_COVERAGE: RuleInfo(
        "A region counts as covered only if a seminar serving it is held; the points are those of the "
        "regions and cities covered, and every city without a seminar is listed as uncovered.",
        (_M, _R),
    ),
    Rule.STABILITY: RuleInfo(
        "A replan's stability points and diff are those of its changes against the previous version.",
        (_P, _M, _R),
    ),
    Rule.OBJECTIVE: RuleInfo(
        "The objective is the published formula over the plan's coverage, secondary and stability points; "
        "the bound does not exceed it, and equals it when OPTIMAL.",
        (_M, _R),
    ),
    Rule.TOTALS: RuleInfo(
        "The plan's totals (counts, time, distance, money and its currency, CO2e, nights) are "
        "its legs' sums.",
        (_R,),
    ),
    Rule.LOCAL_TIMES: RuleInfo("Every time shown is local to its city, with that city's offset.", (_R,)),
    Rule.FROZEN_PAST: RuleInfo(
        "A replan keeps what was done or under way before now, and starts where the delegation was reported.",
        (_P,),
    ),
    Rule.BACKUP_LEGS: RuleInfo(
        "Each leg's backup is real: its legs run, avoid the cancelled run and chain to where the leg "
        "was going, and it keeps the seminar only if it arrives in time.",
        (_S, _R),
    ),
    Rule.PLAN_FORMAT: RuleInfo("The plan document has every field, of the right type.", (_R,)),
}

# The rules the CP-SAT model states, in the order it adds them.
MODEL_RULES: tuple[Rule, ...] = tuple(rule for rule, info in RULES.items() if Stage.MODEL in info.enforced_in)


def markdown_table() -> str:
    """The README's table of rules: name, what it says, where it is enforced."""
    lines = ["| rule | says | enforced in |", "|---|---|---|"]
    for rule, info in RULES.items():
        lines.append(f"| `{rule}` | {info.says} | {', '.join(info.enforced_in)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
