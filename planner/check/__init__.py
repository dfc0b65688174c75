"""An independent checker: re-verify a plan JSON against the raw scenario.

``check_plan(scenario, plan)`` takes the dict that ``planner.result.plan_json``
produces (what ``planner plan --out`` writes) and returns every way it breaks the
scenario's rules, as :class:`Violation` items; an empty list means the plan is
valid.

The checker deliberately shares no code with the search and the solver: it never
imports the network, connection search, problem builder or CP-SAT model, and it
redoes its own time arithmetic (local wall-clock times through ``zoneinfo``,
working days, timetable runs, great-circle distances). A bug in the planner's
calendar or timetable code then shows up as a disagreement instead of being
repeated here. Only the scenario models and their clock parser are shared. For
the same reason it reads the raw JSON, not the plan document model: it must catch
what that model would reject (a missing field, a value of the wrong type).

It works in three steps. The parse step (``parse``) reads the plan into immutable
items, reporting what is malformed as ``plan_format`` (or ``local_times``) and
leaving the broken item out. The resolve step (``context``, with ``lookups`` for
the scenario and the events in force, ``rides`` for the timetable and ``previous``
for a replan) joins them into one immutable :class:`Context`: what several rules
need (each ride's stops and true times, the frozen past, the reported positions,
the coverage and stability recomputed) is worked out there once, so no rule
depends on another having run. Then one pure function per rule, named as the rule,
yields its violations: ``legs`` and ``timeline`` hold the rules of the legs, the
seminars and the trip, ``figures`` those of totals, coverage and the objective,
``replan`` those of a replan, ``shape`` the parse step's. :data:`CHECKS` maps each
rule of ``planner.rules`` (which names and describes them all; ``Violation.rule``
is one of their names) to its function, and ``check_plan`` runs them in that order,
so violations come grouped by rule.

Disruption events (``scenario.disruptions`` plus the ``events`` argument) change
what is valid. Their datetimes without an offset are local to the place they
name: a terminal's city, the city, a road's first city ``a``, a region's first
city in ``scenario.cities``, a service's first stop.

- ``terminal_closed``: no ride departs from or arrives at the terminal in
  [start, end) (``not_closed``).
- ``road_closed``: no drive on the road, or on any road whose ``regions`` hold
  the region, overlaps [start, end) (``not_closed``).
- ``service_cancelled``: no leg rides a run of the service whose scheduled first
  departure lies in [start, end) (``not_cancelled``).
- ``service_delayed``: such a run calls at every stop ``delay_min`` later; a leg on
  it must say so (``leg_in_timetable``), and quiet hours are judged on the delayed
  times. Two delays of one run add up.
- ``road_slowed``: a drive starting in [start, end) takes ``round(minutes *
  factor)`` minutes (``drive_on_road``, also for the driving window). Two
  slowdowns of one drive multiply.
- ``city_unavailable``: no seminar in the city overlaps [start, end)
  (``city_available``).

Given the plan that was being followed (``previous``) and the present instant
(``now``), the past is frozen (``frozen_past``): every seminar of ``previous``
that started before ``now`` is in the plan unchanged, every leg of ``previous``
that departed before ``now`` is in the plan with the same mode, service, ends,
run date and departure, arriving as before or later by exactly the delay of a
``service_delayed`` event on its run (for a drive: as long as a ``road_slowed``
event makes it), and nothing else in the plan departs or starts before ``now``.
Those frozen legs had left before the events came: they are only checked to
exist in the undisturbed timetable (or road network), and by the rules that
tie the trip together (``legs_chain``, ``connection_times``, ``no_two_places``,
``prep_time``, ``daily_travel_limit``, ``totals``); frozen seminars are exempt
from ``city_available``. Those rules use the legs' own (possibly delayed)
times; ``not_closed`` and ``quiet_hours`` judge a ride on a delayed run at the
times it really runs, whatever the leg says.

The objective and its figures (``objective``), judged with the weights of
``scenario.objective``:

- ``coverage.secondary_points`` is the secondary cost of the connections (rule 24 of
  scenarios/README.md): for each, ``travel_min * travel_per_hour + night_min *
  night_per_hour + round(money * cost_per_unit * 60)`` in 1/60 points, with the travel
  and night minutes recomputed from its legs (leave and arrive by rule 4, night minutes
  by rule 21, in the home zone) and money the sum of its legs' money rounded to 0.01 (a
  leg's as the plan states it where that is within the ``totals`` tolerance of the fare
  or road money recomputed here, else the recomputed one); the sum divided by 60 and
  rounded to 0.01. A replanned version (one stating ``now``) counts only what it
  planned: the connections it leaves for at or after its ``now``. The
  connections' own ``travel_min`` and ``night_min`` are judged under
  ``connection_times`` and ``totals``.
- INFEASIBLE and TIME_LIMIT (no plan), and a document without an ``objective`` key, are
  exempt from the rest. Otherwise ``objective`` is an integer; ``bound``, when not null,
  is at most ``objective`` (a lower bound of a minimisation) and equals it under OPTIMAL
  (which needs a bound); ``gap`` is ``(objective - bound) / |objective|`` rounded to 6
  digits (0 when the objective is 0, null without a bound), so 0 under OPTIMAL.
- ``objective == scale * (max_points - points) + (secondary + stability_scale *
  stability) // divisor``, with ``scale``, ``divisor`` and ``stability_scale`` as
  ``solver.objective_terms`` states them, ``points`` and ``max_points`` as recomputed
  under ``region_coverage``, ``secondary`` as above in 1/60 points, and ``stability`` the
  stability points recomputed as below (without ``previous``: the plan's
  ``stability_points``; 0 for a first version). ``divisor`` divides ``secondary +
  stability_scale * stability`` (it divides every cost of the model) and the quotient is
  below ``scale`` (one coverage point outweighs the whole cost).

A plan that states an objective must state ``solver.objective_terms``.

A replan's stability figures (``stability``), given ``previous`` and ``now``, for a plan
that is a replanned version (``based_on``, ``diff`` or ``stability_points`` set).
*Future* means: a seminar starting at or after ``now`` (its whole minute, as the planner
counts), a leg departing at or after it, a connection whose first leg does. A reported
``position`` changes none of it (the connections from it are future ones like any
other), and the frozen legs, having departed before ``now``, are never future.

- ``stability_points`` (unless the plan has no objective: no new plan, no figure), with
  the weights of ``objective.stability``: for each future seminar of the plan,
  ``add_city`` when ``previous`` had no future seminar in its city, ``move_seminar``
  when it had one starting at another instant; for each future connection of the plan,
  ``change_connection`` unless ``previous`` had a future connection between the same
  two cities (its first leg's ``from_city``, its last leg's ``to_city``; the later one
  when two) with the same legs (service and departure, in order); ``drop_city`` for each
  future seminar city of ``previous`` without a future seminar in the plan.
- ``diff``: ``seminars.kept``, ``moved``, ``dropped`` and ``added`` list exactly the cities
  whose future seminar is at the same instant, at another, gone, or new (with those
  instants: ``start``, ``old_start``, ``new_start``); ``legs.removed`` and ``legs.added``
  the future legs (service, from, to, departure) only ``previous`` has, or only the plan;
  ``changes`` is the number of moved, dropped and added seminars and removed and added
  legs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence

from planner.check.backups import backup_legs
from planner.check.basics import Violation
from planner.check.context import Context, resolve
from planner.check.coordinator import avoided, rest_days
from planner.check.figures import objective, region_coverage, totals
from planner.check.legs import (
    connection_times,
    drive_on_road,
    leg_in_timetable,
    legs_chain,
    not_cancelled,
    not_closed,
    quiet_hours,
)
from planner.check.replan import frozen_past, stability
from planner.check.shape import local_times, plan_format
from planner.check.timeline import (
    buffers,
    city_available,
    daily_travel_limit,
    no_two_places,
    one_seminar_per_city,
    prep_time,
    required_cities,
    seminar_fits,
    start_and_end,
)
from planner.domain import Closure, Disruption, Scenario
from planner.rules import RULES as RULE_INFO
from planner.rules import Rule

__all__ = ["CHECKS", "RULES", "Context", "Violation", "check_plan"]

Check = Callable[[Context], Iterator[Violation]]

_BY_NAME: dict[str, Check] = {
    check.__name__: check
    for check in (
        start_and_end,
        leg_in_timetable,
        drive_on_road,
        not_closed,
        not_cancelled,
        quiet_hours,
        legs_chain,
        connection_times,
        seminar_fits,
        city_available,
        prep_time,
        no_two_places,
        one_seminar_per_city,
        required_cities,
        daily_travel_limit,
        region_coverage,
        stability,
        objective,
        totals,
        local_times,
        frozen_past,
        backup_legs,
        plan_format,
        buffers,
        rest_days,
        avoided,
    )
}

# One check per rule, named as the rule, in the order planner.rules lists them.
CHECKS: dict[Rule, Check] = {rule: _BY_NAME[rule.value] for rule in RULE_INFO}

# The rule names a violation may carry.
RULES: tuple[str, ...] = tuple(rule.value for rule in RULE_INFO)


def check_plan(
    scenario: Scenario,
    plan: dict,
    extra_closures: Sequence[Closure] = (),
    events: Sequence[Disruption] = (),
    previous: dict | None = None,
    now: dt.datetime | None = None,
    position: str | None = None,
    carried: Mapping[int, tuple[int, int | None]] | None = None,
) -> list[Violation]:
    """Every violation of the scenario's rules in ``plan`` (empty: the plan is valid).

    ``carried``: the legs (by index) that carry fewer than the whole delegation, with the
    ``people`` and ``vehicles`` (drives; else None) they must state: a team's legs before a member
    joins it en route. Every other leg must state neither.

    ``position`` (with ``previous`` and ``now``) is where the coordinator reported the
    delegation at ``now``: the frozen past ends there, so what the plan does from ``now``
    on starts in that city, whatever the past legs say.

    ``extra_closures`` are treated exactly like ``scenario.closures`` (replanning
    adds closures learnt after the plan was made), and ``events`` like
    ``scenario.disruptions``. With both ``previous`` (the plan being followed, same
    JSON shape) and ``now`` (an aware instant; a naive one is read in the start
    city's zone), what happened before ``now`` is frozen: see the package docstring.
    """
    if not isinstance(plan, dict):
        return [Violation("plan_format", "", "the plan is not a JSON object")]
    ctx = resolve(scenario, plan, extra_closures, events, previous, now, position)
    found = [violation for check in CHECKS.values() for violation in check(ctx)]
    return found + _carried(plan, carried or {})


def _carried(plan: dict, carried: Mapping[int, tuple[int, int | None]]) -> list[Violation]:
    """Legs state who travels on them exactly where fewer than the whole delegation do."""
    found = []
    legs = plan.get("legs")
    for index, leg in enumerate(legs if isinstance(legs, list) else []):
        if not isinstance(leg, dict):
            continue
        people, cars = carried.get(index, (None, None))
        for name, expected in (("people", people), ("vehicles", cars)):
            if leg.get(name) != expected:
                wanted = "absent (the whole delegation travels)" if expected is None else expected
                message = f"{name} is {leg.get(name)!r}, expected {wanted}"
                found.append(Violation("totals", f"legs.{index}.{name}", message))
    return found
