"""Backups: for each leg of a plan, the best alternative if that leg is cancelled.

A leg is assumed cancelled when it is due to depart: a ride loses that run of its service
(``service_cancelled`` on the run's first departure), a drive loses its road for the rest of
that local day at the city it leaves (``road_closed`` until midnight there; a drive has no run
to cancel, and a road that cannot be driven now is, in a Kazakh winter, closed until the next
morning's decision). The delegation is then where the replanner would put it: in the city the
leg leaves, free from the leg's departure (or from its arrival there, mid-connection). From
there the existing connection search (``journeys_from``), compiled under the plan's events plus
that one synthetic event, finds the connections to where the cancelled connection was going,
so a backup keeps every movement rule a planned connection keeps.

The backup is the earliest arrival that still holds the next seminar at its planned start
(preparation time included) without breaking the daily travel limit together with the rest of
the plan; failing that, the earliest arrival at all, saying which seminar would be missed; with
no connection at all, "no alternative: replan". Only legs that depart at or after a replanned
version's ``now`` get one: the past is not planned again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.calendar import TimeAxis
from planner.connections import Journey, SearchContext, build_context, journeys_from
from planner.document import Backup, BackupLeg, LegOut, PlanDocument
from planner.domain import Disruption, DisruptionKind, Mode, Scenario
from planner.network import TransportNetwork, first_departures

if TYPE_CHECKING:
    from planner.connections.store import ConnectionStore

NO_ALTERNATIVE = "no alternative: replan"


@dataclass(frozen=True)
class _PlannedLeg:
    """A leg of the document in epoch minutes, with the connection it belongs to."""

    index: int
    out: LegOut
    depart: int
    arrive: int
    connection: int  # index in document.connections
    previous: int | None  # the leg before it in that connection


@dataclass(frozen=True)
class _Target:
    """Where the cancelled connection was going and by when it had to be there."""

    city: str
    due: int  # latest arrival at the centre that keeps the seminar (or the trip's end)
    seminar_city: str | None
    what: str  # "the seminar in Aktau at 2016-01-22T09:30+05:00"


def cancellation(scenario: Scenario, axis: TimeAxis, leg: LegOut) -> Disruption:
    """The event that cancels a leg when it is due to depart (the module docstring says why a
    drive's road closes until local midnight)."""
    depart = axis.minutes(dt.datetime.fromisoformat(leg.depart))
    announced = axis.utc(depart)
    if leg.mode == Mode.DRIVE:
        zone = scenario.city(leg.from_city).zone
        day = axis.local_date(depart, zone) + dt.timedelta(days=1)
        midnight = axis.local_minutes(day, 0, zone)
        return Disruption(
            id=f"backup-{leg.service}",
            kind=DisruptionKind.ROAD_CLOSED,
            announced_at=announced,
            start=announced,
            end=axis.utc(midnight),
            road=leg.service,
            note="assumed closed for the rest of the day, to find a backup",
        )
    service = next(s for s in scenario.services if s.id == leg.service)
    assert leg.run_date is not None
    first = first_departures(scenario, axis, service)[dt.date.fromisoformat(leg.run_date)]
    return Disruption(
        id=f"backup-{leg.service}",
        kind=DisruptionKind.SERVICE_CANCELLED,
        announced_at=announced,
        start=axis.utc(first),
        end=axis.utc(first + 1),
        service=leg.service,
        note="assumed cancelled, to find a backup",
    )


def with_backups(
    scenario: Scenario,
    network: TransportNetwork,
    document: PlanDocument,
    store: ConnectionStore | None = None,
) -> PlanDocument:
    """The document with a backup on every leg that departs at or after its ``now``; ``store``
    keeps them on disk (``stored_backups``)."""
    found = stored_backups(store, scenario, network, document)
    legs = tuple(
        leg if backup is None else leg.model_copy(update={"backup": backup})
        for leg, backup in zip(document.legs, found, strict=True)
    )
    return document.model_copy(update={"legs": legs})


# What of a document its backups read besides the scenario: everything else (solver figures,
# totals, the diff) may differ between two runs that have the same backups.
_BACKUP_INPUTS = {"events", "now", "seminars", "legs", "connections"}


def stored_backups(
    store: ConnectionStore | None, scenario: Scenario, network: TransportNetwork, document: PlanDocument
) -> tuple[Backup | None, ...]:
    """``leg_backups``, read from ``store`` when it holds those of the same legs of the same
    scenario (a second plan of a scenario finds the same plan: one search per leg saved, about
    a tenth of a warm ``planner plan``). The key also holds the code's fingerprint."""
    if store is None:
        return leg_backups(scenario, network, document)
    key = store.key("backups", scenario.model_dump_json(), document.model_dump_json(include=_BACKUP_INPUTS))
    kept = store.load_value("backups", key)
    if (
        isinstance(kept, tuple)
        and len(kept) == len(document.legs)
        and all(b is None or isinstance(b, Backup) for b in kept)
    ):
        return kept
    found = leg_backups(scenario, network, document)
    store.save_value("backups", key, found)
    return found


def leg_backups(
    scenario: Scenario, network: TransportNetwork, document: PlanDocument
) -> tuple[Backup | None, ...]:
    """One backup per leg of the document (None for a leg of the past)."""
    axis = network.axis
    now = axis.minutes(dt.datetime.fromisoformat(document.now)) if document.now else None
    legs = _planned_legs(axis, document)
    loads = _other_loads(network, document)
    base = build_context(network, network.overlay(document.events))
    backups: list[Backup | None] = []
    for leg in legs:
        if now is not None and leg.depart < now:
            backups.append(None)
            continue
        backups.append(_backup(scenario, base, document, legs, leg, loads[leg.connection]))
    return tuple(backups)


def _minute(axis: TimeAxis, text: str) -> int:
    return axis.minutes(dt.datetime.fromisoformat(text))


def _planned_legs(axis: TimeAxis, document: PlanDocument) -> list[_PlannedLeg]:
    owner: dict[int, tuple[int, int | None]] = {}
    for number, connection in enumerate(document.connections):
        for position, index in enumerate(connection.legs):
            owner[index] = (number, connection.legs[position - 1] if position else None)
    return [
        _PlannedLeg(
            index, leg, _minute(axis, leg.depart), _minute(axis, leg.arrive), *owner.get(index, (-1, None))
        )
        for index, leg in enumerate(document.legs)
    ]


def _other_loads(network: TransportNetwork, document: PlanDocument) -> dict[int, dict[int, int]]:
    """Per connection: the travel minutes per home day of every other connection of the plan,
    and of its own legs before the cancelled one (added by the caller)."""
    ctx = build_context(network)
    axis = network.axis
    spans = [
        ctx.minutes_per_home_day(_minute(axis, c.leave), _minute(axis, c.arrive))
        for c in document.connections
    ]
    total: dict[int, int] = {}
    for span in spans:
        for day, minutes in span:
            total[day] = total.get(day, 0) + minutes
    loads: dict[int, dict[int, int]] = {-1: dict(total)}
    for number, span in enumerate(spans):
        others = dict(total)
        for day, minutes in span:
            others[day] -= minutes
        loads[number] = others
    return loads


def _target(scenario: Scenario, axis: TimeAxis, document: PlanDocument, leg: _PlannedLeg) -> _Target | None:
    """What the connection of a leg leads to: the next seminar in its city, or the trip's end."""
    if leg.connection < 0:
        return None
    connection = document.connections[leg.connection]
    city = connection.to_city
    arrive = _minute(axis, connection.arrive)
    seminar = next(
        (s for s in document.seminars if s.city == city and _minute(axis, s.start) >= arrive), None
    )
    if seminar is not None:
        prep = scenario.delegation.rules.min_prep_min
        due = _minute(axis, seminar.start) - prep
        return _Target(city, due, city, f"the seminar in {seminar.city_name} at {shown(seminar.start)}")
    delegation = scenario.delegation
    end_zone = scenario.city(delegation.end_city).zone
    due = axis.minutes(delegation.latest_return, end_zone)
    name = scenario.city(city).name
    return _Target(city, due, None, f"the return to {name} by {shown(axis.iso(due, end_zone))}")


def _free_at(network: TransportNetwork, legs: Sequence[_PlannedLeg], leg: _PlannedLeg) -> int:
    """When the delegation is free in the city the leg leaves, as the replanner counts it: from
    the departure, or from its arrival at the centre when an earlier leg of the connection
    brought it there later."""
    if leg.previous is None:
        return leg.depart
    return max(leg.depart, _at_centre(network, legs[leg.previous]))


def _at_centre(network: TransportNetwork, leg: _PlannedLeg) -> int:
    """When a leg's arrival puts the delegation in its city's centre (access from a terminal)."""
    if leg.out.mode == Mode.DRIVE:
        return leg.arrive
    return leg.arrive + network.scenario.terminals()[leg.out.to].access_min


def _backup(
    scenario: Scenario,
    base: SearchContext,
    document: PlanDocument,
    legs: Sequence[_PlannedLeg],
    leg: _PlannedLeg,
    others: dict[int, int],
) -> Backup | None:
    """The backup of one leg: the search from where the leg leaves, in ``base`` (the plan's
    events) with the leg's own run cancelled or its road closed."""
    network = base.network
    axis = network.axis
    target = _target(scenario, axis, document, leg)
    if target is None or target.city == leg.out.from_city:
        return None
    event = cancellation(scenario, axis, leg.out)
    # Only the cancelled service's rides change (a closed road is read during the search), so
    # the context of the plan's events is compiled once and each backup's derived from it.
    cancelled = set() if leg.out.mode == Mode.DRIVE else {leg.out.service}
    ctx = base.with_cancellation(network.overlay((*document.events, event)), cancelled)
    free = _free_at(network, legs, leg)
    found = journeys_from(ctx, leg.out.from_city, [free]).get(target.city, [])
    if not found:
        return Backup(
            legs=(),
            to_city=target.city,
            arrive=None,
            keeps_seminar=False,
            seminar_city=target.seminar_city,
            note=f"{NO_ALTERNATIVE} ({target.what} is at risk)",
        )
    loads = dict(others)
    connection = document.connections[leg.connection]
    if leg.previous is not None:  # the legs of the connection already travelled count too, as in a replan
        done_until = _at_centre(network, legs[leg.previous])
        for day, minutes in ctx.minutes_per_home_day(_minute(axis, connection.leave), done_until):
            loads[day] = loads.get(day, 0) + minutes
    limit = scenario.delegation.rules.max_travel_min_per_day
    ordered = sorted(found, key=lambda j: (j.arrive, j.cost, j.leave))
    in_time = [j for j in ordered if j.arrive <= target.due]
    fitting = [j for j in in_time if all(loads.get(d, 0) + m <= limit for d, m in j.day_minutes)]
    if fitting:
        chosen, note = fitting[0], f"keeps {target.what}"
    elif in_time:
        chosen = in_time[0]
        note = f"arrives in time but over the daily travel limit: {target.what} is at risk"
    else:
        chosen, note = ordered[0], f"arrives too late: {target.what} would be missed"
    return _as_backup(scenario, axis, ctx, chosen, target, bool(fitting), note)


def _as_backup(
    scenario: Scenario,
    axis: TimeAxis,
    ctx: SearchContext,
    journey: Journey,
    target: _Target,
    keeps: bool,
    note: str,
) -> Backup:
    zones = ctx.zones
    return Backup(
        legs=tuple(
            BackupLeg(
                mode=leg.mode,
                service=leg.service,
                from_=leg.from_place,
                to=leg.to_place,
                from_city=leg.from_city,
                to_city=leg.to_city,
                depart=axis.iso(leg.depart, zones[leg.from_city]),
                arrive=axis.iso(leg.arrive, zones[leg.to_city]),
                run_date=leg.run_date.isoformat() if leg.run_date else None,
            )
            for leg in journey.legs
        ),
        to_city=target.city,
        arrive=axis.iso(journey.arrive, zones[target.city]),
        keeps_seminar=keeps,
        seminar_city=target.seminar_city,
        note=note,
    )


def shown(text: str) -> str:
    """A local time as a person reads it, with its offset: ``Wed 20 Jan 09:18 +06:00``."""
    moment = dt.datetime.fromisoformat(text)
    return f"{moment:%a %d %b %H:%M} {moment.isoformat()[-6:]}"


def describe(backup: Backup, names: Mapping[str, str]) -> str:
    """A backup in one line: its legs, where and when it arrives, and what that means."""
    if not backup.legs or backup.arrive is None:
        return backup.note
    legs = "; ".join(
        f"{leg.mode.value} {leg.service} {leg.from_} {shown(leg.depart)} -> {leg.to} {_arrival(leg)}"
        for leg in backup.legs
    )
    city = names.get(backup.to_city, backup.to_city)
    return f"{legs}; in {city} {shown(backup.arrive)}: {backup.note}"


def _arrival(leg: BackupLeg) -> str:
    """The arrival's clock and offset, its date too when it is not the departure's."""
    text = shown(leg.arrive)
    return text if leg.arrive[:10] != leg.depart[:10] else text[11:]
