"""Pictures of a plan for coordinators: a route map and a day-by-day timeline, as SVG or PNG.

Both are drawn with matplotlib on its file backends (SVG and Agg: no display, no network, no
map tiles), so one figure gives both formats and they always show the same thing. Text uses
DejaVu Sans, which ships inside matplotlib, so a PNG looks the same on every machine.

Output is deterministic for the same scenario and plan: the SVG carries no date, its internal
ids are salted with a fixed string, and label placement is a fixed greedy search.

Elements a program may look for carry an ``id`` and a ``class``:

map        ``city-<city>`` (class ``city`` plus ``seminar-city``, ``visited``, ``start``, ``end``),
           ``label-<city>``, ``leg-<i>`` (class ``leg mode-<mode>``, ``i`` the index in
           ``plan['legs']``), ``road-<road>``, ``closed-terminal-<terminal>``, ``closed-road-<road>``
timeline   ``day-<date>``, ``seminar-<city>``, ``leg-<i>`` (class ``leg mode-<mode>``; a leg
           that runs past midnight continues as ``leg-<i>-continued``), ``night-<date>``,
           ``disruption-<event id>`` (later days of it ``disruption-<event id>-<n>``), ``now``
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Polygon, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from planner.domain import Closure, Disruption, DisruptionKind, Mode, Scenario

MODE_COLOURS: dict[str, str] = {
    # Okabe-Ito colours: distinguishable with the common colour-vision deficiencies, and none
    # of them red, which is kept for closures.
    Mode.FLIGHT.value: "#0072b2",
    Mode.TRAIN.value: "#009e73",
    Mode.BUS.value: "#e69f00",
    Mode.DRIVE.value: "#cc79a7",
}
CLOSURE_COLOUR = "#d00000"
SEMINAR_COLOUR = "#3a3a3a"
NIGHT_COLOUR = "#dfe3ee"
ROAD_COLOUR = "#b8b8b8"
OTHER_CITY_COLOUR = "#8a8a8a"
LAND_COLOUR = "#efede5"
HOME_LAND_COLOUR = "#fdfcf9"
BORDER_COLOUR = "#c9c4b4"
SEA_COLOUR = "#e8f0f7"
DISRUPTION_HATCH_COLOUR = "#e89090"

_DPI = 100  # layout is measured at this resolution; PNGs may be written at another
_FONT = "DejaVu Sans"
_KM_PER_DEGREE = 111.2
_OUTLINES = "countries-central-asia.json"
_STYLE: dict[Any, Any] = {
    "font.family": _FONT,
    "font.size": 9,
    "svg.fonttype": "none",  # labels stay <text> elements: searchable, selectable, small
    "svg.hashsalt": "delegation-planner",  # fixed ids for clip paths and markers
    "axes.linewidth": 0.6,
}
# rc_context changes matplotlib's process-wide settings, so two pictures drawn at once in two
# threads (the HTTP service renders in its thread pool) would see each other's settings come and
# go; one picture at a time keeps every output exact.
_RENDERING = threading.Lock()
_SVG_METADATA: dict[str, str | None] = {"Date": None, "Creator": None}
_PNG_METADATA: dict[str, str | None] = {"Software": None}


# --- Public API ---------------------------------------------------------------------------


def render_map_svg(scenario: Scenario, plan: dict[str, Any]) -> str:
    """The route on a map of the scenario's cities, as an SVG document."""
    return _svg(_map_figure, scenario, plan)


def render_map_png(scenario: Scenario, plan: dict[str, Any], dpi: int = 110) -> bytes:
    """The route map as a PNG image."""
    return _png(_map_figure, scenario, plan, dpi)


def render_timeline_svg(scenario: Scenario, plan: dict[str, Any]) -> str:
    """The trip day by day (home-zone local time), as an SVG document."""
    return _svg(_timeline_figure, scenario, plan)


def render_timeline_png(scenario: Scenario, plan: dict[str, Any], dpi: int = 110) -> bytes:
    """The day-by-day timeline as a PNG image."""
    return _png(_timeline_figure, scenario, plan, dpi)


# --- Output -------------------------------------------------------------------------------


@dataclass
class _Drawing:
    figure: Figure
    classes: dict[str, str]  # element id -> SVG class


def _svg(
    draw: Callable[[Scenario, dict[str, Any]], _Drawing], scenario: Scenario, plan: dict[str, Any]
) -> str:
    with _RENDERING, matplotlib.rc_context(_STYLE):
        drawing = draw(scenario, plan)
        buffer = io.StringIO()
        drawing.figure.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    return _with_classes(buffer.getvalue(), drawing.classes)


def _png(
    draw: Callable[[Scenario, dict[str, Any]], _Drawing], scenario: Scenario, plan: dict[str, Any], dpi: int
) -> bytes:
    with _RENDERING, matplotlib.rc_context(_STYLE):
        drawing = draw(scenario, plan)
        buffer = io.BytesIO()
        drawing.figure.savefig(buffer, format="png", dpi=dpi, metadata=_PNG_METADATA)
    return buffer.getvalue()


def _with_classes(svg: str, classes: dict[str, str]) -> str:
    """Add ``class`` to the groups matplotlib writes for artists with a gid."""
    for element_id, css_class in classes.items():
        svg = svg.replace(f'<g id="{element_id}">', f'<g id="{element_id}" class="{css_class}">', 1)
    return svg


def _new_figure(width_in: float, height_in: float) -> tuple[Figure, RendererBase]:
    figure = Figure(figsize=(width_in, height_in), dpi=_DPI, facecolor="white")
    # Text is measured with the Agg renderer so labels can be placed without overlaps.
    renderer = FigureCanvasAgg(figure).get_renderer()
    return figure, renderer


# --- Times and events ---------------------------------------------------------------------


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _offset(moment: dt.datetime) -> str:
    """UTC offset as a person reads it: ``+06``, ``+05:45``."""
    delta = moment.utcoffset() or dt.timedelta(0)
    sign = "-" if delta < dt.timedelta(0) else "+"
    minutes = abs(int(delta.total_seconds())) // 60
    hours, rest = divmod(minutes, 60)
    return f"{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")


def _local_text(moment: dt.datetime, with_day: bool = True) -> str:
    clock = f"{moment:%H:%M} {_offset(moment)}"
    return f"{moment:%a} {moment.day} {moment:%b} {clock}" if with_day else clock


@dataclass(frozen=True)
class _InForce:
    """A closure or disruption in force for the plan, with aware times."""

    id: str
    kind: DisruptionKind
    start: dt.datetime
    end: dt.datetime
    terminal: str | None = None
    road: str | None = None
    region: str | None = None
    service: str | None = None
    city: str | None = None
    delay_min: int | None = None
    factor: float | None = None
    note: str = ""


def _aware(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _event_zone(scenario: Scenario, event: Disruption | Closure) -> ZoneInfo:
    """The zone a naive time of an event is read in: the place it names (as the planner reads it)."""
    terminal_city = scenario.terminal_city()
    if event.terminal is not None:
        return terminal_city[event.terminal].zone
    if isinstance(event, Disruption) and event.city is not None:
        return scenario.city(event.city).zone
    if event.road is not None:
        road = next(r for r in scenario.roads if r.id == event.road)
        return scenario.city(road.a).zone
    if isinstance(event, Disruption) and event.region is not None:
        in_region = [c for c in scenario.cities if c.region == event.region]
        return (in_region[0] if in_region else scenario.city(scenario.delegation.start_city)).zone
    if isinstance(event, Disruption) and event.service is not None:
        service = next(s for s in scenario.services if s.id == event.service)
        return terminal_city[service.stops[0].terminal].zone
    return scenario.city(scenario.delegation.start_city).zone


def _in_force(scenario: Scenario, plan: dict[str, Any]) -> list[_InForce]:
    """The scenario's closures and known disruptions and the plan's events, each once, by start."""
    found: dict[tuple[str, str], _InForce] = {}
    for closure in scenario.closures:
        zone = _event_zone(scenario, closure)
        kind = DisruptionKind.TERMINAL_CLOSED if closure.terminal else DisruptionKind.ROAD_CLOSED
        item = _InForce(
            id=closure.id,
            kind=kind,
            start=_aware(closure.start, zone),
            end=_aware(closure.end, zone),
            terminal=closure.terminal,
            road=closure.road,
            note=closure.note,
        )
        found.setdefault((item.id, item.start.isoformat()), item)
    events = [*scenario.disruptions, *(Disruption.model_validate(e) for e in plan.get("events") or [])]
    for event in events:
        zone = _event_zone(scenario, event)
        item = _InForce(
            id=event.id,
            kind=event.kind,
            start=_aware(event.start, zone),
            end=_aware(event.end, zone),
            terminal=event.terminal,
            road=event.road,
            region=event.region,
            service=event.service,
            city=event.city,
            delay_min=event.delay_min,
            factor=event.factor,
            note=event.note,
        )
        found.setdefault((item.id, item.start.isoformat()), item)
    return sorted(found.values(), key=lambda i: (i.start, i.id))


def _describe(scenario: Scenario, item: _InForce, short: bool = False) -> str:
    """What is closed or changed, in words."""
    if item.terminal is not None:
        city = scenario.terminal_city()[item.terminal]
        return f"{item.terminal} closed" if short else f"{city.name} {item.terminal} closed"
    if item.kind == DisruptionKind.ROAD_CLOSED and item.road is not None:
        return f"road {item.road} closed"
    if item.kind == DisruptionKind.ROAD_CLOSED and item.region is not None:
        return f"roads of {_region_name(scenario, item.region)} closed"
    if item.kind == DisruptionKind.ROAD_SLOWED:
        place = f"road {item.road}" if item.road else f"roads of {_region_name(scenario, item.region or '')}"
        return f"{place} slowed x{item.factor:g}"
    if item.kind == DisruptionKind.SERVICE_CANCELLED:
        return f"{item.service} cancelled"
    if item.kind == DisruptionKind.SERVICE_DELAYED:
        hours, minutes = divmod(item.delay_min or 0, 60)
        delay = f"{hours} h" if hours else ""
        delay += f" {minutes:02d}" if hours and minutes else ("" if hours else f"{minutes} min")
        return f"{item.service} delayed {delay}"
    if item.kind == DisruptionKind.CITY_UNAVAILABLE and item.city is not None:
        return f"{scenario.city(item.city).name} unavailable"
    return item.kind.value.replace("_", " ")


def _region_name(scenario: Scenario, region_id: str) -> str:
    region = next((r for r in scenario.regions if r.id == region_id), None)
    return region.name or region.id if region is not None else region_id


def _closed_roads(scenario: Scenario, items: list[_InForce]) -> dict[str, list[str]]:
    """Road id -> ids of the closures on it (a region closure closes every road through it)."""
    closed: dict[str, list[str]] = {}
    for item in items:
        if item.kind != DisruptionKind.ROAD_CLOSED:
            continue
        for road in scenario.roads:
            if road.id == item.road or (item.region is not None and item.region in road.regions):
                closed.setdefault(road.id, []).append(item.id)
    return closed


# --- Label placement ----------------------------------------------------------------------


@dataclass
class _Placer:
    """Greedy placement of labels around anchor points, avoiding what is already drawn."""

    axes: Axes
    renderer: RendererBase
    occupied: list[Bbox]
    line_points: list[tuple[float, float]]  # display points of drawn lines, to keep labels off

    # Offsets in units of the clearance around the anchor, nearest and most readable first.
    _CANDIDATES = (
        ((1.0, 0.0), "left", "center"),
        ((-1.0, 0.0), "right", "center"),
        ((0.0, 1.0), "center", "bottom"),
        ((0.0, -1.0), "center", "top"),
        ((0.85, 0.7), "left", "bottom"),
        ((0.85, -0.7), "left", "top"),
        ((-0.85, 0.7), "right", "bottom"),
        ((-0.85, -0.7), "right", "top"),
        ((0.0, 2.0), "center", "bottom"),
        ((0.0, -2.0), "center", "top"),
    )

    def occupy_point(self, x: float, y: float, radius_pt: float) -> None:
        px, py = self.axes.transData.transform((x, y))
        radius = radius_pt * self.axes.figure.dpi / 72
        self.occupied.append(Bbox([[px - radius, py - radius], [px + radius, py + radius]]))

    def place(self, x: float, y: float, text: str, gid: str, clearance_pt: float = 7, **style: Any) -> Text:
        frame = self.axes.get_window_extent(self.renderer)
        # The text is measured once; each candidate's box follows from its offset and alignment.
        probe = self._annotate(x, y, text, (0.0, 0.0), clearance_pt, "left", "bottom", **style)
        size = probe.get_window_extent(self.renderer)
        probe.remove()
        anchor_x, anchor_y = self.axes.transData.transform((x, y))
        scale = clearance_pt * self.axes.figure.dpi / 72
        shift_x = {"left": 0.0, "center": 0.5, "right": 1.0}
        shift_y = {"bottom": 0.0, "center": 0.5, "top": 1.0}
        best: tuple[float, int] | None = None
        for index, ((dx, dy), ha, va) in enumerate(self._CANDIDATES):
            x0 = anchor_x + dx * scale - shift_x[ha] * size.width
            y0 = anchor_y + dy * scale - shift_y[va] * size.height
            box = Bbox([[x0, y0], [x0 + size.width, y0 + size.height]]).expanded(1.08, 1.15)
            cost = sum(_overlap(box, other) for other in self.occupied)
            cost += 40.0 * sum(
                1 for px, py in self.line_points if box.x0 <= px <= box.x1 and box.y0 <= py <= box.y1
            )
            outside = box.width * box.height - _overlap(box, frame)
            cost += 10.0 * outside + index  # earlier candidates win ties
            if best is None or cost < best[0]:
                best = (cost, index)
        assert best is not None
        offset, ha, va = self._CANDIDATES[best[1]]
        label = self._annotate(x, y, text, offset, clearance_pt, ha, va, **style)
        label.set_gid(gid)
        self.occupied.append(label.get_window_extent(self.renderer).expanded(1.08, 1.15))
        return label

    def _annotate(
        self,
        x: float,
        y: float,
        text: str,
        offset: tuple[float, float],
        clearance_pt: float,
        ha: str,
        va: str,
        **style: Any,
    ) -> Text:
        return self.axes.annotate(
            text,
            (x, y),
            xytext=(offset[0] * clearance_pt, offset[1] * clearance_pt),
            textcoords="offset points",
            ha=ha,
            va=va,
            zorder=8,
            bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.8},
            **style,
        )


def _overlap(a: Bbox, b: Bbox) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width * height if width > 0 and height > 0 else 0.0


# --- The map ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Projection:
    """Equirectangular with its standard parallel through the middle of the map.

    Units are degrees of latitude in both directions, so one unit is about 111 km everywhere
    on the standard parallel and the map keeps true proportions there.
    """

    parallel_cos: float

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        return lon * self.parallel_cos, lat


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


_MAP_WIDTH_IN = 12.0
_MAP_LEFT_IN = 0.55  # room for the latitude labels
_TITLE_IN = 0.75
_TICKS_IN = 0.3
_LEGEND_IN = 0.8
_NOTE_LINE_IN = 0.2


def _map_figure(scenario: Scenario, plan: dict[str, Any]) -> _Drawing:
    cities = {c.id: c for c in scenario.cities}
    lats = [c.lat for c in scenario.cities]
    projection = _Projection(max(0.2, math.cos(math.radians((min(lats) + max(lats)) / 2))))
    xs = [projection(c.lat, c.lon)[0] for c in scenario.cities]
    margin = max(0.6, 0.07 * max(max(xs) - min(xs), max(lats) - min(lats)))
    x0, x1 = min(xs) - margin, max(xs) + margin
    y0, y1 = min(lats) - margin, max(lats) + margin * 0.8

    items = _in_force(scenario, plan)
    notes = _disruption_lines(scenario, items)

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
    notes_in = _NOTE_LINE_IN * (len(notes) + 1) + 0.1 if notes else 0.1
    below_in = notes_in + _LEGEND_IN + _TICKS_IN
    height_in = _TITLE_IN + map_height_in + below_in
    figure, renderer = _new_figure(_MAP_WIDTH_IN, height_in)
    axes = figure.add_axes(
        (
            _MAP_LEFT_IN / _MAP_WIDTH_IN,
            below_in / height_in,
            map_width_in / _MAP_WIDTH_IN,
            map_height_in / height_in,
        )
    )
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    axes.set_facecolor(SEA_COLOUR if _outlines() else "white")
    classes: dict[str, str] = {}

    _draw_outlines(axes, projection, scenario)
    _draw_graticule(axes, projection, x0, x1, y0, y1)
    _draw_scale_bar(axes, x0, x1, y0, y1)

    for road in scenario.roads:
        (ax_, ay), (bx, by) = (projection(cities[e].lat, cities[e].lon) for e in (road.a, road.b))
        line = Line2D([ax_, bx], [ay, by], color=ROAD_COLOUR, lw=1.0, zorder=1, solid_capstyle="round")
        line.set_gid(f"road-{road.id}")
        axes.add_line(line)
    for road_id in _closed_roads(scenario, items):
        road = next(r for r in scenario.roads if r.id == road_id)
        (ax_, ay), (bx, by) = (projection(cities[e].lat, cities[e].lon) for e in (road.a, road.b))
        line = Line2D([ax_, bx], [ay, by], color=CLOSURE_COLOUR, lw=2.0, ls=(0, (4, 3)), zorder=2)
        line.set_gid(f"closed-road-{road.id}")
        classes[f"closed-road-{road.id}"] = "closure closed-road"
        axes.add_line(line)

    placer = _Placer(axes, renderer, [], [])
    legs: list[dict[str, Any]] = plan.get("legs") or []
    seen_pairs: dict[tuple[str, str], int] = {}
    badges: list[tuple[float, float, int, str]] = []
    for index, leg in enumerate(legs):
        start = projection(cities[leg["from_city"]].lat, cities[leg["from_city"]].lon)
        end = projection(cities[leg["to_city"]].lat, cities[leg["to_city"]].lon)
        colour = MODE_COLOURS.get(leg["mode"], "#000000")
        gid = f"leg-{index}"
        classes[gid] = f"leg mode-{leg['mode']}"
        # The same trip between two cities again bends further, so repeated legs stay apart;
        # a return trip bends to the other side by itself.
        repeat = seen_pairs.get((leg["from_city"], leg["to_city"]), 0)
        seen_pairs[(leg["from_city"], leg["to_city"])] = repeat + 1
        rad = 0.16 + 0.14 * repeat
        if start == end:
            mark = Line2D([start[0]], [start[1]], marker="o", ms=12, mfc="none", mec=colour, zorder=3)
            mark.set_gid(gid)
            axes.add_line(mark)
            continue
        arrow = FancyArrowPatch(
            start,
            end,
            connectionstyle=f"arc3,rad={rad}",
            arrowstyle="-|>,head_length=6,head_width=3",
            color=colour,
            lw=2.0,
            shrinkA=7,
            shrinkB=7,
            zorder=3,
        )
        arrow.set_gid(gid)
        axes.add_patch(arrow)
        curve = _bezier_points(start, end, rad, 24)
        placer.line_points.extend(tuple(axes.transData.transform(p)) for p in curve[2:-2])
        mid = curve[len(curve) // 2]
        badges.append((mid[0], mid[1], index, colour))
    for x, y, index, colour in badges:
        badge = axes.text(
            x,
            y,
            str(index + 1),
            ha="center",
            va="center",
            fontsize=6.5,
            color=colour,
            fontweight="bold",
            zorder=5,
            bbox={"boxstyle": "circle,pad=0.18", "fc": "white", "ec": colour, "lw": 0.8},
        )
        badge.set_gid(f"leg-{index}-number")
        placer.occupied.append(badge.get_window_extent(renderer).expanded(1.3, 1.3))

    _draw_cities(axes, projection, scenario, plan, items, placer, classes)
    _draw_map_legend(figure, scenario, notes_in + _LEGEND_IN, height_in)
    _draw_map_texts(figure, scenario, plan, notes, height_in)
    return _Drawing(figure, classes)


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


def _draw_cities(
    axes: Axes,
    projection: _Projection,
    scenario: Scenario,
    plan: dict[str, Any],
    items: list[_InForce],
    placer: _Placer,
    classes: dict[str, str],
) -> None:
    held = {s["city"]: _instant(s["start"]) for s in plan.get("seminars") or []}
    seminar_cities = {s.city for s in scenario.seminars}
    start_city, end_city = scenario.delegation.start_city, scenario.delegation.end_city
    closed_terminals: dict[str, list[str]] = {}  # city -> its closed terminals
    closure_numbers: dict[str, list[int]] = {}  # city -> numbers of those closures in the key
    for number, item in enumerate(items, 1):
        if item.kind == DisruptionKind.TERMINAL_CLOSED and item.terminal is not None:
            city_id = scenario.terminal_city()[item.terminal].id
            closed_terminals.setdefault(city_id, []).append(item.terminal)
            closure_numbers.setdefault(city_id, []).append(number)

    # Start and end first, then seminar cities in plan order, then the rest: the important
    # labels get the best places.
    order = sorted(
        scenario.cities,
        key=lambda c: (
            c.id not in (start_city, end_city),
            c.id not in held,
            held.get(c.id, dt.datetime.max.replace(tzinfo=dt.UTC)),
            c.id not in seminar_cities,
            c.name,
        ),
    )
    for city in order:
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
        if city.id in held:
            mark = Line2D([x], [y], marker="o", ms=9, mfc="#111111", mec="white", mew=1.2, zorder=6)
        elif city.id in seminar_cities:
            mark = Line2D([x], [y], marker="o", ms=7, mfc="white", mec="#666666", mew=1.3, zorder=6)
        else:
            mark = Line2D([x], [y], marker="o", ms=4, mfc=OTHER_CITY_COLOUR, mec="none", zorder=6)
        mark.set_gid(f"city-{city.id}")
        classes[f"city-{city.id}"] = " ".join(kinds)
        axes.add_line(mark)
        placer.occupy_point(x, y, 8 if city.id in (start_city, end_city) else 5)

    for terminal_city, terminals in sorted(closed_terminals.items()):
        city = scenario.city(terminal_city)
        x, y = projection(city.lat, city.lon)
        for terminal in sorted(set(terminals)):
            cross = Line2D([x], [y], marker="X", ms=15, mfc=CLOSURE_COLOUR, mec="white", mew=1.0, zorder=7)
            cross.set_gid(f"closed-terminal-{terminal}")
            classes[f"closed-terminal-{terminal}"] = "closure closed-terminal"
            axes.add_line(cross)
        placer.occupy_point(x, y, 8)

    for city in order:
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
            role = (
                "start and end" if start_city == end_city else ("start" if city.id == start_city else "end")
            )
            text = f"{text}  ({role})"
        clearance = 11 if city.id in (start_city, end_city) else 7
        placer.place(x, y, text, f"label-{city.id}", clearance, **style)
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


def _disruption_lines(scenario: Scenario, items: list[_InForce]) -> list[str]:
    """One numbered line per closure or disruption, with local times and the note."""
    lines = []
    for number, item in enumerate(items, 1):
        # Service events and slowdowns apply to what starts in the interval, not to the hours.
        applies_to = {
            DisruptionKind.SERVICE_CANCELLED: "runs leaving ",
            DisruptionKind.SERVICE_DELAYED: "runs leaving ",
            DisruptionKind.ROAD_SLOWED: "drives starting ",
        }.get(item.kind, "")
        when = f"{applies_to}{_local_text(item.start)} to {_local_text(item.end)}"
        line = f"{number}  {_describe(scenario, item)}: {when}"
        if item.note:
            line += f"  ({item.note})"
        lines.append(line)
    return lines


def _draw_map_texts(
    figure: Figure, scenario: Scenario, plan: dict[str, Any], notes: list[str], height_in: float
) -> None:
    left = _MAP_LEFT_IN / _MAP_WIDTH_IN
    figure.text(
        left,
        1 - 0.3 / height_in,
        _title(scenario, plan, "route"),
        fontsize=13,
        fontweight="bold",
        va="center",
    )
    figure.text(
        left, 1 - 0.58 / height_in, _summary(scenario, plan), fontsize=9, color="#444444", va="center"
    )
    _draw_key(figure, notes, left, _NOTE_LINE_IN * (len(notes) + 1) + 0.1, height_in)


def _draw_key(figure: Figure, lines: list[str], left: float, block_in: float, height_in: float) -> None:
    """The numbered closures and disruptions, in a block of the given height at the bottom."""
    if not lines:
        return
    top = block_in - _NOTE_LINE_IN
    heading = "Closures and disruptions in force (local times):"
    figure.text(left, top / height_in, heading, fontsize=8.5, fontweight="bold", va="bottom")
    for index, line in enumerate(lines):
        y = (top - _NOTE_LINE_IN * (index + 1)) / height_in
        text = figure.text(
            left + 0.15 / figure.get_figwidth(), y, line, fontsize=8, va="bottom", color=CLOSURE_COLOUR
        )
        text.set_gid(f"disruption-note-{index + 1}")


def _title(scenario: Scenario, plan: dict[str, Any], what: str) -> str:
    version = plan.get("version", 1)
    return f"{scenario.name}: {what}, version {version}"


def _summary(scenario: Scenario, plan: dict[str, Any]) -> str:
    totals = plan.get("totals") or {}
    coverage = plan.get("coverage") or {}
    parts = [f"{plan.get('status', '?')}"]
    if plan.get("seminars") is not None:
        parts.append(f"{len(plan.get('seminars') or [])} seminars")
    if coverage:
        covered = len(coverage.get("regions_covered") or [])
        parts.append(f"{covered} of {covered + len(coverage.get('regions_uncovered') or [])} regions")
    if totals:
        parts.append(f"{totals.get('travel_hours', 0):.1f} h travel, {totals.get('distance_km', 0):,.0f} km")
    if plan.get("now") and plan.get("based_on") is not None:
        where = (plan.get("position") or {}).get("city")
        replanned = f"replanned from version {plan['based_on']} at {_local_text(_instant(plan['now']))}"
        parts.append(replanned + (f" in {scenario.city(where).name}" if where else ""))
    return ";  ".join(parts)


# --- The timeline -------------------------------------------------------------------------


def _hours(moment: dt.datetime) -> float:
    return moment.hour + moment.minute / 60 + moment.second / 3600


def _day_segments(
    start: dt.datetime, end: dt.datetime, home: ZoneInfo, first_day: dt.date
) -> Iterator[tuple[int, float, float]]:
    """(row, from hour, to hour) of each home-zone calendar day an interval touches."""
    local_start, local_end = start.astimezone(home), end.astimezone(home)
    day = local_start.date()
    while day <= local_end.date():
        begin = _hours(local_start) if day == local_start.date() else 0.0
        finish = _hours(local_end) if day == local_end.date() else 24.0
        if finish > begin:
            yield (day - first_day).days, begin, finish
        day += dt.timedelta(days=1)


_ROW_IN = 0.62
_HALO = {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85}
_BAR = 0.26  # half-height of a bar, in rows


def _timeline_figure(scenario: Scenario, plan: dict[str, Any]) -> _Drawing:
    home_city = scenario.city(scenario.delegation.start_city)
    home = home_city.zone
    first_day = scenario.calendar.start_date
    seminars: list[dict[str, Any]] = plan.get("seminars") or []
    legs: list[dict[str, Any]] = plan.get("legs") or []
    items = _in_force(scenario, plan)

    last_instants = [_instant(s["end"]) for s in seminars] + [_instant(leg["arrive"]) for leg in legs]
    last_row = max(
        [scenario.calendar.horizon_days - 1]
        + [(t.astimezone(home).date() - first_day).days for t in last_instants]
    )
    rows = last_row + 1
    days = [first_day + dt.timedelta(days=i) for i in range(rows)]
    offsets = sorted({_offset(dt.datetime.combine(d, dt.time(12), tzinfo=home)) for d in days})

    width_in, left_in, right_in = 14.0, 1.0, 1.9
    key = _disruption_lines(scenario, items)
    key_in = _NOTE_LINE_IN * (len(key) + 1) + 0.1 if key else 0.0
    title_in, axis_in = 0.75, 0.45
    legend_in = 0.75 + key_in
    height_in = title_in + axis_in + rows * _ROW_IN + legend_in
    figure, renderer = _new_figure(width_in, height_in)
    axes = figure.add_axes(
        (
            left_in / width_in,
            legend_in / height_in,
            (width_in - left_in - right_in) / width_in,
            rows * _ROW_IN / height_in,
        )
    )
    axes.set_xlim(0, 24)
    axes.set_ylim(rows - 0.5, -0.5)
    axes.set_xticks(range(0, 25, 2), [f"{h:02d}:00" for h in range(0, 25, 2)])
    axes.set_xticks(range(25), minor=True)
    axes.tick_params(axis="x", labelsize=8, top=True, labeltop=True, colors="#444444")
    axes.tick_params(axis="y", length=0, labelsize=9)
    axes.set_yticks(range(rows), [f"{d:%a} {d.day} {d:%b}" for d in days])
    for label, day in zip(axes.get_yticklabels(), days, strict=True):
        if day.weekday() >= 5:
            label.set_color("#9a6a00")
    axes.grid(True, axis="x", which="major", color="#d8d8d8", lw=0.6)
    axes.grid(True, axis="x", which="minor", color="#efefef", lw=0.4)
    axes.set_axisbelow(True)
    axes.set_xlabel(f"local time in {home_city.name} (UTC{'/'.join(offsets)})", fontsize=9, color="#444444")
    classes: dict[str, str] = {}

    for row, day in enumerate(days):
        if row % 2:
            stripe = Rectangle((0, row - 0.5), 24, 1, fc="#fafafa", ec="none", zorder=0)
            axes.add_patch(stripe)
        separator = Line2D([0, 24], [row + 0.5, row + 0.5], color="#cfcfcf", lw=0.6, zorder=0.6)
        separator.set_gid(f"day-{day.isoformat()}")
        axes.add_line(separator)

    _draw_nights(axes, scenario, plan, home, first_day, rows, classes)
    _draw_disruptions(axes, renderer, scenario, items, home, first_day, rows, classes)

    occupied: list[Bbox] = []
    for seminar in seminars:
        start, end = _instant(seminar["start"]), _instant(seminar["end"])
        name = seminar.get("city_name") or scenario.city(seminar["city"]).name
        text = f"{name}\n{start:%H:%M}-{end:%H:%M} {_offset(start)}"
        gid = f"seminar-{seminar['city']}"
        classes[gid] = "seminar"
        for part, (row, begin, finish) in enumerate(_day_segments(start, end, home, first_day)):
            if not 0 <= row < rows:
                continue
            bar = Rectangle(
                (begin, row - _BAR), finish - begin, 2 * _BAR, fc=SEMINAR_COLOUR, ec="none", zorder=4
            )
            bar.set_gid(gid if part == 0 else f"{gid}-continued")
            axes.add_patch(bar)
            if part == 0:
                _bar_label(
                    axes,
                    renderer,
                    occupied,
                    begin,
                    finish,
                    row,
                    text,
                    "white",
                    fontsize=7.5,
                    fontweight="bold",
                    linespacing=1.1,
                )

    for index, leg in enumerate(legs):
        depart, arrive = _instant(leg["depart"]), _instant(leg["arrive"])
        colour = MODE_COLOURS.get(leg["mode"], "#000000")
        gid = f"leg-{index}"
        classes[gid] = f"leg mode-{leg['mode']}"
        segments = [s for s in _day_segments(depart, arrive, home, first_day) if 0 <= s[0] < rows]
        for part, (row, begin, finish) in enumerate(segments):
            bar = Rectangle(
                (begin, row - _BAR), finish - begin, 2 * _BAR, fc=colour, ec="white", lw=0.6, zorder=5
            )
            bar.set_gid(gid if part == 0 else f"{gid}-continued")
            axes.add_patch(bar)
        if segments:
            row, begin, finish = max(segments, key=lambda s: s[2] - s[1])
            _bar_label(
                axes,
                renderer,
                occupied,
                begin,
                finish,
                row,
                leg["service"],
                "white",
                fontsize=7.5,
                fontweight="bold",
            )
            route = f"{scenario.city(leg['from_city']).name} → {scenario.city(leg['to_city']).name}"
            _route_label(axes, renderer, occupied, begin, finish, row, route, colour)

    if plan.get("now"):
        # The moment this version was made: what lies before it could no longer change.
        now = _instant(plan["now"])
        row, hour = (now.astimezone(home).date() - first_day).days, _hours(now.astimezone(home))
        if 0 <= row < rows:
            marker = Line2D([hour, hour], [row - 0.5, row + 0.5], color="#111111", lw=1.6, zorder=7)
            marker.set_gid("now")
            axes.add_line(marker)
            note = f" replanned {now:%H:%M} {_offset(now)}"
            axes.text(hour, row + 0.47, note, fontsize=6.5, va="bottom", ha="left", zorder=7, bbox=_HALO)

    figure.text(
        left_in / width_in,
        1 - 0.28 / height_in,
        _title(scenario, plan, "day by day"),
        fontsize=13,
        fontweight="bold",
        va="center",
    )
    figure.text(
        left_in / width_in,
        1 - 0.52 / height_in,
        _summary(scenario, plan),
        fontsize=9,
        color="#444444",
        va="center",
    )
    figure.text(
        1 - (right_in - 0.3) / width_in,
        (legend_in + rows * _ROW_IN + 0.2) / height_in,
        "night in",
        fontsize=8.5,
        fontweight="bold",
        color="#555555",
        va="center",
    )
    handles: list[Any] = [Patch(fc=SEMINAR_COLOUR, label="seminar")]
    handles += [Patch(fc=MODE_COLOURS[m.value], label=m.value) for m in Mode]
    handles += [
        Patch(fc=NIGHT_COLOUR, label="night hours"),
        Patch(fill=False, ec=DISRUPTION_HATCH_COLOUR, hatch="//", lw=0.6, label="closure or disruption"),
    ]
    legend = figure.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(left_in / width_in, (key_in + 0.08) / height_in),
        ncol=len(handles),
        fontsize=8.5,
        frameon=False,
    )
    legend.set_gid("legend")
    _draw_key(figure, key, left_in / width_in, key_in, height_in)
    return _Drawing(figure, classes)


def _bar_label(
    axes: Axes,
    renderer: RendererBase,
    occupied: list[Bbox],
    begin: float,
    finish: float,
    row: int,
    text: str,
    colour: str,
    **style: Any,
) -> None:
    """A label inside its bar when it fits, else just above it."""
    label = axes.text(
        (begin + finish) / 2, row, text, ha="center", va="center", color=colour, zorder=6, **style
    )
    box = label.get_window_extent(renderer)
    bar = axes.transData.transform([(begin, row), (finish, row)])
    if box.width <= abs(bar[1][0] - bar[0][0]) - 4:
        occupied.append(box)
        return
    label.set_color("#222222")
    label.set_position((begin, row - _BAR - 0.03))
    label.set_horizontalalignment("left")
    label.set_verticalalignment("bottom")
    occupied.append(label.get_window_extent(renderer))


def _route_label(
    axes: Axes,
    renderer: RendererBase,
    occupied: list[Bbox],
    begin: float,
    finish: float,
    row: int,
    text: str,
    colour: str,
) -> None:
    """The route under its bar; moved right, then above, when it would cover another label."""
    candidates = [
        ((begin + finish) / 2, row + _BAR + 0.03, "center", "top"),
        (begin, row + _BAR + 0.03, "left", "top"),
        ((begin + finish) / 2, row - _BAR - 0.03, "center", "bottom"),
    ]
    frame = axes.get_window_extent(renderer)
    best: tuple[float, int] | None = None
    for index, (x, y, ha, va) in enumerate(candidates):
        label = axes.text(x, y, text, ha=ha, va=va, fontsize=6.5, color=colour, zorder=6, bbox=_HALO)
        box = label.get_window_extent(renderer)
        label.remove()
        cost = sum(_overlap(box, other) for other in occupied)
        cost += 10.0 * (box.width * box.height - _overlap(box, frame)) + index
        if best is None or cost < best[0]:
            best = (cost, index)
    assert best is not None
    x, y, ha, va = candidates[best[1]]
    label = axes.text(x, y, text, ha=ha, va=va, fontsize=6.5, color=colour, zorder=6, bbox=_HALO)
    occupied.append(label.get_window_extent(renderer))


def _draw_nights(
    axes: Axes,
    scenario: Scenario,
    plan: dict[str, Any],
    home: ZoneInfo,
    first_day: dt.date,
    rows: int,
    classes: dict[str, str],
) -> None:
    """Each night's hours shaded, and where the delegation sleeps in the right margin."""
    night = scenario.delegation.rules.night
    start_min, end_min = night.minutes()
    for entry in plan.get("nights") or []:
        day = dt.date.fromisoformat(entry["date"])
        begin_day = day if end_min <= start_min else day + dt.timedelta(days=1)
        begin = dt.datetime.combine(begin_day, dt.time(start_min // 60, start_min % 60), tzinfo=home)
        end = dt.datetime.combine(
            day + dt.timedelta(days=1), dt.time(end_min // 60, end_min % 60), tzinfo=home
        )
        gid = f"night-{day.isoformat()}"
        classes[gid] = "night"
        for part, (row, first, last) in enumerate(_day_segments(begin, end, home, first_day)):
            if 0 <= row < rows:
                band = Rectangle((first, row - 0.5), last - first, 1, fc=NIGHT_COLOUR, ec="none", zorder=1)
                band.set_gid(gid if part == 0 else f"{gid}-continued")
                axes.add_patch(band)
        row = (day - first_day).days
        if not 0 <= row < rows:
            continue
        if entry.get("on"):
            where = f"on {entry.get('mode') or ''} {entry['on']}".replace("  ", " ")
        elif entry.get("city"):
            where = scenario.city(entry["city"]).name + (" (in transit)" if entry.get("in_transit") else "")
        else:
            where = "?"
        axes.text(24.6, row, where, fontsize=8.5, va="center", ha="left", color="#333333", clip_on=False)


def _draw_disruptions(
    axes: Axes,
    renderer: RendererBase,
    scenario: Scenario,
    items: list[_InForce],
    home: ZoneInfo,
    first_day: dt.date,
    rows: int,
    classes: dict[str, str],
) -> None:
    """Every closure and disruption in force, hatched over the hours it covers, with its number.

    The hatching has no fill and one opaque colour, so overlapping disruptions look like one
    band instead of darkening, and the night shading stays visible underneath.
    """
    frame = axes.get_window_extent(renderer)
    starts: dict[tuple[int, float], list[int]] = {}
    for number, item in enumerate(items, 1):
        gid = f"disruption-{item.id}"
        segments = [s for s in _day_segments(item.start, item.end, home, first_day) if 0 <= s[0] < rows]
        for part, (row, begin, finish) in enumerate(segments):
            band = Rectangle(
                (begin, row - 0.5),
                finish - begin,
                1,
                fill=False,
                ec=DISRUPTION_HATCH_COLOUR,
                hatch="//",
                lw=0.0,
                zorder=2,
            )
            band_id = gid if part == 0 else f"{gid}-{part + 1}"
            band.set_gid(band_id)
            classes[band_id] = f"disruption kind-{item.kind.value}"
            axes.add_patch(band)
        if segments and segments[0][1] > 0:
            row, begin, _finish = segments[0]
            edge = Line2D([begin, begin], [row - 0.5, row + 0.5], color=CLOSURE_COLOUR, lw=1.0, zorder=2)
            axes.add_line(edge)
        if segments:
            starts.setdefault((segments[0][0], round(segments[0][1], 3)), []).append(number)

    placed: list[Bbox] = []
    for (row, begin), numbers in sorted(starts.items()):
        # A disruption alone at its start is named; several starting together show their numbers.
        item = items[numbers[0] - 1]
        texts = [", ".join(map(str, numbers))]
        if len(numbers) == 1:
            texts.insert(0, f"{numbers[0]}  {_describe(scenario, item, short=True)}")
        for text in texts:
            label = axes.text(
                begin + 0.08,
                row - 0.47,
                text,
                fontsize=6.5,
                va="top",
                ha="left",
                color=CLOSURE_COLOUR,
                fontweight="bold",
                zorder=7,
                bbox=_HALO,
            )
            box = label.get_window_extent(renderer)
            if text == texts[-1] or (box.x1 <= frame.x1 and not any(_overlap(box, o) for o in placed)):
                placed.append(box)
                break
            label.remove()
