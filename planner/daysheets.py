"""Day sheets: a plan as a printable itinerary, day by day (the PDF is drawn by ``daysheets_pdf``).

Each day lists, in time order and local to its city with its offset: the seminars (city, venue when
the city's ``contacts`` name one, start and end), each leg (mode, service or road, run date, the
terminals it leaves and reaches, departure and arrival) with the time to be at the terminal before
it (``CHECK_IN_MIN`` by mode, an assumption stated on every sheet), the night (the city of the
hotel, or the train it is spent on) and the contacts of the day's cities.

A plan has one sheet. A team plan has one for the whole plan (a part per team), one per team and
one per member (a member who meets the team en route has their own legs until then).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planner.document import LegOut, PlanDocument, PlanDocumentError, read_document
from planner.domain import City, Mode, Scenario, TerminalKind
from planner.team_document import TeamPlanDocument, read_any_document
from planner.team_view import member_plan

# Minutes before a departure to be at the terminal, by mode (assumed; a carrier may ask for more).
_MODE_NAMES = {Mode.FLIGHT: "Flight", Mode.TRAIN: "Train", Mode.BUS: "Bus", Mode.DRIVE: "Drive"}
VENUE = "venue"  # the contact label read as a seminar's venue


class SheetError(ValueError):
    """A plan the day sheets cannot read against its scenario; ``where`` names the field."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Entry:
    """One line of a day: a seminar, a check-in, a leg or the night, with its details."""

    at: dt.datetime  # when it starts (orders the day)
    clock: str  # local time(s) with offset, as printed: "14:10 +06" or "09:30-12:30 +06"
    kind: str  # Seminar, Check-in, Flight, Train, Bus, Drive, Night, Contacts
    text: str
    details: tuple[str, ...] = ()
    city: str | None = None  # the city id of a seminar or a night (whose contacts the day lists)


@dataclass(frozen=True)
class Day:
    date: dt.date  # local date of its entries
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Part:
    """The itinerary of one traveller or team."""

    heading: str  # who travels (empty for a one-team plan)
    days: tuple[Day, ...]


@dataclass(frozen=True)
class Sheet:
    """A printable itinerary: the header on every page, the notes, then each part day by day."""

    plan_name: str
    version: int
    title: str  # the plan name and, for a team or member, who
    notes: tuple[str, ...]
    parts: tuple[Part, ...]
    team: str | None = None  # the team's id, on a team's own sheets
    member: str | None = None  # the member's id, on a member's own sheets


def clock(moment: dt.datetime) -> str:
    """A local time with its offset: 14:10 +06 (+05:45 for a zone off the hour)."""
    offset = int((moment.utcoffset() or dt.timedelta()).total_seconds() // 60)
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{moment:%H:%M} {sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")


def check_in_note(check_in: Mapping[Mode, int], buffer: int) -> str:
    """How the check-in times were set: the scenario's terminals (which the plan's leave times
    assume) and the delegation's departure buffer, or minutes given for these sheets by mode."""
    own = "as long before each departure as its terminal asks (its check_in_min in the scenario"
    own += f", plus the delegation's {buffer} min buffer)" if buffer else ")"
    given = [f"{check_in[mode]} min before a {mode.value}" for mode in Mode if mode in check_in]
    told = f"; for these sheets: {', '.join(given)}" if given else ""
    return (
        f"Check-in: be at the terminal {own}{told}. The carrier's own times come first. Every time is "
        "local to its city, with its UTC offset."
    )


class _Reader:
    """Reads one plan document against the scenario; errors name the field under ``prefix``."""

    def __init__(self, scenario: Scenario, check_in: Mapping[Mode, int]) -> None:
        self.scenario = scenario
        self.check_in = check_in
        self.buffer = scenario.delegation.rules.departure_buffer_min
        self.cities = {c.id: c for c in scenario.cities}
        self.terminals = scenario.terminals()
        self.services = {s.id: s for s in scenario.services}
        self.regions = {r.id: r.name or r.id for r in scenario.regions}

    def city(self, city_id: str | None, where: str) -> City:
        city = self.cities.get(city_id or "")
        if city is None:
            raise SheetError(where, f"{city_id!r} is not a city of scenario {self.scenario.name!r}")
        return city

    def moment(self, text: str, city: City) -> dt.datetime:
        return dt.datetime.fromisoformat(text).astimezone(city.zone)

    def place(self, leg: LegOut, end: str, city: City, where: str) -> str:
        """A leg's end as printed: the terminal's name and id, or the city centre for a drive."""
        place = leg.from_ if end == "from" else leg.to
        if leg.mode == Mode.DRIVE:
            if place != city.id:
                raise SheetError(f"{where}.{end}", f"a drive {end} {place!r}, not the city {city.id!r}")
            return f"{city.name} (city centre)"
        terminal = self.terminals.get(place)
        if terminal is None or all(t.id != place for t in city.terminals):
            raise SheetError(f"{where}.{end}", f"{place!r} is not a terminal of {city.name}")
        kind = {TerminalKind.AIRPORT: "airport", TerminalKind.STATION: "station"}.get(
            terminal.kind, "bus station"
        )
        name = terminal.name or f"{city.name} {kind}"
        return f"{name} ({terminal.id}), {city.name}"

    def seminar_entries(self, plan: PlanDocument, prefix: str) -> list[Entry]:
        entries = []
        for index, seminar in enumerate(plan.seminars):
            where = f"{prefix}seminars[{index}]"
            city = self.city(seminar.city, f"{where}.city")
            start, end = self.moment(seminar.start, city), self.moment(seminar.end, city)
            regions = ", ".join(self.regions.get(r, r) for r in seminar.regions)
            details = [f"Regions: {regions}"] if regions else []
            venue = city.contacts.get(VENUE)
            text = city.name + (f", {venue}" if venue else "")
            span = f"{start:%H:%M}-{clock(end)}"
            if end.date() != start.date():
                span = f"{start:%H:%M}-{end:%a %d %b} {clock(end)}"
            entries.append(Entry(start, span, "Seminar", text, tuple(details), city.id))
        return entries

    def leg_entries(self, plan: PlanDocument, prefix: str) -> list[Entry]:
        entries = []
        free = self._at_terminal(plan)
        for index, leg in enumerate(plan.legs):
            where = f"{prefix}legs[{index}]"
            origin = self.city(leg.from_city, f"{where}.from_city")
            destination = self.city(leg.to_city, f"{where}.to_city")
            depart, arrive = self.moment(leg.depart, origin), self.moment(leg.arrive, destination)
            source = self.place(leg, "from", origin, where)
            target = self.place(leg, "to", destination, where)
            mode = _MODE_NAMES[leg.mode]
            if leg.mode == Mode.DRIVE:
                what = f"road {leg.service}: {origin.name} -> {destination.name}"
            else:
                service = self.services.get(leg.service)
                operator = f" ({service.operator})" if service is not None and service.operator else ""
                run = f", run of {dt.date.fromisoformat(leg.run_date):%d %b}" if leg.run_date else ""
                what = f"{leg.service}{operator}{run}: {origin.name} -> {destination.name}"
            arrival = clock(arrive)
            if arrive.date() != depart.date():
                arrival = f"{arrive:%a %d %b} {arrival}"
            details = (f"Departs {clock(depart)} from {source}", f"Arrives {arrival} at {target}")
            entries.append(Entry(depart, clock(depart), mode, what, details))
            lead = self.lead(leg)
            if lead:
                entries.append(self._check_in(leg, depart, lead, source, free.get(index)))
        return entries

    def lead(self, leg: LegOut) -> int:
        """Minutes at the terminal before a departure: given for the sheets by mode, else the
        terminal's check-in and the delegation's departure buffer (none before a drive)."""
        if leg.mode in self.check_in:
            return self.check_in[leg.mode]
        terminal = self.terminals.get(leg.from_)
        if leg.mode == Mode.DRIVE or terminal is None:
            return 0
        return terminal.check_in_min + self.buffer

    def _at_terminal(self, plan: PlanDocument) -> dict[int, str]:
        """The arrival of the leg before, for each leg that is a transfer within a connection."""
        free: dict[int, str] = {}
        for connection in plan.connections:
            for before, index in zip(connection.legs, connection.legs[1:], strict=False):
                if 0 <= before < len(plan.legs):
                    free[index] = plan.legs[before].arrive
        return free

    def _check_in(self, leg: LegOut, depart: dt.datetime, lead: int, source: str, free: str | None) -> Entry:
        """At the terminal ``lead`` minutes before the departure; on a transfer that arrives later
        than that, from the arrival, and the sheet says so."""
        check = depart - dt.timedelta(minutes=lead)
        mode = _MODE_NAMES[leg.mode].lower()
        text = f"for {mode} {leg.service} at {source} ({lead} min before)"
        if free is not None and dt.datetime.fromisoformat(free) > check:
            check = dt.datetime.fromisoformat(free).astimezone(depart.tzinfo)
            minutes = int((depart - check).total_seconds() // 60)
            text = (
                f"for {mode} {leg.service} at {source} (a transfer: from the arrival, {minutes} min "
                f"before, less than the usual {lead} min)"
            )
        return Entry(check, clock(check), "Check-in", text)

    def night_entries(self, plan: PlanDocument, prefix: str, home: str | None) -> list[Entry]:
        entries = []
        for index, night in enumerate(plan.nights):
            where = f"{prefix}nights[{index}]"
            date = dt.date.fromisoformat(night.date)
            if night.city is None:
                on = f"{night.mode.value} {night.on}" if night.mode and night.on else "the way"
                text, city = f"on board: {on}", None
            else:
                city = self.city(night.city, f"{where}.city")
                text = f"at home in {city.name}" if city.id == home else f"hotel in {city.name}"
            # Ordered last on its date, whatever its zone: the night follows the day's events.
            at = dt.datetime.combine(date, dt.time(23, 59), tzinfo=dt.UTC)
            entries.append(Entry(at, "night", "Night", text, city=None if city is None else city.id))
        return entries

    def contact_entries(self, entries: list[Entry]) -> list[Entry]:
        """The contacts of the cities of a day's seminars and night, each city once."""
        contacts = []
        for city_id in dict.fromkeys(e.city for e in entries if e.city is not None):
            city = self.cities[city_id]
            if city.contacts:
                details = tuple(f"{label}: {text}" for label, text in city.contacts.items())
                contacts.append(Entry(entries[-1].at, "", "Contacts", city.name, details))
        return contacts

    def days(self, plan: PlanDocument, prefix: str, home: str | None = None) -> tuple[Day, ...]:
        entries = self.seminar_entries(plan, prefix) + self.leg_entries(plan, prefix)
        nights = self.night_entries(plan, prefix, home)
        by_date: dict[dt.date, list[Entry]] = {}
        for entry in sorted(entries, key=lambda e: e.at):
            by_date.setdefault(entry.at.date(), []).append(entry)
        for entry in nights:  # a night is on the date it begins, after that day's events
            by_date.setdefault(entry.at.date(), []).append(entry)
        return tuple(
            Day(date, (*by_date[date], *self.contact_entries(by_date[date]))) for date in sorted(by_date)
        )


def _document(data: Any) -> PlanDocument | TeamPlanDocument:
    try:
        return read_any_document(data)
    except PlanDocumentError as error:
        raise SheetError(error.where, error.message) from None


def _notes(
    document: PlanDocument | TeamPlanDocument, check_in: Mapping[Mode, int], buffer: int
) -> tuple[str, ...]:
    notes = [f"Status {document.status.value}."]
    if document.now is not None:
        notes[0] = f"Version {document.version}, replanned at {document.now}; status {document.status.value}."
    return (*notes, check_in_note(check_in, buffer))


def file_stem(text: str) -> str:
    """A plain file name part for a free-text name or id."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "plan"


def build_sheets(
    scenario: Scenario, data: Any, check_in: Mapping[Mode, int] | None = None
) -> dict[str, Sheet]:
    """Every sheet of a plan JSON, by file name: one for a plan; for a team plan one for the whole
    plan, one per team and one per member. ``SheetError`` names the field that is wrong."""
    check_in = dict(check_in or {})
    document = _document(data)
    if document.scenario != scenario.name:
        raise SheetError("scenario", f"the plan is for {document.scenario!r}, not {scenario.name!r}")
    reader = _Reader(scenario, check_in)
    notes = _notes(document, check_in, scenario.delegation.rules.departure_buffer_min)
    stem = f"{file_stem(scenario.name)}-v{document.version}"
    name, version = scenario.name, document.version
    if isinstance(document, PlanDocument):
        return {f"{stem}.pdf": Sheet(name, version, name, notes, (Part("", reader.days(document, "")),))}
    if not scenario.teams and not scenario.forming:
        raise SheetError("format", f"a team plan, but scenario {scenario.name!r} has no teams")
    sheets: dict[str, Sheet] = {}
    team_parts = []
    homes = {m.id: m.home_city for m in scenario.members}
    for index, team in enumerate(document.teams):
        prefix = f"teams[{index}].plan."
        people = ", ".join(f"{m.name} ({m.role})" for m in team.members)
        part = Part(f"{team.name}: {people}", reader.days(team.plan, prefix))
        team_parts.append(part)
        sheets[f"{stem}-team-{file_stem(team.id)}.pdf"] = Sheet(
            name, version, f"{name}: {team.name}", notes, (part,), team=team.id
        )
        if team.joiner is not None:  # read on its own first, so that an error names its field
            reader.days(team.joiner.plan, f"teams[{index}].joiner.plan.")
        entry = team.model_dump(mode="json", by_alias=True)
        for member in team.members:
            own = read_document(member_plan(entry, member.id))
            days = reader.days(own, prefix, homes.get(member.id))
            sheets[f"{stem}-member-{file_stem(member.id)}.pdf"] = Sheet(
                name,
                version,
                f"{name}: {member.name}",
                notes,
                (Part(f"{member.name} ({member.role}), {team.name}", days),),
                member=member.id,
            )
    return {f"{stem}.pdf": Sheet(name, version, name, notes, tuple(team_parts)), **sheets}
