"""Draw a disruption timeline per sample from a risk model.

A risk model becomes a fixed list of *trials*, each one Bernoulli draw: a hazard on one local day
of the trip (closures, slowdowns, storms) or on one run of a service (delays, cancellations). A
sample draws every trial in that order from its own generator, seeded from ``(seed, index)`` alone,
so sample ``i`` is the same whichever worker draws it and in whatever order. A trial that fires
draws its start, duration (and delay) and becomes one or more :class:`Disruption` (a storm, one
per target), announced ``lead_hours`` before its start but never before the trip starts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from planner.calendar import TimeAxis
from planner.domain import Disruption, DisruptionKind, Scenario, parse_clock, trip_window
from planner.network import first_departures
from planner.risk.model import (
    Hazard,
    RiskModel,
    RoadClosure,
    RoadSlowdown,
    ServiceCancellation,
    ServiceDelay,
    Storm,
    TerminalClosure,
)

# Exact enumeration replays 2^k timelines; beyond this it is not a test any more.
MAX_ENUMERATED_TRIALS = 12

Episode = TerminalClosure | RoadClosure | RoadSlowdown | Storm
ServiceHazard = ServiceDelay | ServiceCancellation


@dataclass(frozen=True)
class Trial:
    """One Bernoulli draw: a hazard on a local day, or on one run of a service."""

    hazard: Hazard
    chance: float
    zone: ZoneInfo
    day: dt.date  # the local day of an episode, the run date of a service run
    service: str | None = None
    departure: int | None = None  # epoch minute of the run's first departure


@dataclass(frozen=True)
class Trials:
    """A risk model laid out over one scenario's trip."""

    scenario: Scenario
    axis: TimeAxis
    leave: int  # epoch minutes of the earliest departure and the latest return
    back: int
    trials: tuple[Trial, ...]


def trials_of(scenario: Scenario, risk: RiskModel) -> Trials:
    """Every draw a sample makes, in a fixed order: hazards as listed, then days or runs in time order."""
    axis = TimeAxis.for_scenario(scenario)
    leave_at, back_at = trip_window(scenario)
    leave, back = axis.minutes(leave_at), axis.minutes(back_at)
    trials: list[Trial] = []
    for hazard in risk.hazards:
        if isinstance(hazard, ServiceDelay | ServiceCancellation):
            trials.extend(_run_trials(scenario, axis, hazard, leave, back))
        else:
            zone = _episode_zone(scenario, hazard)
            first, last = leave_at.astimezone(zone).date(), back_at.astimezone(zone).date()
            for offset in range((last - first).days + 1):
                day = first + dt.timedelta(days=offset)
                if not hazard.dates or day in hazard.dates:
                    trials.append(Trial(hazard, hazard.chance_per_day, zone, day))
    return Trials(scenario, axis, leave, back, tuple(trials))


def _episode_zone(scenario: Scenario, hazard: Episode) -> ZoneInfo:
    """Where an episode's start hours are read: its terminal's, road's or region's place (rule 19)."""
    from planner.domain import event_zone

    if isinstance(hazard, Storm):
        return scenario.city(scenario.delegation.start_city).zone
    kind = (
        DisruptionKind.TERMINAL_CLOSED if isinstance(hazard, TerminalClosure) else DisruptionKind.ROAD_CLOSED
    )
    probe = Disruption.model_construct(
        id=hazard.id,
        kind=kind,
        terminal=getattr(hazard, "terminal", None),
        road=getattr(hazard, "road", None),
        region=getattr(hazard, "region", None),
        service=None,
        city=None,
    )
    return event_zone(scenario, probe)


def _run_trials(
    scenario: Scenario, axis: TimeAxis, hazard: ServiceHazard, leave: int, back: int
) -> Iterator[Trial]:
    terminal_city = scenario.terminal_city()
    for service in scenario.services:
        if hazard.service not in (None, service.id) or hazard.mode not in (None, service.mode):
            continue
        zone = terminal_city[service.stops[0].terminal].zone
        last = service.stops[-1]
        assert last.arrive is not None  # the format requires it of the last stop
        arrive_clock, arrive_days = parse_clock(last.arrive)
        last_zone = terminal_city[last.terminal].zone
        for day, departure in sorted(first_departures(scenario, axis, service).items()):
            # A run matters from its first departure until its last arrival, maybe days later.
            arrival = axis.local_minutes(day + dt.timedelta(days=arrive_days), arrive_clock, last_zone)
            if leave < arrival and departure < back:
                yield Trial(hazard, hazard.chance_per_run, zone, day, service.id, departure)


def draw(trials: Trials, seed: int, index: int) -> tuple[Disruption, ...]:
    """Sample ``index`` of a run seeded ``seed``: the events of every trial that fires."""
    rng = random.Random(f"{seed}:{index}")
    events: list[Disruption] = []
    for trial in trials.trials:
        # Every trial takes one draw to decide, so the trials after it see the same stream.
        if rng.random() < trial.chance:
            events.extend(realise(trials, trial, rng))
    return tuple(events)


def realise(trials: Trials, trial: Trial, rng: random.Random) -> list[Disruption]:
    """The events of a trial that fired; its start, duration and delay drawn from ``rng``."""
    hazard = trial.hazard
    if isinstance(hazard, ServiceDelay | ServiceCancellation):
        return _run_event(trials, trial, hazard, rng)
    window = hazard.start_hours
    start_hour = rng.uniform(window.from_, window.to) if window.to > window.from_ else window.from_
    duration = hazard.duration_hours
    hours = rng.triangular(duration.min, duration.max, duration.most_likely)
    start = trials.axis.local_minutes(trial.day, round(start_hour * 60), trial.zone)
    end = start + max(1, round(hours * 60))
    if end <= trials.leave or start >= trials.back:
        return []  # wholly outside the trip: nothing to announce
    announced = max(trials.leave, start - round(hazard.lead_hours * 60))
    stamp = f"{trial.day:%Y%m%d}"
    times = _times(trials, trial.zone, announced, start, end)
    if isinstance(hazard, Storm):
        targets = (
            [("terminal_closed", "terminal", t) for t in hazard.affects.terminals]
            + [("road_closed", "road", r) for r in hazard.affects.roads]
            + [("road_closed", "region", r) for r in hazard.affects.regions]
        )
        return [
            Disruption.model_validate(
                {"id": f"{hazard.id}-{stamp}-{target[:14]}", "kind": kind, field: target, **times}
                | {"note": hazard.note}
            )
            for kind, field, target in targets
        ]
    data: dict[str, object] = {"id": f"{hazard.id}-{stamp}", "note": hazard.note, **times}
    if isinstance(hazard, TerminalClosure):
        data |= {"kind": "terminal_closed", "terminal": hazard.terminal}
    else:
        data |= {"kind": "road_closed", "road": hazard.road, "region": hazard.region}
        if isinstance(hazard, RoadSlowdown):
            data |= {"kind": "road_slowed", "factor": hazard.factor}
    return [Disruption.model_validate({k: v for k, v in data.items() if v is not None})]


def _run_event(trials: Trials, trial: Trial, hazard: ServiceHazard, rng: random.Random) -> list[Disruption]:
    assert trial.departure is not None and trial.service is not None
    start, end = trial.departure, trial.departure + 1  # the run first departing at that minute
    announced = max(trials.leave, start - round(hazard.lead_hours * 60))
    data: dict[str, object] = {
        "id": f"{hazard.id}-{trial.service[:14]}-{trial.day:%Y%m%d}",
        "service": trial.service,
        "note": hazard.note,
        **_times(trials, trial.zone, announced, start, end),
    }
    if isinstance(hazard, ServiceDelay):
        shape = hazard.delay_minutes
        minutes = max(1, round(rng.triangular(shape.min, shape.max, shape.most_likely)))
        data |= {"kind": "service_delayed", "delay_min": min(minutes, 7 * 24 * 60)}
    else:
        data |= {"kind": "service_cancelled"}
    return [Disruption.model_validate(data)]


def _times(trials: Trials, zone: ZoneInfo, announced: int, start: int, end: int) -> dict[str, str]:
    """Local times with their offset, so a what-if file written from them reads the same anywhere."""
    axis = trials.axis
    return {
        "announced_at": axis.iso(announced, zone),
        "start": axis.iso(start, zone),
        "end": axis.iso(end, zone),
    }


def is_fixed(trial: Trial) -> bool:
    """True when a trial that fires always gives the same events (no start, duration or delay drawn)."""
    hazard = trial.hazard
    if isinstance(hazard, ServiceCancellation):
        return True
    if isinstance(hazard, ServiceDelay):
        return hazard.delay_minutes.min == hazard.delay_minutes.max
    duration = hazard.duration_hours
    return hazard.start_hours.from_ == hazard.start_hours.to and duration.min == duration.max


def every_timeline(trials: Trials) -> Iterator[tuple[float, tuple[Disruption, ...]]]:
    """Each combination of trials that fire, with its probability (fixed trials only: 2^k of them)."""
    live = [t for t in trials.trials if t.chance > 0]
    if not all(is_fixed(t) for t in live):
        raise ValueError("exact enumeration needs fixed starts, durations and delays")
    if len(live) > MAX_ENUMERATED_TRIALS:
        raise ValueError(f"{len(live)} trials: too many to enumerate (at most {MAX_ENUMERATED_TRIALS})")
    fixed = random.Random(0)  # never changes a fixed trial's events
    realised = [realise(trials, t, fixed) for t in live]
    for fired in itertools.product((False, True), repeat=len(live)):
        probability = 1.0
        events: list[Disruption] = []
        for trial, on, its_events in zip(live, fired, realised, strict=True):
            probability *= trial.chance if on else 1.0 - trial.chance
            if on:
                events.extend(its_events)
        yield probability, tuple(events)
