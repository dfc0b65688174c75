"""The checks of a scenario as a whole: ids unique and known, times forward, the trip's window."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from planner.domain.events import city_zones, event_zone_or_none
from planner.domain.forming import forming_problems
from planner.domain.values import FieldProblems, comparable, parse_clock

if TYPE_CHECKING:
    from planner.domain.events import Disruption
    from planner.domain.places import Service
    from planner.domain.scenario import Scenario


class DanglingReferences(FieldProblems):
    """Ids that name nothing, or are used twice, and times out of order; each with its field path."""


def reference_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Every duplicate id and every reference to an unknown id, with its field path."""
    problems: list[tuple[tuple[str | int, ...], str]] = []

    def unique(section: str, key: str, ids: list[tuple[tuple[str | int, ...], str]]) -> set[str]:
        seen: set[str] = set()
        for path, ident in ids:
            if ident in seen:
                problems.append(((section, *path, key), f"duplicate id {ident!r}"))
            seen.add(ident)
        return seen

    region_ids = unique("regions", "id", [((i,), r.id) for i, r in enumerate(scenario.regions)])
    city_ids = unique("cities", "id", [((i,), c.id) for i, c in enumerate(scenario.cities)])
    terminal_ids = unique(
        "cities",
        "id",
        [
            ((i, "terminals", j), t.id)
            for i, c in enumerate(scenario.cities)
            for j, t in enumerate(c.terminals)
        ],
    )
    service_ids = unique("services", "id", [((i,), s.id) for i, s in enumerate(scenario.services)])
    road_ids = unique("roads", "id", [((i,), r.id) for i, r in enumerate(scenario.roads)])
    unique("closures", "id", [((i,), c.id) for i, c in enumerate(scenario.closures)])
    unique("seminars", "city", [((i,), s.city) for i, s in enumerate(scenario.seminars)])

    def known(path: tuple[str | int, ...], value: str, ids: set[str], kind: str) -> None:
        if value not in ids:
            problems.append((path, f"unknown {kind} {value!r}"))

    for i, city in enumerate(scenario.cities):
        known(("cities", i, "region"), city.region, region_ids, "region")
    for i, seminar in enumerate(scenario.seminars):
        known(("seminars", i, "city"), seminar.city, city_ids, "city")
        for j, region in enumerate(seminar.serves):
            known(("seminars", i, "serves", j), region, region_ids, "region")
    for field in ("start_city", "end_city"):
        known(("delegation", field), getattr(scenario.delegation, field), city_ids, "city")
    rules = scenario.delegation.rules
    for j, avoided in enumerate(rules.avoid_services):
        known(("delegation", "rules", "avoid_services", j), avoided, service_ids, "service")
    for j, avoided in enumerate(rules.avoid_roads):
        known(("delegation", "rules", "avoid_roads", j), avoided, road_ids, "road")
    zone_of = {t.id: c.zone for c in scenario.cities for t in c.terminals}
    for i, service in enumerate(scenario.services):
        for j, stop in enumerate(service.stops):
            known(("services", i, "stops", j, "terminal"), stop.terminal, terminal_ids, "terminal")
        if all(stop.terminal in zone_of for stop in service.stops):
            problems.extend(_backward_times(scenario, i, service, zone_of))
    for i, road in enumerate(scenario.roads):
        known(("roads", i, "a"), road.a, city_ids, "city")
        known(("roads", i, "b"), road.b, city_ids, "city")
        for j, region in enumerate(road.regions):
            known(("roads", i, "regions", j), region, region_ids, "region")
    problems.extend(disruption_problems(scenario, scenario.disruptions, ("disruptions",)))
    for i, closure in enumerate(scenario.closures):
        if closure.terminal is not None:
            known(("closures", i, "terminal"), closure.terminal, terminal_ids, "terminal")
        if closure.road is not None:
            known(("closures", i, "road"), closure.road, road_ids, "road")
        zone = event_zone_or_none(scenario, closure)
        mixed = not comparable(closure.start, closure.end)
        if mixed and zone is not None and _instant(closure.end, zone) <= _instant(closure.start, zone):
            problems.append(
                (
                    ("closures", i, "end"),
                    f"end must be after start ({closure.end} is not after {closure.start})",
                )
            )
    problems.extend(_trip_problems(scenario))
    problems.extend(_people_problems(scenario, city_ids))
    problems.extend(forming_problems(scenario, city_ids))
    return problems


def _people_problems(scenario: Scenario, city_ids: set[str]) -> list[tuple[tuple[str | int, ...], str]]:
    """Members, teams, staffing and costs: known ids, each member in one team at most, roles that exist."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    members: dict[str, str] = {}
    for i, member in enumerate(scenario.members):
        if member.id in members:
            problems.append((("members", i, "id"), f"duplicate id {member.id!r}"))
        members[member.id] = member.role
        if member.home_city is not None and member.home_city not in city_ids:
            problems.append((("members", i, "home_city"), f"unknown city {member.home_city!r}"))
        since, until = member.available_from, member.available_to
        if since is not None and until is not None and comparable(since, until) and until <= since:
            problems.append((("members", i, "available_to"), f"{until} is not after available_from {since}"))
        problems.extend(_joining_problems(scenario, i))
    roles = set(members.values())
    teams: set[str] = set()
    placed: dict[str, str] = {}
    for i, team in enumerate(scenario.teams):
        if team.id in teams:
            problems.append((("teams", i, "id"), f"duplicate id {team.id!r}"))
        teams.add(team.id)
        for j, member_id in enumerate(team.members):
            if member_id not in members:
                problems.append((("teams", i, "members", j), f"unknown member {member_id!r}"))
            elif member_id in placed:
                problems.append(
                    (("teams", i, "members", j), f"{member_id!r} is already in team {placed[member_id]!r}")
                )
            placed.setdefault(member_id, team.id)
        for field in ("start_city", "end_city"):
            value = getattr(team, field)
            if value is not None and value not in city_ids:
                problems.append((("teams", i, field), f"unknown city {value!r}"))
    staffing = scenario.staffing
    rules = [(("staffing", "roles"), staffing.roles)] + [
        (("staffing", "cities", city), needed) for city, needed in staffing.cities.items()
    ]
    for city in staffing.cities:
        if city not in city_ids:
            problems.append((("staffing", "cities", city), f"unknown city {city!r}"))
    for path, needed in rules:
        for role in needed:
            if (scenario.teams or scenario.forming) and role not in roles:
                problems.append(((*path, role), f"no member has the role {role!r}"))
    costs = scenario.costs
    if costs is not None:
        for city in costs.hotel_by_city:
            if city not in city_ids:
                problems.append((("costs", "hotel_by_city", city), f"unknown city {city!r}"))
        for role in costs.per_diem_by_role:
            if role not in roles:
                problems.append((("costs", "per_diem_by_role", role), f"no member has the role {role!r}"))
    problems.extend(_budget_problems(scenario))
    return problems


def _joining_problems(scenario: Scenario, index: int) -> list[tuple[tuple[str | int, ...], str]]:
    """A member who joins en route starts at home when free: both must be given, in a fixed team
    with no other such member; forming and an enforced budget do not take them (yet)."""
    member = scenario.members[index]
    if not member.joins_en_route:
        return []
    where = ("members", index, "joins_en_route")
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if member.home_city is None or member.available_from is None:
        problems.append((where, "needs the member's home_city and available_from"))
    if scenario.forming is not None:
        problems.append((where, "only in fixed `teams`: forming places every member from the start"))
    if scenario.budget is not None and scenario.budget.enforce != "report":
        problems.append((where, f"not with budget enforce {scenario.budget.enforce!r} (only 'report')"))
    team = next((t for t in scenario.teams if member.id in t.members), None)
    if team is None:
        if scenario.forming is None:
            problems.append((where, "the member is in no team"))
        return problems
    others = [
        m.id for m in scenario.members if m.joins_en_route and m.id in team.members and m.id != member.id
    ]
    if others and scenario.members.index(member) > min(
        i for i, m in enumerate(scenario.members) if m.id in others
    ):
        problems.append((where, f"team {team.id!r} has another member joining en route ({others[0]!r})"))
    if len(team.members) < 2:
        problems.append((where, f"team {team.id!r} has no one else to leave first"))
    return problems


def _budget_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """A budget the model enforces needs teams and costs; a priority needs its weight."""
    budget = scenario.budget
    if budget is None:
        return []
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if budget.enforce != "report" and not (scenario.teams or scenario.forming):
        problems.append((("budget", "enforce"), f"{budget.enforce!r} applies to team plans: give `teams`"))
    if budget.enforce != "report" and scenario.costs is None:
        problems.append(
            (("budget", "enforce"), f"{budget.enforce!r} needs `costs` to price hotels and per-diems")
        )
    if budget.enforce == "priority" and budget.over_cap_per_point is None:
        problems.append((("budget", "over_cap_per_point"), "required with enforce 'priority'"))
    if budget.enforce != "priority" and budget.over_cap_per_point is not None:
        problems.append((("budget", "over_cap_per_point"), "only with enforce 'priority'"))
    return problems


# The trip may begin before the calendar's horizon and end after it (travel only), by this much.
TRIP_MARGIN_DAYS = 31


def _instant(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A scenario datetime on the real time line: a local one is read in ``zone``."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)).astimezone(dt.UTC)


def trip_window(scenario: Scenario) -> tuple[dt.datetime, dt.datetime]:
    """The trip's earliest departure and latest return as instants (UTC) of a valid scenario."""
    zones = city_zones(scenario)
    delegation = scenario.delegation
    return (
        _instant(delegation.earliest_departure, zones[delegation.start_city]),
        _instant(delegation.latest_return, zones[delegation.end_city]),
    )


def _trip_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """The trip's window: latest_return after earliest_departure, and near the calendar's horizon."""
    delegation = scenario.delegation
    zones = city_zones(scenario)
    start_zone, end_zone = zones.get(delegation.start_city), zones.get(delegation.end_city)
    if start_zone is None or end_zone is None:
        return []  # an unknown city is reported on its own
    leave = _instant(delegation.earliest_departure, start_zone)
    back = _instant(delegation.latest_return, end_zone)
    if back <= leave:
        return [
            (
                ("delegation", "latest_return"),
                f"latest_return {delegation.latest_return.isoformat()} is not after earliest_departure "
                f"{delegation.earliest_departure.isoformat()}: the trip has no time",
            )
        ]
    calendar = scenario.calendar
    first = dt.datetime.combine(calendar.start_date, dt.time(), tzinfo=start_zone).astimezone(dt.UTC)
    after = dt.datetime.combine(
        calendar.end_date + dt.timedelta(days=1), dt.time(), tzinfo=start_zone
    ).astimezone(dt.UTC)
    margin = dt.timedelta(days=TRIP_MARGIN_DAYS)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    horizon = f"the calendar's horizon ({calendar.start_date} to {calendar.end_date})"
    if leave >= after:
        problems.append(
            (
                ("delegation", "earliest_departure"),
                f"earliest_departure {delegation.earliest_departure.isoformat()} is after {horizon}: "
                "no date is left for a seminar",
            )
        )
    elif leave < first - margin:
        problems.append(
            (
                ("delegation", "earliest_departure"),
                f"earliest_departure {delegation.earliest_departure.isoformat()} is more than "
                f"{TRIP_MARGIN_DAYS} days before {horizon}",
            )
        )
    if back <= first:
        problems.append(
            (
                ("delegation", "latest_return"),
                f"latest_return {delegation.latest_return.isoformat()} is before {horizon}: "
                "no date is left for a seminar",
            )
        )
    elif back > after + margin:
        problems.append(
            (
                ("delegation", "latest_return"),
                f"latest_return {delegation.latest_return.isoformat()} is more than {TRIP_MARGIN_DAYS} "
                f"days after {horizon}",
            )
        )
    return problems


def _backward_times(
    scenario: Scenario, index: int, service: Service, zone_of: dict[str, ZoneInfo]
) -> list[tuple[tuple[str | int, ...], str]]:
    """Stop times of a run that go backwards in real time (rule 10), on any date of the horizon.

    Each stop's times are local to its own city, so a westbound flight may land at an
    earlier clock time than it left; what must not happen is an instant before the one
    before it (a departure before the arrival at the same stop, an arrival before the
    previous departure).
    """
    start = scenario.calendar.start_date
    for offset in range(scenario.calendar.horizon_days):
        run_date = start + dt.timedelta(days=offset)
        previous: tuple[dt.datetime, str] | None = None
        for j, stop in enumerate(service.stops):
            zone = zone_of[stop.terminal]
            for kind in ("arrive", "depart"):
                text = getattr(stop, kind)
                if text is None:
                    continue
                minute, days = parse_clock(text)
                wall = dt.datetime.combine(
                    run_date + dt.timedelta(days=days), dt.time(minute // 60, minute % 60)
                )
                moment = wall.replace(tzinfo=zone).astimezone(dt.UTC)
                if previous is not None and (
                    moment < previous[0] or (kind == "arrive" and moment == previous[0])
                ):
                    return [
                        (
                            ("services", index, "stops", j, kind),
                            f"{kind} {text} at {stop.terminal} is not after {previous[1]} (run of "
                            f"{run_date.isoformat()}): stop times must move forward; add a day "
                            "offset such as +1 for a later day",
                        )
                    ]
                previous = (moment, f"{kind} {text} at {stop.terminal}")
    return []


def disruption_problems(
    scenario: Scenario, events: tuple[Disruption, ...], prefix: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], str]]:
    """Unknown ids named by events, and one id used by two events whose intervals overlap."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    known = {
        "terminal": {t.id for c in scenario.cities for t in c.terminals},
        "road": {r.id for r in scenario.roads},
        "region": {r.id for r in scenario.regions},
        "service": {s.id for s in scenario.services},
        "city": {c.id for c in scenario.cities},
    }
    for index, event in enumerate(events):
        for field, ids in known.items():
            value = getattr(event, field)
            if value is not None and value not in ids:
                problems.append(((*prefix, index, field), f"unknown {field} {value!r}"))
    # Each interval on the real time line (a local datetime in the zone of the place it names).
    # (An event naming nothing is reported above; its local times are read as UTC here.)
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for index, event in enumerate(events):
        zone = event_zone_or_none(scenario, event)
        start, end = _instant(event.start, zone or dt.UTC), _instant(event.end, zone or dt.UTC)
        if zone is not None and not comparable(event.start, event.end) and end <= start:
            problems.append(
                ((*prefix, index, "end"), f"end must be after start ({event.end} is not after {event.start})")
            )
        spans.append((start, end))
    for index, event in enumerate(events):
        for before, earlier in enumerate(events[:index]):
            span, other = spans[index], spans[before]
            if earlier.id == event.id and other[0] < span[1] and span[0] < other[1]:
                problems.append(
                    ((*prefix, index, "id"), f"duplicate id {event.id!r} with an overlapping interval")
                )
    return problems
