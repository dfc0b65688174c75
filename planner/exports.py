"""A plan JSON as a calendar (iCalendar, RFC 5545) and as a map (GeoJSON, RFC 7946).

Both read the plan document (``planner.document``) and the scenario the plan was made for; neither needs
the solver. Every time in the calendar carries its city's IANA zone (with a VTIMEZONE for
each zone used), every time in the map is local to its city with its offset.

Calendar events are identified by what they are, not by the version they come from: a
seminar by the trip and its city, a leg by the trip, its service, its run date and its
two ends. A replanned version therefore updates the events of earlier versions in a
calendar that imported them (SEQUENCE is the version number), and what the replan took
out is sent again with STATUS:CANCELLED so that it disappears from that calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from planner.backups import describe
from planner.document import (
    LegMoves,
    LegOut,
    PlanDocument,
    PlanDocumentError,
    SeminarDropped,
    SeminarOut,
    read_document,
)
from planner.domain import City, Mode, Scenario, Service, Terminal, TerminalKind, parse_clock
from planner.network import service_runs_on

PRODID = "-//Delegation trip planner//plan export//EN"
UID_DOMAIN = "delegation-planner"
_MODE_NAMES = {Mode.FLIGHT: "Flight", Mode.TRAIN: "Train", Mode.BUS: "Bus", Mode.DRIVE: "Drive"}


class ExportError(ValueError):
    """A plan the exports cannot read; the message names the field."""


# --- reading the plan -------------------------------------------------------------------

PlanInput = Mapping[str, Any] | PlanDocument
AnyLeg = LegOut | LegMoves  # a leg of the plan, or one a diff names
AnySeminar = SeminarOut | SeminarDropped


def _document(plan: PlanInput, label: str = "") -> PlanDocument:
    """The plan as a document; ``label`` prefixes the location of what is wrong."""
    try:
        return read_document(plan)
    except PlanDocumentError as error:
        raise ExportError(f"{label}{error.where}: {error.message}") from None


def _moment(text: str) -> dt.datetime:
    # A document holds only ISO 8601 times with their offset (``LocalTime``).
    return dt.datetime.fromisoformat(text)


class _Places:
    """The scenario's cities, terminals, services and seminars by id."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.cities = {c.id: c for c in scenario.cities}
        self.terminals: dict[str, Terminal] = scenario.terminals()
        self.terminal_city = scenario.terminal_city()
        self.services = {s.id: s for s in scenario.services}
        self.region_names = {r.id: r.name or r.id for r in scenario.regions}
        self.seminar_minutes = {s.city: s.duration_min for s in scenario.seminars}
        self.seminar_regions = {s.city: scenario.regions_served(s) for s in scenario.seminars}

    def city(self, city_id: str, where: str) -> City:
        city = self.cities.get(city_id)
        if city is None:
            raise ExportError(f"{where}: {city_id!r} is not a city of scenario {self.scenario.name!r}")
        return city

    def city_of_place(self, leg: AnyLeg, end: str, where: str) -> City:
        """The city of a leg's ``from`` or ``to``: its ``from_city``/``to_city`` in a plan's leg,
        else (a leg a diff names) the city of the terminal (rides) or the city itself (drives)."""
        if isinstance(leg, LegOut):
            return self.city(leg.from_city if end == "from" else leg.to_city, f"{where}.{end}_city")
        place = leg.from_ if end == "from" else leg.to
        city = self.terminal_city.get(place) or self.cities.get(place)
        if city is None:
            raise ExportError(f"{where}.{end}: {place!r} is neither a terminal nor a city of the scenario")
        return city


def _local(moment: dt.datetime, city: City) -> dt.datetime:
    return moment.astimezone(ZoneInfo(city.timezone))


def _shown(moment: dt.datetime) -> str:
    """A local time as a person reads it: Thu 21 Jan 2016 16:00 +06."""
    offset = moment.utcoffset() or dt.timedelta()
    sign = "-" if offset < dt.timedelta() else "+"
    hours, rest = divmod(abs(int(offset.total_seconds())) // 60, 60)
    zone = f"{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")
    return f"{moment:%a %d %b %Y %H:%M} {zone}"


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def _uid(*parts: str) -> str:
    # Each part is quoted, so no id can run into the next and the UID stays one plain token.
    return "/".join(quote(part, safe="") for part in parts) + f"@{UID_DOMAIN}"


# --- calendar items -------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One calendar event: a seminar or a leg, current or cancelled."""

    uid: str
    category: str
    summary: str
    lines: tuple[str, ...]  # the description, one fact a line
    location: str
    geo: tuple[float, float]
    start: dt.datetime  # local to the city where it starts
    end: dt.datetime  # local to the city where it ends


def _seminar_item(
    places: _Places, calendar_id: str, seminar: AnySeminar, where: str, end: dt.datetime | None
) -> _Item:
    city = places.city(seminar.city, f"{where}.city")
    start = _local(_moment(seminar.start if isinstance(seminar, SeminarOut) else seminar.old_start), city)
    if end is None:
        # Dropped seminars carry only their start; their length is the scenario's.
        length = dt.timedelta(minutes=places.seminar_minutes.get(city.id, 180))
        end = (start.astimezone(dt.UTC) + length).astimezone(start.tzinfo)
    end = _local(end, city)
    # A diff names only the city: the scenario says what it serves.
    regions = seminar.regions if isinstance(seminar, SeminarOut) else places.seminar_regions.get(city.id, ())
    lines = [f"Seminar of the delegation in {city.name}, {_shown(start)} to {end:%H:%M}."]
    summary = f"Seminar in {city.name}"
    if regions:
        summary += f" (regions: {', '.join(regions)})"
        names = ", ".join(places.region_names.get(r, r) for r in regions)
        lines.append(f"Regions served: {names}.")
    return _Item(
        uid=_uid("seminar", calendar_id, city.id),
        category="Seminar",
        summary=summary,
        lines=tuple(lines),
        location=city.name,
        geo=(city.lat, city.lon),
        start=start,
        end=end,
    )


def _terminal_label(places: _Places, place: str, city: City) -> tuple[str, str]:
    """How a leg's end reads in a summary (Kyzylorda KZO) and in a location (the terminal's name)."""
    terminal = places.terminals.get(place)
    if terminal is None:
        return city.name, f"{city.name} (city centre)"
    name = terminal.name or terminal.id
    short = f"{city.name} {terminal.id}" if terminal.kind == TerminalKind.AIRPORT else f"{city.name} ({name})"
    return short, f"{name} ({terminal.id}), {city.name}"


def _run_date(places: _Places, leg: AnyLeg, depart: dt.datetime) -> dt.date:
    """The run's first-departure date: the plan's ``run_date``, or (for a leg summarised in a
    diff, which has none) the latest date the service runs whose timetabled departure from the
    boarding stop is not after the leg's, since a delay only makes a run later. A drive's run
    date is its departure date."""
    given = leg.run_date if isinstance(leg, LegOut) else None
    if given is not None:
        return dt.date.fromisoformat(given)
    service = places.services.get(leg.service)
    if service is None or leg.mode == Mode.DRIVE:
        return depart.date()
    boarding = next((stop for stop in service.stops if stop.terminal == leg.from_), None)
    clock_text = (boarding.depart or boarding.arrive) if boarding else None
    if clock_text is None:
        return depart.date()
    minute, day_offset = parse_clock(clock_text)
    run = depart.date() - dt.timedelta(days=day_offset)
    for _ in range(8):
        scheduled = dt.datetime.combine(run + dt.timedelta(days=day_offset), dt.time()) + dt.timedelta(
            minutes=minute
        )
        if scheduled <= depart.replace(tzinfo=None) and service_runs_on(service, run):
            return run
        run -= dt.timedelta(days=1)
    return depart.date()


def _leg_item(places: _Places, calendar_id: str, leg: AnyLeg, where: str) -> _Item:
    mode = leg.mode
    service_id = leg.service
    origin = places.city_of_place(leg, "from", where)
    destination = places.city_of_place(leg, "to", where)
    depart = _local(_moment(leg.depart), origin)
    arrive = _local(_moment(leg.arrive), destination)
    from_place, to_place = leg.from_, leg.to
    run_date = _run_date(places, leg, depart)
    service: Service | None = places.services.get(service_id)
    if mode == Mode.DRIVE:
        summary = f"Drive {origin.name} -> {destination.name}"
        first = f"Drive {origin.name} -> {destination.name} on road {service_id}."
        location = f"{origin.name} (city centre)"
    else:
        from_short, location = _terminal_label(places, from_place, origin)
        to_short, to_location = _terminal_label(places, to_place, destination)
        summary = f"{_MODE_NAMES[mode]} {service_id} {from_short} -> {to_short}"
        operator = f" ({service.operator})" if service is not None and service.operator else ""
        first = f"{_MODE_NAMES[mode]} {service_id}{operator}, run of {run_date:%d %b %Y}."
    lines = [first, f"Departs {_shown(depart)} from {location}."]
    if mode == Mode.DRIVE:
        lines.append(f"Arrives {_shown(arrive)} in {destination.name} (city centre).")
    else:
        lines.append(f"Arrives {_shown(arrive)} at {to_location}.")
    minutes = int((arrive - depart).total_seconds() // 60)
    facts = [_duration(minutes)]
    if isinstance(leg, LegOut):  # a diff states no distance or cost
        facts.append(f"{leg.distance_km:,.0f} km")
        if leg.cost:
            facts.append(f"{leg.cost:,.0f} {places.scenario.currency} for the delegation")
    lines.append(", ".join(facts) + ".")
    if isinstance(leg, LegOut) and leg.backup is not None:
        names = {city.id: city.name for city in places.scenario.cities}
        lines.append(f"If cancelled: {describe(leg.backup, names)}.")
    return _Item(
        uid=_uid("leg", calendar_id, service_id, run_date.isoformat(), from_place, to_place),
        category=_MODE_NAMES[mode],
        summary=summary,
        lines=tuple(lines),
        location=location,
        geo=(origin.lat, origin.lon),
        start=depart,
        end=arrive,
    )


def _plan_items(places: _Places, calendar_id: str, plan: PlanDocument, label: str) -> list[_Item]:
    """The seminars and legs of one version, in plan order; ``label`` prefixes error locations."""
    items = []
    for index, seminar in enumerate(plan.seminars):
        end = _moment(seminar.end)
        items.append(_seminar_item(places, calendar_id, seminar, f"{label}seminars[{index}]", end))
    items.extend(
        _leg_item(places, calendar_id, leg, f"{label}legs[{index}]") for index, leg in enumerate(plan.legs)
    )
    return items


def _current_items(places: _Places, calendar_id: str, plan: PlanDocument) -> list[_Item]:
    version = plan.version
    moved_from: dict[str, str] = {}
    for index, entry in enumerate(plan.diff.seminars.moved if plan.diff else ()):
        city = places.city(entry.city, f"diff.seminars.moved[{index}].city")
        old = _local(_moment(entry.old_start), city)
        moved_from[_uid("seminar", calendar_id, city.id)] = f"Moved in version {version} from {_shown(old)}."
    seen: dict[str, int] = {}
    result = []
    for item in _plan_items(places, calendar_id, plan, ""):
        # Two items of one version never share a UID, even a road driven twice in a day.
        count = seen[item.uid] = seen.get(item.uid, 0) + 1
        uid = item.uid if count == 1 else item.uid.replace(f"@{UID_DOMAIN}", f"/{count}@{UID_DOMAIN}")
        moved = (moved_from[item.uid],) if item.uid in moved_from else ()
        lines = (*item.lines, *moved, f"Plan {places.scenario.name}, version {version}.")
        result.append(replace(item, uid=uid, lines=lines))
    return result


def _replan_note(places: _Places, plan: PlanDocument) -> str:
    events = [f"{e.id} ({e.kind.value})" for e in plan.events]
    in_force = f"; events in force: {', '.join(events)}" if events else ""
    return f"Cancelled in version {plan.version} of plan {places.scenario.name}{in_force}."


def _cancelled_items(
    places: _Places,
    calendar_id: str,
    plan: PlanDocument,
    earlier: Sequence[PlanDocument],
    current: set[str],
) -> list[_Item]:
    """What earlier versions held and this one does not: every item of ``earlier`` and what the
    diff says was dropped or removed, by UID, each at the last time it was planned."""
    gone: dict[str, _Item] = {}
    for number, previous in enumerate(earlier):
        for item in _plan_items(places, calendar_id, previous, f"earlier[{number}]."):
            gone[item.uid] = item
    dropped = plan.diff.seminars.dropped if plan.diff else ()
    for index, seminar in enumerate(dropped):
        item = _seminar_item(places, calendar_id, seminar, f"diff.seminars.dropped[{index}]", None)
        detail = f" - {seminar.detail}" if seminar.detail else ""
        why = (f"Dropped: {seminar.reason}{detail}.",) if seminar.reason else ()
        gone[item.uid] = replace(item, lines=item.lines + why)
    for index, leg in enumerate(plan.diff.legs.removed if plan.diff else ()):
        item = _leg_item(places, calendar_id, leg, f"diff.legs.removed[{index}]")
        gone[item.uid] = item
    note = _replan_note(places, plan)
    return [
        replace(item, summary=f"Cancelled: {item.summary}", lines=(note, *item.lines))
        for uid, item in gone.items()
        if uid not in current
    ]


def _event(item: _Item, sequence: int, stamp: dt.datetime, cancelled: bool) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("summary", item.summary)
    event.add("description", "\n".join(item.lines))
    event.add("location", item.location)
    event.add("geo", item.geo)
    event.add("dtstart", item.start)
    event.add("dtend", item.end)
    event.add("categories", [item.category])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def plan_to_ics(
    scenario: Scenario,
    plan: PlanInput,
    *,
    calendar_id: str | None = None,
    earlier: Sequence[PlanInput] = (),
    stamp: dt.datetime | None = None,
    title: str | None = None,
) -> bytes:
    """The plan as an iCalendar file: one event per seminar and per leg, in local zones.

    ``calendar_id`` names the trip in every UID, so two trips never share an event; it is the
    same for every version of one plan (default: the scenario's name). ``earlier`` are the
    previous versions of the plan, oldest first: anything they held that this version does
    not is emitted as cancelled, besides what the plan's own ``diff`` removed (which covers
    only the version it was based on). ``stamp`` is DTSTAMP (default: now). ``title`` names the
    calendar (default: "Delegation trip" and the scenario's name).
    """
    document = _document(plan)
    previous = [_document(version, f"earlier[{number}].") for number, version in enumerate(earlier)]
    places = _Places(scenario)
    trip = calendar_id or scenario.name
    version = document.version
    moment = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    current = _current_items(places, trip, document)
    cancelled = _cancelled_items(places, trip, document, previous, {item.uid for item in current})
    home = places.city(scenario.delegation.start_city, "delegation.start_city")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", title or f"Delegation trip {scenario.name}")
    calendar.add("x-wr-calname", title or f"Delegation trip {scenario.name}")
    calendar.add("x-wr-timezone", home.timezone)
    calendar.add("x-wr-caldesc", f"Plan {scenario.name}, version {version}; times local to each city.")
    # A VTIMEZONE for every zone used, built from zoneinfo for the trip's dates only, so it
    # states exactly the offsets then in force. Calendar.add_missing_timezones() builds the
    # same components but in the order of a set, which would change the file from run to run.
    every = [*current, *cancelled]
    zones = sorted({home.timezone} | {str(m.tzinfo) for item in every for m in (item.start, item.end)})
    days = [m.date() for item in every for m in (item.start, item.end)]
    horizon_end = scenario.calendar.start_date + dt.timedelta(days=scenario.calendar.horizon_days)
    first = min([scenario.calendar.start_date, *days]) - dt.timedelta(days=1)
    last = max([horizon_end, *days]) + dt.timedelta(days=2)
    for zone in zones:
        calendar.add_component(
            Timezone.from_tzinfo(ZoneInfo(zone), tzid=zone, first_date=first, last_date=last)
        )
    ordered = sorted(
        [(item, False) for item in current] + [(item, True) for item in cancelled],
        key=lambda pair: (pair[0].start.astimezone(dt.UTC), pair[0].uid),
    )
    for item, is_cancelled in ordered:
        calendar.add_component(_event(item, version, moment, is_cancelled))
    return calendar.to_ical()


# --- map ------------------------------------------------------------------------------


def _position(city: City) -> list[float]:
    return [round(city.lon, 6), round(city.lat, 6)]  # RFC 7946: longitude first


def _line(places: _Places, leg: LegOut, origin: City, destination: City) -> list[list[float]]:
    """The leg's path through the cities of the stops it passes, or straight for a drive."""
    cities = [origin]
    service = places.services.get(leg.service)
    if service is not None and leg.mode != Mode.DRIVE:
        terminals = [stop.terminal for stop in service.stops]
        if leg.from_ in terminals:
            board = terminals.index(leg.from_)
            alight = next((i for i in range(board + 1, len(terminals)) if terminals[i] == leg.to), None)
            if alight is not None:
                cities = [places.terminal_city[t] for t in terminals[board:alight]]
    cities.append(destination)
    path: list[list[float]] = []
    for city in cities:
        if not path or path[-1] != _position(city):
            path.append(_position(city))
    if len(path) == 1:
        path.append(path[0])  # a LineString has two positions at least
    return path


def _leg_feature(
    places: _Places, number: int, leg: LegOut, origin: City, destination: City
) -> dict[str, Any]:
    """A leg as a LineString, numbered from 1 as on the map; its ``run_date`` the run's first-departure
    date, for a drive the local date it starts."""
    depart = _local(_moment(leg.depart), origin)
    arrive = _local(_moment(leg.arrive), destination)
    return {
        "type": "Feature",
        "id": f"leg-{number}",
        "geometry": {"type": "LineString", "coordinates": _line(places, leg, origin, destination)},
        "properties": {
            "kind": "leg",
            "number": number,
            "mode": leg.mode.value,
            "service": leg.service,
            "from": leg.from_,
            "to": leg.to,
            "from_city": origin.id,
            "to_city": destination.id,
            "depart": _iso(depart),
            "arrive": _iso(arrive),
            "run_date": _run_date(places, leg, depart).isoformat(),
            "minutes": int((arrive - depart).total_seconds() // 60),
            "distance_km": leg.distance_km,
        },
    }


# A seminar on the map: its local start and end, and the regions it serves.
_SeminarTimes = tuple[dt.datetime | None, dt.datetime | None, list[str]]


def _city_feature(city: City, roles: list[str], seminar: _SeminarTimes) -> dict[str, Any]:
    seminar_start, seminar_end, regions = seminar
    return {
        "type": "Feature",
        "id": f"city-{city.id}",
        "geometry": {"type": "Point", "coordinates": _position(city)},
        "properties": {
            "kind": "city",
            "id": city.id,
            "name": city.name,
            "roles": roles,
            "role": "+".join(roles),
            "timezone": city.timezone,
            "seminar_start": _iso(seminar_start) if seminar_start else None,
            "seminar_end": _iso(seminar_end) if seminar_end else None,
            "regions": regions,
        },
    }


def plan_to_geojson(scenario: Scenario, plan: PlanInput) -> dict[str, Any]:
    """The plan as a GeoJSON FeatureCollection: a Point per city of the trip, a LineString per leg.

    A city's ``roles`` are among start, seminar, end and transit (a city only passed through);
    ``role`` joins them with ``+``. Times are local to their city with the offset.
    """
    document = _document(plan)
    places = _Places(scenario)
    start = places.city(scenario.delegation.start_city, "delegation.start_city")
    end = places.city(scenario.delegation.end_city, "delegation.end_city")
    seminars: dict[str, _SeminarTimes] = {}
    for index, seminar in enumerate(document.seminars):
        city = places.city(seminar.city, f"seminars[{index}].city")
        begins, ends = _local(_moment(seminar.start), city), _local(_moment(seminar.end), city)
        seminars[city.id] = (begins, ends, list(seminar.regions))
    order: list[City] = [start]  # cities in the order the trip reaches them
    leg_features = []
    for index, leg in enumerate(document.legs):
        origin = places.city_of_place(leg, "from", f"legs[{index}]")
        destination = places.city_of_place(leg, "to", f"legs[{index}]")
        order.extend((origin, destination))
        leg_features.append(_leg_feature(places, index + 1, leg, origin, destination))
    order.extend(places.cities[c] for c in seminars)
    order.append(end)
    city_features = []
    for city in _unique(order):
        held = (("start", city.id == start.id), ("seminar", city.id in seminars), ("end", city.id == end.id))
        roles = [role for role, holds in held if holds] or ["transit"]
        city_features.append(_city_feature(city, roles, seminars.get(city.id, (None, None, []))))
    return {
        "type": "FeatureCollection",
        "scenario": scenario.name,  # foreign members (RFC 7946 section 6.1)
        "version": document.version,
        "features": city_features + leg_features,
    }


def _unique(cities: Iterable[City]) -> list[City]:
    seen: dict[str, City] = {}
    for city in cities:
        seen.setdefault(city.id, city)
    return list(seen.values())
