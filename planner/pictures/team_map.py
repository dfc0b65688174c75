"""The route map of a team plan: each team's legs in the team's colour, the mode told by the line's style.

The map under the routes is the single plan's (``map``: land, graticule, scale, roads and
closures). Each team has a colour (``drawing.TEAM_COLOURS``, in the plan's order of teams) and a
letter (A, B, ...); its legs are arrows in its colour, dashed or dotted by mode, numbered in its
own order with its letter (A1, A2, ...), and a city where it holds a seminar is filled with its
colour and labelled with the date and the letter. The legend names each team with its colour
and its members. Leg numbers slide along their arrows off the cities and the other numbers, and
labels are placed around their cities off everything drawn before them.

A member who joins a team en route (the team's ``joiner``) has their own legs from home drawn in
the team's colour, thin and dashed whatever the mode, numbered with the team's letter and ``j``
(Aj1, Aj2, ...); the legend says who joins which team where and when, and the modes of those
legs. Their home gets a diamond in the team's colour, labelled ``home of Aj``, unless it is
marked already (a start or end, or a city the team holds a seminar in).

Ids and classes: ``leg-<team>-<i>`` (class ``leg team-<team> mode-<mode>``, ``i`` the index in
the team's ``plan['legs']``), its number ``leg-<team>-<i>-number``; ``city-<city>`` (class
``city`` plus ``seminar-city``, ``visited team-<team>``, ``start``, ``end``), ``label-<city>``;
``team-legend`` (its entries ``team-legend-<team>``) and ``legend``; and the map's own
``road-<road>``, ``closed-road-<road>``, ``closed-terminal-<terminal>``. A joiner's legs are
``joiner-leg-<team>-<i>`` (class ``leg joiner team-<team> mode-<mode>``, ``i`` the index in the
joiner's ``plan['legs']``), their numbers ``joiner-leg-<team>-<i>-number``, their home
``joiner-home-<team>`` (class ``joiner-home team-<team>``), their legend entry
``team-legend-<team>-joiner``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from planner.domain import City, Mode, Scenario
from planner.pictures.disruptions import disruption_lines, in_force
from planner.pictures.drawing import (
    CLOSURE_COLOUR,
    MODE_LINE_STYLES,
    NOTE_LINE_IN,
    OTHER_CITY_COLOUR,
    ROAD_COLOUR,
    Drawing,
    draw_key,
    joiner_tag,
    joiner_text,
    new_figure,
    team_colour,
    team_heading,
    team_letter,
    team_summary,
    team_title,
)
from planner.pictures.labels import Placer
from planner.pictures.map import (
    _LEGEND_IN,
    _MAP_LEFT_IN,
    _MAP_WIDTH_IN,
    _TICKS_IN,
    _TITLE_IN,
    _map_area,
    _Projection,
    draw_background,
    draw_closed_terminals,
    draw_leg_arrow,
    label_closed_terminals,
    place_leg_number,
)
from planner.pictures.plan_view import LegTaken, TeamPlanView, TeamShown
from planner.team_view import team_scenario

_TEAM_LINE_IN = 0.21  # one team's line in the legend
_HELD_COLOUR = "#555555"  # the legend's stand-in for "the team's colour"
# Where a leg's number may sit along its arrow (of 24 steps): the middle first.
_JOINER_LINE = (0, (3, 2))  # a joiner's own legs: thin and dashed, whatever the mode
_JOINER_WIDTH = 1.3


@dataclass(frozen=True)
class _Ends:
    """Where each team starts and ends, by the team's letter."""

    starts: dict[str, str]  # letter -> city id
    ends: dict[str, str]

    def cities(self) -> set[str]:
        return set(self.starts.values()) | set(self.ends.values())

    def role(self, city: str) -> str | None:
        """``start and end`` when every team starts and ends here; else which team does what."""
        roles: dict[str, list[str]] = {}
        for letter in self.starts:
            here = (self.starts[letter] == city, self.ends[letter] == city)
            role = {(True, True): "start and end", (True, False): "start", (False, True): "end"}.get(here)
            if role is not None:
                roles.setdefault(role, []).append(letter)
        if not roles:
            return None
        if len(roles) == 1 and len(next(iter(roles.values()))) == len(self.starts):
            return next(iter(roles))
        return "; ".join(f"{role} of {', '.join(letters)}" for role, letters in roles.items())


def _team_ends(scenario: Scenario, plan: TeamPlanView) -> _Ends:
    """Each team's start and end cities: its own scenario's; for a team the scenario does not list
    (one the planner formed), where its plan starts and ends, or else the delegation's."""
    teams = {team.id: team for team in scenario.teams}
    starts, ends = {}, {}
    for index, shown in enumerate(plan.teams):
        team = teams.get(shown.id)
        delegation = team_scenario(scenario, team).delegation if team is not None else scenario.delegation
        start, end = delegation.start_city, delegation.end_city
        if team is None and shown.plan.legs:
            start, end = shown.plan.legs[0].from_city, shown.plan.legs[-1].to_city
        starts[team_letter(index)], ends[team_letter(index)] = start, end
    return _Ends(starts, ends)


def draw_team_map(scenario: Scenario, plan: TeamPlanView) -> Drawing:
    ends = _team_ends(scenario, plan)
    area = _map_area(scenario)
    items = in_force(scenario, plan)
    notes = disruption_lines(scenario, items)
    notes_in = NOTE_LINE_IN * (len(notes) + 1) + 0.1 if notes else 0.1
    joiners = sum(1 for team in plan.teams if team.joiner is not None)
    teams_in = _TEAM_LINE_IN * (len(plan.teams) + joiners) + 0.35
    below_in = notes_in + _LEGEND_IN + teams_in + _TICKS_IN
    height_in = _TITLE_IN + area.height_in + below_in
    figure, renderer = new_figure(_MAP_WIDTH_IN, height_in)
    axes = figure.add_axes(
        (
            _MAP_LEFT_IN / _MAP_WIDTH_IN,
            below_in / height_in,
            area.width_in / _MAP_WIDTH_IN,
            area.height_in / height_in,
        )
    )
    classes: dict[str, str] = {}
    draw_background(axes, area, scenario, items, classes)
    placer = Placer(axes, renderer, [], [])
    held = _held(plan)
    homes = _joiner_homes(plan, held, ends)
    order = _label_order(scenario, held, ends, homes)
    # The cities are known before the legs' numbers are placed, so the numbers keep off them.
    for city in order:
        _draw_city_mark(axes, area.projection, scenario, city, held, ends, placer, classes)
    _draw_joiner_homes(axes, area.projection, scenario, plan, homes, placer, classes)
    draw_closed_terminals(axes, area.projection, scenario, items, placer, classes)
    _draw_team_legs(axes, area.projection, scenario, plan, placer, classes)
    for city in order:
        _place_city_label(area.projection, scenario, city, held, ends, placer, homes)
    label_closed_terminals(area.projection, scenario, items, placer)
    _draw_team_legend(figure, scenario, plan, notes_in + _LEGEND_IN + teams_in, height_in)
    _draw_key_legend(figure, notes_in + _LEGEND_IN, height_in, bool(homes))
    left = _MAP_LEFT_IN / _MAP_WIDTH_IN
    heading = team_title(scenario, plan, "routes of {teams} teams")
    figure.text(left, 1 - 0.3 / height_in, heading, fontsize=13, fontweight="bold", va="center")
    figure.text(
        left, 1 - 0.58 / height_in, team_summary(scenario, plan), fontsize=9, color="#444444", va="center"
    )
    draw_key(figure, notes, left, notes_in, height_in)
    return Drawing(figure, classes)


@dataclass(frozen=True)
class _Held:
    """A seminar city's team (its index in the plan, its id) and the seminar's start."""

    index: int
    team: str
    start: dt.datetime


def _held(plan: TeamPlanView) -> dict[str, _Held]:
    return {
        s.city: _Held(index, team.id, s.start)
        for index, team in enumerate(plan.teams)
        for s in team.plan.seminars
    }


def _joiner_homes(plan: TeamPlanView, held: dict[str, _Held], ends: _Ends) -> dict[str, str]:
    """The joiners' homes not marked otherwise (no start or end, no seminar held), each with its
    joiner's tag; a city home to joiners of several teams names them all."""
    homes: dict[str, list[str]] = {}
    for index, team in enumerate(plan.teams):
        home = team.joiner.home_city if team.joiner is not None else None
        if home is not None and home not in held and home not in ends.cities():
            homes.setdefault(home, []).append(joiner_tag(index))
    return {city: ", ".join(tags) for city, tags in homes.items()}


def _draw_joiner_homes(
    axes: Axes,
    projection: _Projection,
    scenario: Scenario,
    plan: TeamPlanView,
    homes: dict[str, str],
    placer: Placer,
    classes: dict[str, str],
) -> None:
    """A diamond in the team's colour around the home of a joiner not marked otherwise."""
    for index, team in enumerate(plan.teams):
        if team.joiner is None or team.joiner.home_city not in homes:
            continue
        city = scenario.city(team.joiner.home_city)
        x, y = projection(city.lat, city.lon)
        # Each further joiner's diamond a size larger, so two at one home both show.
        size = 13 + 4 * homes[city.id].split(", ").index(joiner_tag(index))
        mark = Line2D([x], [y], marker="D", ms=size, mfc="none", mec=team_colour(index), mew=1.6, zorder=5)
        mark.set_gid(f"joiner-home-{team.id}")
        classes[f"joiner-home-{team.id}"] = f"joiner-home team-{team.id}"
        axes.add_line(mark)
        placer.occupy_point(x, y, size / 2 + 1)


def _draw_team_legs(
    axes: Axes,
    projection: _Projection,
    scenario: Scenario,
    plan: TeamPlanView,
    placer: Placer,
    classes: dict[str, str],
) -> None:
    """Each team's legs as arrows in its colour, styled by mode, then its joiner's (thin, dashed),
    then the numbers along them."""
    cities = {c.id: c for c in scenario.cities}
    seen_pairs: dict[tuple[str, str], int] = {}
    numbers: list[tuple[list[tuple[float, float]], str, str, str, bool]] = []

    def arrow(leg: LegTaken, colour: str, gid: str, joiner: bool) -> list[tuple[float, float]] | None:
        start = projection(cities[leg.from_city].lat, cities[leg.from_city].lon)
        end = projection(cities[leg.to_city].lat, cities[leg.to_city].lon)
        # Legs between the same two cities, of any team, bend further each time, so they
        # stay apart; a return trip bends to the other side by itself.
        repeat = seen_pairs.get((leg.from_city, leg.to_city), 0)
        seen_pairs[(leg.from_city, leg.to_city)] = repeat + 1
        rad = 0.16 + 0.14 * repeat
        if joiner:
            return draw_leg_arrow(
                axes, placer, start, end, rad, colour, gid, linestyle=_JOINER_LINE, width=_JOINER_WIDTH
            )
        style = MODE_LINE_STYLES.get(leg.mode, "solid")
        return draw_leg_arrow(axes, placer, start, end, rad, colour, gid, linestyle=style)

    for team_index, team in enumerate(plan.teams):
        colour = team_colour(team_index)
        for index, leg in enumerate(team.plan.legs):
            gid = f"leg-{team.id}-{index}"
            classes[gid] = f"leg team-{team.id} mode-{leg.mode}"
            curve = arrow(leg, colour, gid, False)
            if curve is not None:
                numbers.append((curve, f"{team_letter(team_index)}{index + 1}", colour, gid, False))
    for team_index, team in enumerate(plan.teams):
        for index, leg in enumerate(team.joiner.plan.legs if team.joiner is not None else ()):
            gid = f"joiner-leg-{team.id}-{index}"
            classes[gid] = f"leg joiner team-{team.id} mode-{leg.mode}"
            curve = arrow(leg, team_colour(team_index), gid, True)
            if curve is not None:
                numbers.append(
                    (curve, f"{joiner_tag(team_index)}{index + 1}", team_colour(team_index), gid, True)
                )
    for curve, text, colour, gid, joiner in numbers:
        _place_leg_number(placer, curve, text, colour, gid, joiner)


def _place_leg_number(
    placer: Placer,
    curve: list[tuple[float, float]],
    text: str,
    colour: str,
    gid: str,
    joiner: bool = False,
) -> None:
    """The number along its arrow, from the middle out, clear of what is placed (a joiner's in a
    dashed box)."""
    frame: dict[str, Any] = {"boxstyle": "round,pad=0.18", "fc": "white", "ec": colour, "lw": 0.8}
    if joiner:
        frame["ls"] = (0, (2, 1))
    place_leg_number(placer, curve, text, colour, f"{gid}-number", frame)


def _label_order(
    scenario: Scenario, held: dict[str, _Held], ends: _Ends, homes: dict[str, str]
) -> list[City]:
    """Starts, ends and joiners' homes first, then the cities holding seminars by date, then the
    rest: the important labels get the best places."""
    seminar_cities = {s.city for s in scenario.seminars}
    latest = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(
        scenario.cities,
        key=lambda c: (
            c.id not in ends.cities() and c.id not in homes,
            c.id not in held,
            held[c.id].start if c.id in held else latest,
            c.id not in seminar_cities,
            c.name,
        ),
    )


def _draw_city_mark(
    axes: Axes,
    projection: _Projection,
    scenario: Scenario,
    city: City,
    held: dict[str, _Held],
    ends: _Ends,
    placer: Placer,
    classes: dict[str, str],
) -> None:
    seminar_cities = {s.city for s in scenario.seminars}
    x, y = projection(city.lat, city.lon)
    kinds = ["city"]
    if city.id in seminar_cities:
        kinds.append("seminar-city")
    if city.id in held:
        kinds += ["visited", f"team-{held[city.id].team}"]
    if city.id in ends.starts.values():
        kinds.append("start")
    if city.id in ends.ends.values():
        kinds.append("end")
    if city.id in ends.cities():
        ring = Line2D([x], [y], marker="s", ms=15, mfc="none", mec="#111111", mew=1.6, zorder=5)
        ring.set_gid(f"start-end-{city.id}")
        axes.add_line(ring)
    if city.id in held:
        colour = team_colour(held[city.id].index)
        mark = Line2D([x], [y], marker="o", ms=10, mfc=colour, mec="#111111", mew=1.0, zorder=6)
    elif city.id in seminar_cities:
        mark = Line2D([x], [y], marker="o", ms=7, mfc="white", mec="#666666", mew=1.3, zorder=6)
    else:
        mark = Line2D([x], [y], marker="o", ms=4, mfc=OTHER_CITY_COLOUR, mec="none", zorder=6)
    mark.set_gid(f"city-{city.id}")
    classes[f"city-{city.id}"] = " ".join(kinds)
    axes.add_line(mark)
    placer.occupy_point(x, y, 8 if city.id in ends.cities() else 5)


def _place_city_label(
    projection: _Projection,
    scenario: Scenario,
    city: City,
    held: dict[str, _Held],
    ends: _Ends,
    placer: Placer,
    homes: dict[str, str],
) -> None:
    seminar_cities = {s.city for s in scenario.seminars}
    x, y = projection(city.lat, city.lon)
    if city.id in held:
        moment = held[city.id].start
        text = f"{city.name}  {moment:%a} {moment.day} {moment:%b} ({team_letter(held[city.id].index)})"
        style: dict[str, Any] = {"fontsize": 9, "fontweight": "bold", "color": "#111111"}
    elif city.id in seminar_cities:
        text = city.name
        style = {"fontsize": 8, "color": "#666666", "fontstyle": "italic"}
    else:
        text = city.name
        style = {"fontsize": 7.5, "color": OTHER_CITY_COLOUR}
    role = ends.role(city.id)
    if role is not None:
        text = f"{text}  ({role})"
    if city.id in homes:
        text = f"{text}  (home of {homes[city.id]})"
    clearance = 11 if role is not None or city.id in homes else 7
    placer.place(x, y, text, f"label-{city.id}", clearance, **style)


def _joiner_line(scenario: Scenario, index: int, team: TeamShown) -> str:
    """``Aj  UNDP officer A joins A at Pavlodar, Tue 19 Jan 09:30 +06, from home in Astana``, then
    how: ``: Aj1 drive`` (the joiner's legs by their numbers, with their modes), or ``(no travel)``."""
    assert team.joiner is not None
    tag = joiner_tag(index)
    line = f"{tag}  {joiner_text(scenario, index, team)}"
    if not team.joiner.plan.legs:
        return f"{line} (no travel)"
    return f"{line}: " + ", ".join(f"{tag}{i + 1} {leg.mode}" for i, leg in enumerate(team.joiner.plan.legs))


def _draw_team_legend(
    figure: Figure, scenario: Scenario, plan: TeamPlanView, top_in: float, height_in: float
) -> None:
    """One line per team: its colour, letter, name and members; under a team a member joins en
    route, a line saying who joins where and when, and how they get there."""
    handles: list[Any] = []
    gids: list[str] = []
    for index, team in enumerate(plan.teams):
        handles.append(Line2D([], [], color=team_colour(index), lw=3.5, label=team_heading(index, team)))
        gids.append(f"team-legend-{team.id}")
        if team.joiner is not None:
            label = _joiner_line(scenario, index, team)
            handles.append(
                Line2D([], [], color=team_colour(index), lw=_JOINER_WIDTH + 0.5, ls=_JOINER_LINE, label=label)
            )
            gids.append(f"team-legend-{team.id}-joiner")
    title = "Teams: each team's legs are numbered in its own order (A1, A2, ...)"
    if len(handles) > len(plan.teams):
        title += "; a member joining en route: own legs thin and dashed (Aj1, ...)"
    legend = figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(_MAP_LEFT_IN / _MAP_WIDTH_IN, top_in / height_in),
        ncol=1,
        fontsize=8.5,
        frameon=False,
        handlelength=2.6,
        title=title,
        title_fontsize=8,
        alignment="left",
        labelspacing=0.35,
    )
    legend.set_gid("team-legend")
    for gid, text in zip(gids, legend.get_texts(), strict=True):
        text.set_gid(gid)


def _draw_key_legend(figure: Figure, top_in: float, height_in: float, homes: bool) -> None:
    """The modes by line style, and the marks of the map."""
    handles: list[Any] = [
        Line2D([], [], color="#333333", lw=2.0, ls=MODE_LINE_STYLES[m.value], label=m.value) for m in Mode
    ]
    handles += [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=8,
            mfc=_HELD_COLOUR,
            mec="#111111",
            label="seminar held (team colour)",
        ),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=7,
            mfc="white",
            mec="#666666",
            mew=1.3,
            label="seminar city, no team",
        ),
        Line2D([], [], ls="", marker="o", ms=4, mfc=OTHER_CITY_COLOUR, mec="none", label="other city"),
        Line2D([], [], ls="", marker="s", ms=11, mfc="none", mec="#111111", mew=1.4, label="start / end"),
        Line2D([], [], color=ROAD_COLOUR, lw=1.2, label="road"),
        Line2D([], [], color=CLOSURE_COLOUR, lw=2, ls=(0, (4, 3)), label="road closed"),
        Line2D([], [], ls="", marker="X", ms=11, mfc=CLOSURE_COLOUR, mec="white", label="terminal closed"),
    ]
    if homes:
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="D",
                ms=9,
                mfc="none",
                mec=_HELD_COLOUR,
                mew=1.4,
                label="home of a joiner",
            )
        )
    legend = figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(_MAP_LEFT_IN / _MAP_WIDTH_IN, top_in / height_in),
        ncol=6,
        fontsize=8.5,
        frameon=False,
        handlelength=2.6,
        columnspacing=1.6,
        title="Line style gives the mode",
        title_fontsize=8,
        alignment="left",
    )
    legend.set_gid("legend")
