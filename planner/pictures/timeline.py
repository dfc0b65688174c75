"""The timeline: one row per home-zone calendar day, with seminars, legs, nights and disruptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import Bbox

from planner.domain import Mode, Scenario
from planner.pictures.disruptions import InForce, Reach, describe, disruption_lines, in_force, touches
from planner.pictures.drawing import (
    CLOSURE_COLOUR,
    DISRUPTION_HATCH_COLOUR,
    MODE_COLOURS,
    NIGHT_COLOUR,
    NOTE_LINE_IN,
    SEMINAR_COLOUR,
    Drawing,
    draw_key,
    new_figure,
    offset_text,
    overlap,
    summary,
    title,
)
from planner.pictures.plan_view import PlanView

_ROW_IN = 0.62
_HALO = {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85}
_BAR = 0.26  # half-height of a bar, in rows
_WIDTH_IN, _LEFT_IN, _RIGHT_IN = 14.0, 1.0, 1.9
_TITLE_IN, _AXIS_IN = 0.75, 0.45


def _hours(moment: dt.datetime) -> float:
    return moment.hour + moment.minute / 60 + moment.second / 3600


@dataclass(frozen=True)
class _Days:
    """The rows of the timeline: home-zone calendar days from the calendar's first.

    In a team plan's timeline, one team's group of rows: from ``first_row`` down, its elements'
    ids and classes naming the team; or the rows of the member who joins the team en route
    (``joiner``), their ids starting ``joiner-`` and their classes saying ``joiner``."""

    home: ZoneInfo
    first_day: dt.date
    rows: int
    first_row: int = 0
    team: str | None = None
    joiner: bool = False

    def row(self, day: dt.date) -> int:
        return self.first_row + (day - self.first_day).days

    def shows(self, row: int) -> bool:
        return self.first_row <= row < self.first_row + self.rows

    def gid(self, kind: str, *rest: object) -> str:
        """``<kind>-<rest>``, or ``<kind>-<team>-<rest>`` in a team's group (``joiner-<kind>-...``
        in its joiner's)."""
        return "-".join(
            ["joiner"] * self.joiner + [kind, *([self.team] if self.team else []), *map(str, rest)]
        )

    def css(self, classes: str) -> str:
        if self.joiner:
            classes = f"{classes} joiner"
        return f"{classes} team-{self.team}" if self.team else classes

    def segments(self, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[int, float, float]]:
        """(row, from hour, to hour) of each day an interval touches, rows outside the timeline too."""
        local_start, local_end = start.astimezone(self.home), end.astimezone(self.home)
        day = local_start.date()
        while day <= local_end.date():
            begin = _hours(local_start) if day == local_start.date() else 0.0
            finish = _hours(local_end) if day == local_end.date() else 24.0
            if finish > begin:
                yield self.row(day), begin, finish
            day += dt.timedelta(days=1)

    def shown_segments(self, start: dt.datetime, end: dt.datetime) -> list[tuple[int, float, float]]:
        return [s for s in self.segments(start, end) if self.shows(s[0])]

    def dates(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=i) for i in range(self.rows)]


def _days(scenario: Scenario, plan: PlanView) -> _Days:
    """The calendar's horizon, longer when the plan ends after it."""
    home = scenario.city(scenario.delegation.start_city).zone
    first_day = scenario.calendar.start_date
    last_instants = [s.end for s in plan.seminars] + [leg.arrive for leg in plan.legs]
    last_row = max(
        [scenario.calendar.horizon_days - 1]
        + [(t.astimezone(home).date() - first_day).days for t in last_instants]
    )
    return _Days(home, first_day, last_row + 1)


def draw_timeline(scenario: Scenario, plan: PlanView) -> Drawing:
    days = _days(scenario, plan)
    items = in_force(scenario, plan)
    key = disruption_lines(scenario, items)
    key_in = NOTE_LINE_IN * (len(key) + 1) + 0.1 if key else 0.0
    legend_in = 0.75 + key_in
    height_in = _TITLE_IN + _AXIS_IN + days.rows * _ROW_IN + legend_in
    figure, renderer = new_figure(_WIDTH_IN, height_in)
    axes = figure.add_axes(
        (
            _LEFT_IN / _WIDTH_IN,
            legend_in / height_in,
            (_WIDTH_IN - _LEFT_IN - _RIGHT_IN) / _WIDTH_IN,
            days.rows * _ROW_IN / height_in,
        )
    )
    _set_up_axes(axes, scenario, [days], days.rows)
    classes: dict[str, str] = {}
    _draw_day_rows(axes, days)
    _draw_nights(axes, scenario, plan, days, classes)
    _draw_disruptions(axes, renderer, scenario, items, plan, days, classes)
    occupied: list[Bbox] = []
    _draw_seminars(axes, renderer, scenario, plan, days, occupied, classes)
    _draw_legs(axes, renderer, scenario, plan, days, occupied, classes)
    _draw_now(axes, plan, days)
    heading = title(scenario, plan, "day by day")
    _draw_timeline_texts(figure, heading, summary(scenario, plan), days.rows, height_in, legend_in)
    _draw_timeline_legend(figure, key_in, height_in)
    draw_key(figure, key, _LEFT_IN / _WIDTH_IN, key_in, height_in)
    return Drawing(figure, classes)


def _set_up_axes(axes: Axes, scenario: Scenario, groups: list[_Days], rows: int) -> None:
    """Hours across, one row per day down (in each group of days), weekends' dates in another colour."""
    home_city = scenario.city(scenario.delegation.start_city)
    home = groups[0].home
    dates = [day for days in groups for day in days.dates()]
    offsets = sorted({offset_text(dt.datetime.combine(d, dt.time(12), tzinfo=home)) for d in dates})
    axes.set_xlim(0, 24)
    axes.set_ylim(rows - 0.5, -0.5)
    axes.set_xticks(range(0, 25, 2), [f"{h:02d}:00" for h in range(0, 25, 2)])
    axes.set_xticks(range(25), minor=True)
    axes.tick_params(axis="x", labelsize=8, top=True, labeltop=True, colors="#444444")
    axes.tick_params(axis="y", length=0, labelsize=9)
    ticks = [days.first_row + index for days in groups for index in range(days.rows)]
    axes.set_yticks(ticks, [f"{d:%a} {d.day} {d:%b}" for d in dates])
    for label, day in zip(axes.get_yticklabels(), dates, strict=True):
        if day.weekday() >= 5:
            label.set_color("#9a6a00")
    axes.grid(True, axis="x", which="major", color="#d8d8d8", lw=0.6)
    axes.grid(True, axis="x", which="minor", color="#efefef", lw=0.4)
    axes.set_axisbelow(True)
    axes.set_xlabel(f"local time in {home_city.name} (UTC{'/'.join(offsets)})", fontsize=9, color="#444444")


def _draw_day_rows(axes: Axes, days: _Days) -> None:
    for index, day in enumerate(days.dates()):
        row = days.first_row + index
        if index % 2:
            stripe = Rectangle((0, row - 0.5), 24, 1, fc="#fafafa", ec="none", zorder=0)
            axes.add_patch(stripe)
        separator = Line2D([0, 24], [row + 0.5, row + 0.5], color="#cfcfcf", lw=0.6, zorder=0.6)
        separator.set_gid(days.gid("day", day.isoformat()))
        axes.add_line(separator)


def _draw_seminars(
    axes: Axes,
    renderer: RendererBase,
    scenario: Scenario,
    plan: PlanView,
    days: _Days,
    occupied: list[Bbox],
    classes: dict[str, str],
) -> None:
    for seminar in plan.seminars:
        start, end = seminar.start, seminar.end
        name = seminar.city_name or scenario.city(seminar.city).name
        text = f"{name}\n{start:%H:%M}-{end:%H:%M} {offset_text(start)}"
        gid = days.gid("seminar", seminar.city)
        classes[gid] = days.css("seminar")
        for part, (row, begin, finish) in enumerate(days.segments(start, end)):
            if not days.shows(row):
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


def _draw_legs(
    axes: Axes,
    renderer: RendererBase,
    scenario: Scenario,
    plan: PlanView,
    days: _Days,
    occupied: list[Bbox],
    classes: dict[str, str],
) -> None:
    for index, leg in enumerate(plan.legs):
        colour = MODE_COLOURS.get(leg.mode, "#000000")
        gid = days.gid("leg", index)
        classes[gid] = days.css(f"leg mode-{leg.mode}")
        segments = days.shown_segments(leg.depart, leg.arrive)
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
                leg.service,
                "white",
                fontsize=7.5,
                fontweight="bold",
            )
            route = f"{scenario.city(leg.from_city).name} → {scenario.city(leg.to_city).name}"
            _route_label(axes, renderer, occupied, begin, finish, row, route, colour)


def _draw_now(axes: Axes, plan: PlanView, days: _Days) -> None:
    """The moment this version was made: what lies before it could no longer change."""
    if plan.now is None:
        return
    now = plan.now
    row, hour = days.row(now.astimezone(days.home).date()), _hours(now.astimezone(days.home))
    if days.shows(row):
        marker = Line2D([hour, hour], [row - 0.5, row + 0.5], color="#111111", lw=1.6, zorder=7)
        marker.set_gid(days.gid("now"))
        axes.add_line(marker)
        note = f" replanned {now:%H:%M} {offset_text(now)}"
        axes.text(hour, row + 0.47, note, fontsize=6.5, va="bottom", ha="left", zorder=7, bbox=_HALO)


def _draw_timeline_texts(
    figure: Figure, heading: str, summary_text: str, rows: int, height_in: float, legend_in: float
) -> None:
    """The title and summary over the timeline, and the heading of the nights' margin."""
    figure.text(
        _LEFT_IN / _WIDTH_IN,
        1 - 0.28 / height_in,
        heading,
        fontsize=13,
        fontweight="bold",
        va="center",
    )
    figure.text(
        _LEFT_IN / _WIDTH_IN,
        1 - 0.52 / height_in,
        summary_text,
        fontsize=9,
        color="#444444",
        va="center",
    )
    figure.text(
        1 - (_RIGHT_IN - 0.3) / _WIDTH_IN,
        (legend_in + rows * _ROW_IN + 0.2) / height_in,
        "night in",
        fontsize=8.5,
        fontweight="bold",
        color="#555555",
        va="center",
    )


def _draw_timeline_legend(figure: Figure, key_in: float, height_in: float) -> None:
    handles: list[Any] = [Patch(fc=SEMINAR_COLOUR, label="seminar")]
    handles += [Patch(fc=MODE_COLOURS[m.value], label=m.value) for m in Mode]
    handles += [
        Patch(fc=NIGHT_COLOUR, label="night hours"),
        Patch(fill=False, ec=DISRUPTION_HATCH_COLOUR, hatch="//", lw=0.6, label="closure or disruption"),
    ]
    legend = figure.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(_LEFT_IN / _WIDTH_IN, (key_in + 0.08) / height_in),
        ncol=len(handles),
        fontsize=8.5,
        frameon=False,
    )
    legend.set_gid("legend")


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
        cost = sum(overlap(box, other) for other in occupied)
        cost += 10.0 * (box.width * box.height - overlap(box, frame)) + index
        if best is None or cost < best[0]:
            best = (cost, index)
    assert best is not None
    x, y, ha, va = candidates[best[1]]
    label = axes.text(x, y, text, ha=ha, va=va, fontsize=6.5, color=colour, zorder=6, bbox=_HALO)
    occupied.append(label.get_window_extent(renderer))


def _draw_nights(
    axes: Axes, scenario: Scenario, plan: PlanView, days: _Days, classes: dict[str, str]
) -> None:
    """Each night's hours shaded, and where the delegation sleeps in the right margin."""
    night = scenario.delegation.rules.night
    start_min, end_min = night.minutes()
    home = days.home
    for entry in plan.nights:
        day = entry.date
        begin_day = day if end_min <= start_min else day + dt.timedelta(days=1)
        begin = dt.datetime.combine(begin_day, dt.time(start_min // 60, start_min % 60), tzinfo=home)
        end = dt.datetime.combine(
            day + dt.timedelta(days=1), dt.time(end_min // 60, end_min % 60), tzinfo=home
        )
        gid = days.gid("night", day.isoformat())
        classes[gid] = days.css("night")
        for part, (row, first, last) in enumerate(days.segments(begin, end)):
            if days.shows(row):
                band = Rectangle((first, row - 0.5), last - first, 1, fc=NIGHT_COLOUR, ec="none", zorder=1)
                band.set_gid(gid if part == 0 else f"{gid}-continued")
                axes.add_patch(band)
        row = days.row(day)
        if not days.shows(row):
            continue
        if entry.on:
            where = f"on {entry.mode or ''} {entry.on}".replace("  ", " ")
        elif entry.city:
            where = scenario.city(entry.city).name + (" (stop on the way)" if entry.in_transit else "")
        else:
            where = "?"
        axes.text(24.6, row, where, fontsize=8.5, va="center", ha="left", color="#333333", clip_on=False)


def _reach(scenario: Scenario, plan: PlanView, days: _Days) -> dict[int, Reach]:
    """Each row's places (where the delegation stays or travels that day) and its legs' services."""
    places: dict[int, set[str]] = {}
    services: dict[int, set[str]] = {}
    last = days.first_row + days.rows - 1

    def row_of(moment: dt.datetime) -> int:
        return days.row(moment.astimezone(days.home).date())

    def stay(city: str, begin: int, end: int) -> None:
        for row in range(max(begin, days.first_row), min(end, last) + 1):
            places.setdefault(row, set()).add(city)

    legs = sorted(plan.legs, key=lambda leg: leg.depart)
    where, since = (legs[0].from_city if legs else scenario.delegation.start_city), days.first_row
    for leg in legs:
        stay(where, since, row_of(leg.depart))
        for row in range(row_of(leg.depart), row_of(leg.arrive) + 1):
            places.setdefault(row, set()).update((leg.from_city, leg.to_city))
            services.setdefault(row, set()).add(leg.service)
        where, since = leg.to_city, row_of(leg.arrive)
    stay(where, since, last)
    for seminar in plan.seminars:
        stay(seminar.city, row_of(seminar.start), row_of(seminar.end))
    return {
        row: Reach(frozenset(places.get(row, ())), frozenset(services.get(row, ())))
        for row in range(days.first_row, last + 1)
    }


def _draw_disruptions(
    axes: Axes,
    renderer: RendererBase,
    scenario: Scenario,
    items: list[InForce],
    plan: PlanView,
    days: _Days,
    classes: dict[str, str],
) -> None:
    """Each closure and disruption in force, hatched over the hours it covers on the rows it bears
    on (at a place of the row or on a leg of it, ``disruptions.touches``), with its number; one
    that bears on no row is only listed in the key.

    The hatching has no fill and one opaque colour, so overlapping disruptions look like one
    band instead of darkening, and the night shading stays visible underneath.
    """
    reach = _reach(scenario, plan, days)
    starts: dict[tuple[int, float], list[int]] = {}
    for number, item in enumerate(items, 1):
        gid = days.gid("disruption", item.id)
        segments = [
            segment
            for segment in days.shown_segments(item.start, item.end)
            if touches(scenario, item, reach[segment[0]])
        ]
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
            classes[band_id] = days.css(f"disruption kind-{item.kind.value}")
            axes.add_patch(band)
        if segments and segments[0][1] > 0:
            row, begin, _finish = segments[0]
            edge = Line2D([begin, begin], [row - 0.5, row + 0.5], color=CLOSURE_COLOUR, lw=1.0, zorder=2)
            axes.add_line(edge)
        if segments:
            starts.setdefault((segments[0][0], round(segments[0][1], 3)), []).append(number)
    _number_disruptions(axes, renderer, scenario, items, starts)


def _number_disruptions(
    axes: Axes,
    renderer: RendererBase,
    scenario: Scenario,
    items: list[InForce],
    starts: dict[tuple[int, float], list[int]],
) -> None:
    """A disruption alone at its start is named; several starting together show their numbers."""
    frame = axes.get_window_extent(renderer)
    placed: list[Bbox] = []
    for (row, begin), numbers in sorted(starts.items()):
        item = items[numbers[0] - 1]
        texts = [", ".join(map(str, numbers))]
        if len(numbers) == 1:
            texts.insert(0, f"{numbers[0]}  {describe(scenario, item, short=True)}")
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
            if text == texts[-1] or (box.x1 <= frame.x1 and not any(overlap(box, o) for o in placed)):
                placed.append(box)
                break
            label.remove()
