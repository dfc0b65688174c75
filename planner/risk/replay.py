"""Run one sample's disruption timeline against a plan, under a policy, and measure what is left.

Policies:

- ``replan``: the delegation replans at each announcement with the existing replanner
  (:func:`planner.whatif.play`, which also checks every version). The outcome is the last
  version: its seminars, whether it brings the delegation back (a version with no itinerary,
  INFEASIBLE or TIME_LIMIT, does not), its hours on legs (on board or driving, without the
  waits) and its nights against the plan's.
- ``follow``: no replanning. The plan is checked against the sample's events; the delegation
  follows it until the first item that breaks a rule under them (the earliest departure of a
  broken leg or connection, the earliest start of a broken seminar; a violation naming no item
  breaks the trip at its start). Every seminar starting from that instant on is lost and the trip
  counts as not back by the end; hours on legs and nights are the plan's (no extra is counted, since
  what happens after the break is not planned). A plan no event touches is followed as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from planner.check import check_plan
from planner.connections import SlotMemo
from planner.domain import Disruption, EventTimeline, Scenario, SolverParams
from planner.network import TransportNetwork
from planner.whatif import without_backups

NO_ITINERARY = ("INFEASIBLE", "TIME_LIMIT")
_ITEM = re.compile(r"^(legs|seminars|connections)\.(\d+)")


class Policy(StrEnum):
    REPLAN = "replan"
    FOLLOW = "follow"


@dataclass(frozen=True)
class Outcome:
    """What one sample left of the plan."""

    index: int
    events: tuple[Disruption, ...]
    regions: int
    cities: int
    all_regions: bool  # every region the plan covers is still covered
    back: bool
    extra_travel_hours: float
    extra_nights: int
    disrupted_legs: tuple[str, ...]  # legs of the plan broken, cancelled or changed
    lost_cities: tuple[str, ...]  # seminar cities of the plan not held
    moved_cities: tuple[str, ...]  # seminar cities of the plan held at another time
    changes: int  # versions that changed anything (replan)
    violations: int  # checker violations of the versions made (must be 0)
    # Legs an event itself broke (follow), or replaced by a replan: not those merely after a break.
    broken_legs: tuple[str, ...] = ()


@dataclass
class Replayer:
    """What every sample of a run shares: the scenario, the plan, the network built once."""

    scenario: Scenario
    plan: dict[str, Any]
    policy: Policy
    params: SolverParams | None = None
    network: TransportNetwork | None = None

    def __post_init__(self) -> None:
        if self.network is None:
            self.network = TransportNetwork.build(self.scenario)
        # Slot searches the samples' events do not touch are made once for all samples.
        self.memo: SlotMemo | None = SlotMemo(self.network)
        # Replays are deterministic: a timeline seen before has the same outcome.
        self._seen: dict[tuple[str, ...], Outcome] = {}
        # "All regions" are the regions the plan covers: what the trip was planned to achieve.
        self._regions = frozenset(r for s in self.plan["seminars"] for r in s["regions"])

    def outcome(self, index: int, events: tuple[Disruption, ...]) -> Outcome:
        key = tuple(e.model_dump_json() for e in events)
        known = self._seen.get(key)
        if known is None:
            known = self._replay(index, events)
            if len(self._seen) < 512:
                self._seen[key] = known
        return _renumbered(known, index, events)

    def _replay(self, index: int, events: tuple[Disruption, ...]) -> Outcome:
        if not events:
            return self._measure(index, events, self.plan, changes=0, violations=0)
        if self.policy is Policy.FOLLOW:
            return self._follow(index, events)
        from planner.whatif import play

        timeline = EventTimeline(name=f"sample-{index}", scenario=self.scenario.name, events=events)
        played = play(self.scenario, timeline, self.plan, self.params, network=self.network, memo=self.memo)
        changes = sum(1 for step in played.steps if step.changes)
        violations = sum(len(step.violations) for step in played.steps)
        return self._measure(index, events, played.final, changes=changes, violations=violations)

    def _measure(
        self, index: int, events: tuple[Disruption, ...], final: dict[str, Any], changes: int, violations: int
    ) -> Outcome:
        planned = {s["city"]: s["start"] for s in self.plan["seminars"]}
        held = {s["city"]: s["start"] for s in final["seminars"]}
        regions = {r for s in final["seminars"] for r in s["regions"]}
        kept = {_leg_label(leg) for leg in final["legs"]}
        return Outcome(
            index=index,
            events=events,
            regions=len(regions),
            cities=len(held),
            all_regions=regions >= self._regions,
            back=final["status"] not in NO_ITINERARY,
            extra_travel_hours=round((_leg_minutes(final) - _leg_minutes(self.plan)) / 60, 2),
            extra_nights=len(final["nights"]) - len(self.plan["nights"]),
            disrupted_legs=tuple(
                label for leg in self.plan["legs"] if (label := _leg_label(leg)) not in kept
            ),
            lost_cities=tuple(city for city in planned if city not in held),
            moved_cities=tuple(
                city for city, start in planned.items() if city in held and held[city] != start
            ),
            changes=changes,
            violations=violations,
            broken_legs=tuple(label for leg in self.plan["legs"] if (label := _leg_label(leg)) not in kept),
        )

    def _follow(self, index: int, events: tuple[Disruption, ...]) -> Outcome:
        # Backups are advice made before the events; whether the plan breaks is about its legs.
        violations = check_plan(self.scenario, without_backups(self.plan), events=events)
        if not violations:
            return self._measure(index, events, self.plan, changes=0, violations=0)
        known = [b for v in violations if (b := self._instant(v.where)) is not None]
        broken_at = min(known) if known else None  # None: a violation of the whole trip breaks it at once

        def before_break(text: str) -> bool:
            return broken_at is not None and _at(text) < broken_at

        seminars = [s for s in self.plan["seminars"] if before_break(s["start"])]
        regions = {r for s in seminars for r in s["regions"]}
        held = {s["city"] for s in seminars}
        broken_legs = {int(m[2]) for v in violations if (m := _ITEM.match(v.where)) and m[1] == "legs"}
        disrupted = tuple(
            _leg_label(leg)
            for number, leg in enumerate(self.plan["legs"])
            if number in broken_legs or not before_break(leg["depart"])
        )
        return Outcome(
            index=index,
            events=events,
            regions=len(regions),
            cities=len(held),
            all_regions=regions >= self._regions,
            back=False,
            extra_travel_hours=0.0,
            extra_nights=0,
            disrupted_legs=disrupted,
            lost_cities=tuple(s["city"] for s in self.plan["seminars"] if s["city"] not in held),
            moved_cities=(),
            changes=0,
            violations=0,
            broken_legs=tuple(
                _leg_label(leg) for number, leg in enumerate(self.plan["legs"]) if number in broken_legs
            ),
        )

    def _instant(self, where: str) -> dt.datetime | None:
        """When the plan item a violation names begins (None: it names no leg, seminar or connection)."""
        match = _ITEM.match(where)
        if match is None:
            return None
        kind, number = match[1], int(match[2])
        items = self.plan[kind]
        if number >= len(items):
            return None
        item = items[number]
        return _at(
            item["depart"] if kind == "legs" else item["start"] if kind == "seminars" else item["leave"]
        )


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _leg_minutes(plan: dict[str, Any]) -> int:
    """Minutes on the legs themselves (on board or driving, a delay included), without the waits.

    Not the plan's door-to-door ``travel_hours``: a replanned version splits a connection at its
    ``now`` (the wait there is then no longer travel), so that figure changes when nothing does.
    """
    return sum(int(leg["minutes"]) for leg in plan["legs"])


def leg_label(leg: dict[str, Any]) -> str:
    """A leg as a coordinator names it: service, ends and departure."""
    return f"{leg['service']} {leg['from']}->{leg['to']} {leg['depart']}"


_leg_label = leg_label  # the name the replay has always used


def _renumbered(outcome: Outcome, index: int, events: tuple[Disruption, ...]) -> Outcome:
    if outcome.index == index:
        return outcome
    from dataclasses import replace

    return replace(outcome, index=index, events=events)
