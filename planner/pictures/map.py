"""The route map: the scenario's cities on an equirectangular map, the legs as numbered arrows."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Polygon
from matplotlib.path import Path

from planner.domain import City, DisruptionKind, Mode, Scenario
from planner.pictures.disruptions import InForce, closed_roads, disruption_lines, in_force
from planner.pictures.drawing import (
    BORDER_COLOUR,
    CLOSURE_COLOUR,
    HOME_LAND_COLOUR,
    LAND_COLOUR,
    MODE_COLOURS,
    NOTE_LINE_IN,
    OTHER_CITY_COLOUR,
    ROAD_COLOUR,
    SEA_COLOUR,
    Drawing,
    draw_key,
    new_figure,
    summary,
    title,
)
from planner.pictures.labels import Placer, arrowhead_box
from planner.pictures.plan_view import PlanView

_KM_PER_DEGREE = 111.2
_OUTLINES = "countries-central-asia.json"
_MAP_WIDTH_IN = 12.0
_MAP_LEFT_IN = 0.55  # room for the latitude labels
_TITLE_IN = 0.75
_TICKS_IN = 0.3
_LEGEND_IN = 0.8


@dataclass(frozen=True)
class _Projection:
    """Equirectangular with its standard parallel through the middle of the map.

    Units are degrees of latitude in both directions, so one unit is about 111 km everywhere
    on the standard parallel and the map keeps true proportions there.
    """

    parallel_cos: float

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        return lon * self.parallel_cos, lat


@dataclass(frozen=True)
class _Area:
    """What the map shows (in projected units) and the size it is drawn at (inches)."""

    projection: _Projection
    x0: float
    x1: float
    y0: float
    y1: float
    width_in: float
    height_in: float


@functools.cache
def _outlines() -> tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """Country outlines (ISO code, rings of lon/lat); empty if the data file is not installed."""
    try:
        text = resources.files("planner").joinpath("data", _OUTLINES).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return ()
    data = json.loads(text)
    return tuple(
        (country["iso_a3"], tuple(tuple((p[0], p[1]) for p in ring) for ring in country["rings"]))
        for country in data["countries"]
    )


def _bezier_points(
    start: tuple[float, float], end: tuple[float, float], rad: float, count: int
) -> list[tuple[float, float]]:
    """Points of matplotlib's ``arc3`` curve: a quadratic Bezier bent by ``rad`` to the right."""
    (x1, y1), (x2, y2) = start, end
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    points = []
    for step in range(count + 1):
        t = step / count
        u = 1 - t
        points.append((u * u * x1 + 2 * u * t * cx + t * t * x2, u * u * y1 + 2 * u * t * cy + t * t * y2))
    return points


def _map_area(scenario: Scenario) -> _Area:
    lats = [c.lat for c in scenario.cities]
    projection = _Projection(max(0.2, math.cos(math.radians((min(lats) + max(lats)) / 2))))
    xs = [projection(c.lat, c.lon)[0] for c in scenario.cities]
    margin = max(0.6, 0.07 * max(max(xs) - min(xs), max(lats) - min(lats)))
    x0, x1 = min(xs) - margin, max(xs) + margin
    y0, y1 = min(lats) - margin, max(lats) + margin * 0.8
    # The map area keeps the data's proportions within sensible bounds; the other direction of
    # the extent grows to fill it, so one unit is the same length across and up.
    map_width_in = _MAP_WIDTH_IN - _MAP_LEFT_IN - 0.2
    map_height_in = min(max(map_width_in * (y1 - y0) / (x1 - x0), 0.45 * map_width_in), 0.8 * map_width_in)
    if map_height_in / map_width_in > (y1 - y0) / (x1 - x0):
        grow = (map_height_in / map_width_in * (x1 - x0) - (y1 - y0)) / 2
        y0, y1 = y0 - grow, y1 + grow
    else:
        grow = (map_width_in / map_height_in * (y1 - y0) - (x1 - x0)) / 2
        x0, x1 = x0 - grow, x1 + grow
    return _Area(projection, x0, x1, y0, y1, map_width_in, map_height_in)


def draw_map(scenario: Scenario, plan: PlanView) -> Drawing:
    area = _map_area(scenario)
    projection = area.projection
    items = in_force(scenario, plan)
    notes = disruption_lines(scenario, items)
    notes_in = NOTE_LINE_IN * (len(notes) + 1) + 0.1 if notes else 0.1
    below_in = notes_in + _LEGEND_IN + _TICKS_IN
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
    draw_plan_marks(axes, projection, scenario, plan, items, placer, classes)
    _draw_map_legend(figure, scenario, notes_in + _LEGEND_IN, height_in)
    _draw_map_texts(figure, scenario, plan, notes, height_in)
    return Drawing(figure, classes)


def draw_plan_marks(
    axes: Axes,
    projection: _Projection,
    scenario: Scenario,
    plan: PlanView,
    items: list[InForce],
    placer: Placer,
    classes: dict[str, str],
) -> None:
    """The cities, closed terminals and legs, then the legs' numbers and the labels.

    The marks and arrowheads are reserved before any number or label is placed, so none hides them.
    """
    for text in axes.texts:  # the scale bar's
        placer.reserve(text.get_window_extent(placer.renderer))
    held = {s.city: s.start for s in plan.seminars}
    order = _label_order(scenario, held)
    for city in order:
        _draw_city_mark(axes, projection, scenario, city, held, placer, classes)
    draw_closed_terminals(axes, projection, scenario, items, placer, classes)
    _draw_legs(axes, projection, scenario, plan, placer, classes)
    for city in order:
        _place_city_label(projection, scenario, city, held, placer)
    label_closed_terminals(projection, scenario, items, placer)


def draw_background(
    axes: Axes, area: _Area, scenario: Scenario, items: list[InForce], classes: dict[str, str]
) -> None:
    """What every map shows under the plan: land and sea, the graticule, the scale and the roads."""
    axes.set_xlim(area.x0, area.x1)
    axes.set_ylim(area.y0, area.y1)
    axes.set_facecolor(SEA_COLOUR if _outlines() else "white")
    _draw_outlines(axes, area.projection, scenario)
    _draw_graticule(axes, area.projection, area.x0, area.x1, area.y0, area.y1)
    _draw_scale_bar(axes, area.x0, area.x1, area.y0, area.y1)
    _draw_roads(axes, area.projection, scenario, items, classes)


def _draw_roads(
    axes: Axes, projection: _Projection, scenario: Scenario, items: list[InForce], classes: dict[str, str]
) -> None:
    """Every road in grey, then the closed ones over it in dashed red."""
    cities = {c.id: c for c in scenario.cities}
    for road in scenario.roads:
        (ax_, ay), (bx, by) = (projection(cities[e].lat, cities[e].lon) for e in (road.a, road.b))
        line = Line2D([ax_, bx], [ay, by], color=ROAD_COLOUR, lw=1.0, zorder=1, solid_capstyle="round")
        line.set_gid(f"road-{road.id}")
        axes.add_line(line)
    for road_id in closed_roads(scenario, items):
        road = next(r for r in scenario.roads if r.id == road_id)
        (ax_, ay), (bx, by) = (projection(cities[e].lat, cities[e].lon) for e in (road.a, road.b))
        line = Line2D([ax_, bx], [ay, by], color=CLOSURE_COLOUR, lw=2.0, ls=(0, (4, 3)), zorder=2)
        line.set_gid(f"closed-road-{road.id}")
        classes[f"closed-road-{road.id}"] = "closure closed-road"
        axes.add_line(line)


def _draw_legs(
    axes: Axes,
    projection: _Projection,
    scenario: Scenario,
    plan: PlanView,
    placer: Placer,
    classes: dict[str, str],
) -> None:
    """Each leg as an arrow coloured by mode, numbered in plan order from 1 along it."""
    cities = {c.id: c for c in scenario.cities}
    seen_pairs: dict[tuple[str, str], int] = {}
    badges: list[tuple[list[tuple[float, float]], int, str]] = []
    for index, leg in enumerate(plan.legs):
        start = projection(cities[leg.from_city].lat, cities[leg.from_city].lon)
        end = projection(cities[leg.to_city].lat, cities[leg.to_city].lon)
        colour = MODE_COLOURS.get(leg.mode, "#000000")
        gid = f"leg-{index}"
        classes[gid] = f"leg mode-{leg.mode}"
        # The same trip between two cities again bends further, so repeated legs stay apart;
        # a return trip bends to the other side by itself.
        repeat = seen_pairs.get((leg.from_city, leg.to_city), 0)
        seen_pairs[(leg.from_city, leg.to_city)] = repeat + 1
        curve = draw_leg_arrow(axes, placer, start, end, 0.16 + 0.14 * repeat, colour, gid)
        if curve is not None:
            badges.append((curve, index, colour))
    # Numbers go after every arrow is drawn, so each keeps off every arrowhead.
    for curve, index, colour in badges:
        place_leg_number(placer, curve, str(index + 1), colour, f"leg-{index}-number")


def place_leg_number(
    placer: Placer,
    curve: list[tuple[float, float]],
    text: str,
    colour: str,
    gid: str,
    frame: dict[str, Any] | None = None,
) -> None:
    """A leg's number in a ring of its colour on its arrow, from the middle out, clear of what is placed."""
    middle = len(curve) // 2
    steps = sorted(range(3, len(curve) - 3), key=lambda step: (abs(step - middle), step))
    placer.place_along(
        [curve[step] for step in steps],
        text,
        gid,
        fontsize=6.5,
        color=colour,
        fontweight="bold",
        zorder=5,
        bbox=frame or {"boxstyle": "circle,pad=0.18", "fc": "white", "ec": colour, "lw": 0.8},
    )


def draw_leg_arrow(
    axes: Axes,
    placer: Placer,
    start: tuple[float, float],
    end: tuple[float, float],
    rad: float,
    colour: str,
    gid: str,
    linestyle: Any = None,  # a matplotlib line style (drawing.MODE_LINE_STYLES); None: solid
    width: float = 2.0,
) -> list[tuple[float, float]] | None:
    """A leg as a bent arrow (a ring where it starts and ends in one place), its curve kept clear of
    labels; the curve's points, or None for a ring."""
    if start == end:
        mark = Line2D([start[0]], [start[1]], marker="o", ms=12, mfc="none", mec=colour, zorder=3)
        mark.set_gid(gid)
        axes.add_line(mark)
        return None
    arrow = FancyArrowPatch(
        start,
        end,
        connectionstyle=f"arc3,rad={rad}",
        arrowstyle="-|>,head_length=6,head_width=3",
        color=colour,
        lw=width,
        shrinkA=7,
        shrinkB=7,
        zorder=3,
    )
    if linestyle is not None:
        arrow.set_linestyle(linestyle)
    arrow.set_gid(gid)
    axes.add_patch(arrow)
    head = arrowhead_box(arrow, placer.renderer)
    if head is not None:
        placer.reserve(head)
    curve = _bezier_points(start, end, rad, 24)
    placer.line_points.extend(tuple(axes.transData.transform(p)) for p in curve[2:-2])
    return curve


def _draw_outlines(axes: Axes, projection: _Projection, scenario: Scenario) -> None:
    """Countries as land on a sea-coloured background; the scenario's own country a shade lighter."""
    home = scenario.city(scenario.delegation.start_city)
    for iso, rings in _outlines():
        for ring_index, ring in enumerate(rings):
            points = [projection(lat, lon) for lon, lat in ring]
            polygon = Polygon(points, closed=True, fc=LAND_COLOUR, ec=BORDER_COLOUR, lw=0.7, zorder=0)
            if Path(points).contains_point(projection(home.lat, home.lon)):
                polygon.set_facecolor(HOME_LAND_COLOUR)
                polygon.set_edgecolor("#a9a28c")
                polygon.set_linewidth(1.1)
            polygon.set_gid(f"country-{iso}-{ring_index}")
            axes.add_patch(polygon)


def _draw_graticule(axes: Axes, projection: _Projection, x0: float, x1: float, y0: float, y1: float) -> None:
    step = 5 if (y1 - y0) > 6 else 1
    west, east = x0 / projection.parallel_cos, x1 / projection.parallel_cos
    lons = range(math.ceil(west / step) * step, math.floor(east) + 1, step)
    lats = range(math.ceil(y0 / step) * step, math.floor(y1) + 1, step)
    axes.set_xticks(
        [lon * projection.parallel_cos for lon in lons],
        [f"{abs(lon)}°{'E' if lon >= 0 else 'W'}" for lon in lons],
    )
    axes.set_yticks(list(lats), [f"{abs(lat)}°{'N' if lat >= 0 else 'S'}" for lat in lats])
    axes.tick_params(labelsize=7, colors="#8a8a8a", length=0, pad=2)
    axes.grid(True, color="#ffffff", lw=0.6, zorder=0.5)
    axes.set_axisbelow(True)
    for spine in axes.spines.values():
        spine.set_color("#b0b0b0")


def _draw_scale_bar(axes: Axes, x0: float, x1: float, y0: float, y1: float) -> None:
    target_km = (x1 - x0) * _KM_PER_DEGREE / 6
    km = next(k for k in (1000, 500, 200, 100, 50, 20, 10, 5) if k <= target_km) if target_km >= 5 else 5
    length = km / _KM_PER_DEGREE
    bx, by = x0 + (x1 - x0) * 0.02, y0 + (y1 - y0) * 0.035
    bar = Line2D([bx, bx + length], [by, by], color="#555555", lw=2.5, solid_capstyle="butt", zorder=6)
    bar.set_gid("scale-bar")
    axes.add_line(bar)
    axes.text(
        bx + length / 2,
        by + (y1 - y0) * 0.012,
        f"{km} km",
        ha="center",
        va="bottom",
        fontsize=7.5,
        color="#555555",
        zorder=6,
    )


def draw_closed_terminals(
    axes: Axes,
    projection: _Projection,
    scenario: Scenario,
    items: list[InForce],
    placer: Placer,
    classes: dict[str, str],
) -> None:
    """A red cross on each city with a closed terminal (its label follows the cities' labels)."""
    closed_terminals, _numbers = _closed_terminals(scenario, items)
    for terminal_city, terminals in sorted(closed_terminals.items()):
        city = scenario.city(terminal_city)
        x, y = projection(city.lat, city.lon)
        for terminal in sorted(set(terminals)):
            cross = Line2D([x], [y], marker="X", ms=15, mfc=CLOSURE_COLOUR, mec="white", mew=1.0, zorder=7)
            cross.set_gid(f"closed-terminal-{terminal}")
            classes[f"closed-terminal-{terminal}"] = "closure closed-terminal"
            axes.add_line(cross)
            placer.reserve_artist(cross)


def label_closed_terminals(
    projection: _Projection, scenario: Scenario, items: list[InForce], placer: Placer
) -> None:
    """Each closed terminal named, with the numbers of its closures in the key."""
    closed_terminals, closure_numbers = _closed_terminals(scenario, items)
    for terminal_city, terminals in sorted(closed_terminals.items()):
        city = scenario.city(terminal_city)
        x, y = projection(city.lat, city.lon)
        names = sorted(set(terminals))
        numbers = ", ".join(map(str, closure_numbers[terminal_city]))
        placer.place(
            x,
            y,
            f"{', '.join(names)} closed ({numbers})",
            f"closed-terminal-{'-'.join(names)}-label",
            fontsize=8,
            fontweight="bold",
            color=CLOSURE_COLOUR,
        )


def _closed_terminals(
    scenario: Scenario, items: list[InForce]
) -> tuple[dict[str, list[str]], dict[str, list[int]]]:
    """City -> its closed terminals, and city -> the numbers of those closures in the key."""
    closed_terminals: dict[str, list[str]] = {}
    closure_numbers: dict[str, list[int]] = {}
    for number, item in enumerate(items, 1):
        if item.kind == DisruptionKind.TERMINAL_CLOSED and item.terminal is not None:
            city_id = scenario.terminal_city()[item.terminal].id
            closed_terminals.setdefault(city_id, []).append(item.terminal)
            closure_numbers.setdefault(city_id, []).append(number)
    return closed_terminals, closure_numbers


def _label_order(scenario: Scenario, held: dict[str, dt.datetime]) -> list[City]:
    """Start and end first, then seminar cities in plan order, then the rest: the important
    labels get the best places."""
    seminar_cities = {s.city for s in scenario.seminars}
    start_city, end_city = scenario.delegation.start_city, scenario.delegation.end_city
    return sorted(
        scenario.cities,
        key=lambda c: (
            c.id not in (start_city, end_city),
            c.id not in held,
            held.get(c.id, dt.datetime.max.replace(tzinfo=dt.UTC)),
            c.id not in seminar_cities,
            c.name,
        ),
    )


def _draw_city_mark(
    axes: Axes,
    projection: _Projection,
    scenario: Scenario,
    city: City,
    held: dict[str, dt.datetime],
    placer: Placer,
    classes: dict[str, str],
) -> None:
    seminar_cities = {s.city for s in scenario.seminars}
    start_city, end_city = scenario.delegation.start_city, scenario.delegation.end_city
    x, y = projection(city.lat, city.lon)
    kinds = ["city"]
    if city.id in seminar_cities:
        kinds.append("seminar-city")
    if city.id in held:
        kinds.append("visited")
    if city.id == start_city:
        kinds.append("start")
    if city.id == end_city:
        kinds.append("end")
    if city.id in (start_city, end_city):
        ring = Line2D([x], [y], marker="s", ms=15, mfc="none", mec="#111111", mew=1.6, zorder=5)
        ring.set_gid(f"start-end-{city.id}")
        axes.add_line(ring)
        placer.reserve_artist(ring)
    if city.id in held:
        mark = Line2D([x], [y], marker="o", ms=9, mfc="#111111", mec="white", mew=1.2, zorder=6)
    elif city.id in seminar_cities:
        mark = Line2D([x], [y], marker="o", ms=7, mfc="white", mec="#666666", mew=1.3, zorder=6)
    else:
        mark = Line2D([x], [y], marker="o", ms=4, mfc=OTHER_CITY_COLOUR, mec="none", zorder=6)
    mark.set_gid(f"city-{city.id}")
    classes[f"city-{city.id}"] = " ".join(kinds)
    axes.add_line(mark)
    placer.reserve_artist(mark)


def _place_city_label(
    projection: _Projection, scenario: Scenario, city: City, held: dict[str, dt.datetime], placer: Placer
) -> None:
    seminar_cities = {s.city for s in scenario.seminars}
    start_city, end_city = scenario.delegation.start_city, scenario.delegation.end_city
    x, y = projection(city.lat, city.lon)
    if city.id in held:
        moment = held[city.id]
        text = f"{city.name}  {moment:%a} {moment.day} {moment:%b}"
        style: dict[str, Any] = {"fontsize": 9, "fontweight": "bold", "color": "#111111"}
    elif city.id in seminar_cities:
        text = city.name
        style = {"fontsize": 8, "color": "#666666", "fontstyle": "italic"}
    else:
        text = city.name
        style = {"fontsize": 7.5, "color": OTHER_CITY_COLOUR}
    if city.id in (start_city, end_city):
        role = "start and end" if start_city == end_city else ("start" if city.id == start_city else "end")
        text = f"{text}  ({role})"
    clearance = 11 if city.id in (start_city, end_city) else 7
    placer.place(x, y, text, f"label-{city.id}", clearance, **style)


def _draw_map_legend(figure: Figure, scenario: Scenario, top_in: float, height_in: float) -> None:
    handles: list[Any] = [Line2D([], [], color=MODE_COLOURS[m.value], lw=2.5, label=m.value) for m in Mode]
    start, end = scenario.delegation.start_city, scenario.delegation.end_city
    handles += [
        Line2D([], [], ls="", marker="o", ms=8, mfc="#111111", mec="white", label="seminar held"),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=7,
            mfc="white",
            mec="#666666",
            mew=1.3,
            label="seminar city, not visited",
        ),
        Line2D([], [], ls="", marker="o", ms=4, mfc=OTHER_CITY_COLOUR, mec="none", label="other city"),
        Line2D(
            [],
            [],
            ls="",
            marker="s",
            ms=11,
            mfc="none",
            mec="#111111",
            mew=1.4,
            label="start and end" if start == end else "start / end",
        ),
        Line2D([], [], color=ROAD_COLOUR, lw=1.2, label="road"),
        Line2D([], [], color=CLOSURE_COLOUR, lw=2, ls=(0, (4, 3)), label="road closed"),
        Line2D([], [], ls="", marker="X", ms=11, mfc=CLOSURE_COLOUR, mec="white", label="terminal closed"),
    ]
    legend = figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(_MAP_LEFT_IN / _MAP_WIDTH_IN, top_in / height_in),
        ncol=6,
        fontsize=8.5,
        frameon=False,
        handlelength=2.2,
        columnspacing=1.6,
        title="Numbers on the route give the order of the legs",
        title_fontsize=8,
        alignment="left",
    )
    legend.set_gid("legend")


def _draw_map_texts(
    figure: Figure, scenario: Scenario, plan: PlanView, notes: list[str], height_in: float
) -> None:
    left = _MAP_LEFT_IN / _MAP_WIDTH_IN
    figure.text(
        left,
        1 - 0.3 / height_in,
        title(scenario, plan, "route"),
        fontsize=13,
        fontweight="bold",
        va="center",
    )
    figure.text(left, 1 - 0.58 / height_in, summary(scenario, plan), fontsize=9, color="#444444", va="center")
    draw_key(figure, notes, left, NOTE_LINE_IN * (len(notes) + 1) + 0.1, height_in)
