"""The resolve step of a ride: its leg matched against the timetable (which stops, which times).

The rule ``leg_in_timetable`` reports what the reading found wrong; ``not_closed`` and
``quiet_hours`` judge a ride at the times it really runs; the figures price it by its stops.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from planner.check.basics import RIDE_MODES, after, day_text, great_circle_km, show
from planner.check.lookups import Event, Lookups
from planner.check.parse import Leg
from planner.domain import WEEKDAYS, DisruptionKind, Service

StopPair = tuple[int, int]  # (board, alight) stop of a service


@dataclass(frozen=True)
class RideReading:
    """A ride read against the timetable: the stops it rides between (None: it rides none), the
    times its delayed run really keeps when the leg says otherwise, and what is wrong with it."""

    stop_pair: StopPair | None = None
    true_times: tuple[dt.datetime, dt.datetime] | None = None
    problems: tuple[str, ...] = ()


def _runs_on(service: Service, run_date: dt.date) -> str | None:
    """Why a service has no run on a date, or None when it runs."""
    if WEEKDAYS[run_date.weekday()] not in service.days:
        return f"{service.id} does not run on {day_text(run_date)}; it runs on {', '.join(service.days)}"
    if service.valid_from and run_date < service.valid_from:
        return f"{service.id} runs only from {service.valid_from.isoformat()}, not on {day_text(run_date)}"
    if service.valid_to and run_date > service.valid_to:
        return f"{service.id} runs only until {service.valid_to.isoformat()}, not on {day_text(run_date)}"
    return None


def _usable_stops(leg: Leg, service: Service, problems: list[str]) -> list[StopPair]:
    """The (board, alight) stops of the service the leg may ride between, in timetable order."""
    stops = service.stops
    last = len(stops) - 1
    boards = [i for i, s in enumerate(stops) if s.terminal == leg.origin]
    alights = [i for i, s in enumerate(stops) if s.terminal == leg.destination]
    if not boards or not alights:
        missing = leg.origin if not boards else leg.destination
        calls = " - ".join(s.terminal for s in stops)
        problems.append(f"{service.id} does not call at {missing} (it calls at {calls})")
        return []
    pairs = [(i, j) for i in boards for j in alights if i < j]
    if not pairs:
        problems.append(f"{service.id} calls at {leg.destination} before {leg.origin}, not after")
        return []
    # Boarding needs a departure time (set-down-only stops have none), alighting an arrival.
    usable = [(i, j) for i, j in pairs if (i == 0 or stops[i].depart) and (j == last or stops[j].arrive)]
    if not usable:
        problems.append(
            f"{service.id} does not take up passengers at {leg.origin} or set down at {leg.destination}"
        )
    return usable


def _service_of(leg: Leg, lookups: Lookups, problems: list[str]) -> Service | None:
    """The scenario service the leg rides, when its mode, service and terminals are the scenario's."""
    if leg.mode not in RIDE_MODES:
        problems.append(f"unknown mode {leg.mode!r} (flight, train, bus or drive)")
        return None
    service = lookups.services.get(leg.service)
    if service is None:
        problems.append(f"{leg.service} is not a service of the scenario")
        return None
    if service.mode != leg.mode:
        problems.append(f"{service.id} is a {service.mode}, but the leg says {leg.mode}")
    for place, claimed, end in ((leg.origin, leg.from_city, "from"), (leg.destination, leg.to_city, "to")):
        city = lookups.terminal_city.get(place)
        if city is None:
            problems.append(f"{end} {place!r} is not a terminal of the scenario")
            return None
        if city.id != claimed:
            problems.append(f"{end}_city is {claimed}, but terminal {place} is in {city.id}")
    return service


def read_ride(leg: Leg, frozen: bool, lookups: Lookups) -> RideReading:
    """The ride matched against its service's timetable on its run date, delays included.

    A ``frozen`` ride had left before the events came: it may show its run on time, or arrive late
    by a delay that was not known when it left.
    """
    problems: list[str] = []
    service = _service_of(leg, lookups, problems)
    usable = _usable_stops(leg, service, problems) if service is not None else []
    if service is None or not usable:
        return RideReading(problems=tuple(problems))
    if leg.run_date is None:
        problems.append(f"the {service.id} leg has no run_date")
        return RideReading(usable[0], problems=tuple(problems))
    why_not = _runs_on(service, leg.run_date)
    if why_not is not None:
        return RideReading(usable[0], problems=(*problems, why_not))
    delays = lookups.run_events(DisruptionKind.SERVICE_DELAYED, service, leg.run_date)
    late = sum(e.event.delay_min or 0 for e in delays)
    # (minutes late at departure, at arrival) the leg may show. A frozen leg had left on
    # time: only its arrival may be late (or both, when the delay was known when it left).
    shifts = [(late, late)]
    if frozen:
        known = {late, *(e.event.delay_min or 0 for e in delays)}
        shifts = [(0, 0), *((0, d) for d in sorted(known)), *((d, d) for d in sorted(known))]
    for i, j in usable:
        depart = lookups.stop_time(service, i, "depart", leg.run_date)
        arrive = lookups.stop_time(service, j, "arrive", leg.run_date)
        for d_late, a_late in shifts:
            if depart + after(d_late) == leg.depart and arrive + after(a_late) == leg.arrive:
                return RideReading((i, j), problems=tuple(problems))
    i, j = usable[0]
    depart = lookups.stop_time(service, i, "depart", leg.run_date) + after(late)
    arrive = lookups.stop_time(service, j, "arrive", leg.run_date) + after(late)
    problems.append(_off_timetable(leg, service, leg.run_date, depart, arrive, delays, lookups))
    true_times = (depart, arrive) if not frozen and late else None  # quiet hours are judged on these
    return RideReading(usable[0], true_times, tuple(problems))


def _off_timetable(
    leg: Leg,
    service: Service,
    run_date: dt.date,
    depart: dt.datetime,
    arrive: dt.datetime,
    delays: list[Event],
    lookups: Lookups,
) -> str:
    board_zone = lookups.terminal_city[leg.origin].zone
    alight_zone = lookups.terminal_city[leg.destination].zone
    late = sum(e.event.delay_min or 0 for e in delays)
    why = f" (delayed: {'; '.join(e.text() for e in delays)})" if late else ""
    return (
        f"{service.id} of {run_date.isoformat()} leaves {leg.origin} at {show(depart, board_zone)} "
        f"and reaches {leg.destination} at {show(arrive, alight_zone)}{why}; the leg says "
        f"{show(leg.depart, board_zone)} to {show(leg.arrive, alight_zone)}"
    )


def leg_party(leg: Leg, lookups: Lookups) -> tuple[int, int]:
    """(people, cars) on a leg: as the leg states them (a team before a member joins it en route;
    ``check_plan``'s ``carried`` says whether it may), else the whole delegation's."""
    delegation = lookups.scenario.delegation
    people, cars = leg.raw.get("people"), leg.raw.get("vehicles")
    return (
        people if type(people) is int and people >= 1 else delegation.size,
        cars if type(cars) is int and cars >= 1 else delegation.vehicles,
    )


def ride_figures(leg: Leg, pair: StopPair | None, lookups: Lookups) -> tuple[float, float] | None:
    """(distance km, cost) of a ride, from great-circle stop distances and the fare."""
    service = lookups.services.get(leg.service)
    if service is None or pair is None:
        return None
    cumulative = [0.0]
    for prev, stop in itertools.pairwise(service.stops):
        step = great_circle_km(lookups.terminal_city[prev.terminal], lookups.terminal_city[stop.terminal])
        cumulative.append(cumulative[-1] + step)
    total = cumulative[-1]
    if service.distance_km is not None and total > 0:
        cumulative = [d * service.distance_km / total for d in cumulative]
        total = service.distance_km
    board, alight = pair
    distance = cumulative[alight] - cumulative[board]
    share = distance / total if total else 1.0  # all stops in one place: the whole fare
    return distance, service.fare * share * leg_party(leg, lookups)[0]


def connection_leave(first: Leg, lookups: Lookups) -> dt.datetime | None:
    """When the delegation leaves the centre for a connection starting with this leg."""
    if first.is_drive:
        return first.depart
    terminal = lookups.terminals.get(first.origin)
    if terminal is None:
        return None
    return first.depart - dt.timedelta(minutes=lookups.boarding_lead(terminal))


def connection_arrive(last: Leg, lookups: Lookups) -> dt.datetime | None:
    """When the delegation reaches the centre after a connection ending with this leg."""
    if last.is_drive:
        return last.arrive
    terminal = lookups.terminals.get(last.destination)
    if terminal is None:
        return None
    return last.arrive + dt.timedelta(minutes=terminal.access_min)
