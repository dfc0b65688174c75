"""The timeline of a team plan: a group of rows per team, a heading row naming the team over its days.

Each team travels on its own for the whole trip, so each team gets the single plan's timeline
as a block of its own: a heading row in the team's colour (its letter, name and members, as on
the map), then one row per day with its seminars, legs, night hours and where it sleeps in the
margin, and the closures and disruptions in force hatched over the hours they cover. A team's
trip reads top to bottom without the other teams' bars in between, as a member reads their own
plan, and every group shows the same days, so what the teams do on one date is found on the same
line of each block. One lane per team inside each day would put two or three teams' bars and
labels in one row, and the nights' margin would need a place per team on each line; the groups
keep the single timeline's layout and its label placement unchanged. Legs keep their mode
colours (the same key as the single timeline); the team is told by its group and its colour
beside the group's days.

A member who joins a team en route (the team's ``joiner``) gets rows of their own under the
team's days: a heading row saying who joins where and when, from home where (``Aj``, as on the
map), then the days of their own trip from home until they join, drawn as a plan of one person
(their legs, nights and the seminar where they join). A line in the team's colour marks the
moment they join, at the start of that seminar, in their rows and in the team's, where it is
labelled with their name.

Ids and classes: ``team-<team>`` (the heading, class ``team-heading team-<team>``) and
``team-<team>-rows`` (the colour beside the group's days); in each group the single timeline's
ids with the team's id after the kind: ``day-<team>-<date>``, ``seminar-<team>-<city>`` (class
``seminar team-<team>``), ``leg-<team>-<i>`` (class ``leg mode-<mode> team-<team>``),
``night-<team>-<date>``, ``disruption-<team>-<event id>``, ``now-<team>``. A joiner's rows:
``joiner-<team>`` (their heading, class ``joiner-heading team-<team>``), ``joiner-<team>-rows``,
the same ids as the team's starting ``joiner-`` (``joiner-leg-<team>-<i>``, class
``leg mode-<mode> joiner team-<team>``), and the marks of the join ``joins-<team>`` (in the
team's rows, labelled ``joins-<team>-label``) and ``joiner-joins-<team>`` (in theirs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from planner.domain import Scenario
from planner.pictures.disruptions import InForce, disruption_lines, in_force
from planner.pictures.drawing import (
    NOTE_LINE_IN,
    Drawing,
    draw_key,
    joiner_tag,
    joiner_text,
    new_figure,
    overlap,
    team_colour,
    team_heading,
    team_summary,
    team_title,
)
from planner.pictures.plan_view import JoinerShown, PlanView, TeamPlanView, TeamShown
from planner.pictures.timeline import (
    _AXIS_IN,
    _HALO,
    _LEFT_IN,
    _RIGHT_IN,
    _ROW_IN,
    _TITLE_IN,
    _WIDTH_IN,
    _Days,
    _days,
    _draw_day_rows,
    _draw_disruptions,
    _draw_legs,
    _draw_nights,
    _draw_now,
    _draw_seminars,
    _draw_timeline_legend,
    _draw_timeline_texts,
    _hours,
    _set_up_axes,
)

_BRACKET_X = (-0.083, -0.077)  # the team's colour beside its days, in the axes' width


@dataclass(frozen=True)
class _Block:
    """A team's rows: its days, and under them its joiner's own days, if a member joins en route."""

    index: int
    team: TeamShown
    days: _Days
    joiner: _Days | None


def _blocks(scenario: Scenario, plan: TeamPlanView) -> list[_Block]:
    """Each team's days under its heading row: the same days for every team, as many as the
    longest plan needs; a joiner's days, from their first day away from home to the day they
    join, under a heading row of their own after the team's."""
    longest = max((_days(scenario, team.plan) for team in plan.teams), key=lambda days: days.rows)
    blocks, row = [], 0
    for index, team in enumerate(plan.teams):
        days = _Days(longest.home, longest.first_day, longest.rows, row + 1, team.id)
        row += longest.rows + 1
        joiner = None
        if team.joiner is not None:
            first, last = _joiner_dates(team.joiner, longest)
            joiner = _Days(longest.home, first, (last - first).days + 1, row + 1, team.id, joiner=True)
            row += joiner.rows + 1
        blocks.append(_Block(index, team, days, joiner))
    return blocks


def _joiner_dates(joiner: JoinerShown, days: _Days) -> tuple[dt.date, dt.date]:
    """The first and last day (in the timeline's zone) of a joiner's own trip: the day they join
    last, and the first of their legs and nights before it."""
    last = joiner.at.astimezone(days.home).date()
    dates = [leg.depart.astimezone(days.home).date() for leg in joiner.plan.legs]
    dates += [night.date for night in joiner.plan.nights]
    return min([last, *dates]), last


def draw_team_timeline(scenario: Scenario, plan: TeamPlanView) -> Drawing:
    blocks = _blocks(scenario, plan)
    groups = [days for block in blocks for days in (block.days, block.joiner) if days is not None]
    rows = groups[-1].first_row + groups[-1].rows
    items = in_force(scenario, plan)
    key = disruption_lines(scenario, items)
    key_in = NOTE_LINE_IN * (len(key) + 1) + 0.1 if key else 0.0
    legend_in = 0.75 + key_in
    height_in = _TITLE_IN + _AXIS_IN + rows * _ROW_IN + legend_in
    figure, renderer = new_figure(_WIDTH_IN, height_in)
    axes = figure.add_axes(
        (
            _LEFT_IN / _WIDTH_IN,
            legend_in / height_in,
            (_WIDTH_IN - _LEFT_IN - _RIGHT_IN) / _WIDTH_IN,
            rows * _ROW_IN / height_in,
        )
    )
    _set_up_axes(axes, scenario, groups, rows)
    classes: dict[str, str] = {}
    occupied: list[Bbox] = []
    for block in blocks:
        team, days = block.team, block.days
        _draw_team_heading(axes, block.index, team, days, classes)
        _draw_plan_rows(axes, renderer, scenario, items, team.plan, days, occupied, classes)
        _draw_now(axes, team.plan, days)
        if block.joiner is not None:
            _draw_joiner(axes, renderer, scenario, items, block, block.joiner, occupied, classes)
    heading = team_title(scenario, plan, "{teams} teams day by day")
    _draw_timeline_texts(figure, heading, team_summary(scenario, plan), rows, height_in, legend_in)
    _draw_timeline_legend(figure, key_in, height_in)
    draw_key(figure, key, _LEFT_IN / _WIDTH_IN, key_in, height_in)
    return Drawing(figure, classes)


def _draw_plan_rows(
    axes: Axes,
    renderer: RendererBase,
    scenario: Scenario,
    items: list[InForce],
    plan: PlanView,
    days: _Days,
    occupied: list[Bbox],
    classes: dict[str, str],
) -> None:
    """A plan in its rows, as the single timeline draws it."""
    _draw_day_rows(axes, days)
    _draw_nights(axes, scenario, plan, days, classes)
    _draw_disruptions(axes, renderer, scenario, items, plan, days, classes)
    _draw_seminars(axes, renderer, scenario, plan, days, occupied, classes)
    _draw_legs(axes, renderer, scenario, plan, days, occupied, classes)


def _draw_joiner(
    axes: Axes,
    renderer: RendererBase,
    scenario: Scenario,
    items: list[InForce],
    block: _Block,
    days: _Days,
    occupied: list[Bbox],
    classes: dict[str, str],
) -> None:
    """The join marked in the team's rows, then the joiner's heading row and own days, the join
    marked there too."""
    team, colour = block.team, team_colour(block.index)
    assert team.joiner is not None
    at = team.joiner.at
    _draw_join_mark(axes, renderer, block.days, at, colour, f"joins-{team.id}", occupied, team.joiner.name)
    how = "own way there" if team.joiner.plan.legs else "no travel"
    heading = f"{joiner_tag(block.index)}  {joiner_text(scenario, block.index, team)}: {how}"
    _draw_heading(axes, colour, heading, days, f"joiner-{team.id}", 0.08, 0.45)
    classes[f"joiner-{team.id}"] = f"joiner-heading team-{team.id}"
    classes[f"joiner-{team.id}-rows"] = f"joiner-rows team-{team.id}"
    _draw_plan_rows(axes, renderer, scenario, items, team.joiner.plan, days, occupied, classes)
    _draw_join_mark(axes, renderer, days, at, colour, f"joiner-joins-{team.id}", occupied, None)


def _draw_join_mark(
    axes: Axes,
    renderer: RendererBase,
    days: _Days,
    at: dt.datetime,
    colour: str,
    gid: str,
    occupied: list[Bbox],
    name: str | None,
) -> None:
    """A line in the team's colour across the row at the moment the joiner joins, a triangle on
    top; ``NAME joins`` beside it, clear of the labels placed, when ``name`` is given."""
    local = at.astimezone(days.home)
    row, hour = days.row(local.date()), _hours(local)
    if not days.shows(row):
        return
    mark = Line2D(
        [hour, hour], [row - 0.5, row + 0.5], color=colour, lw=2.2, marker="v", ms=7, markevery=[0], zorder=7
    )
    mark.set_gid(gid)
    axes.add_line(mark)
    if name is None:
        return
    frame = axes.get_window_extent(renderer)
    best: tuple[float, Bbox, tuple[float, float, str, str]] | None = None
    for index, place in enumerate(
        [
            (hour - 0.12, row + 0.47, "right", "bottom"),
            (hour + 0.12, row + 0.47, "left", "bottom"),
            (hour - 0.12, row - 0.47, "right", "top"),
            (hour + 0.12, row - 0.47, "left", "top"),
        ]
    ):
        x, y, ha, va = place
        label = axes.text(x, y, f"{name} joins", ha=ha, va=va, fontsize=7, color=colour, fontweight="bold")
        box = label.get_window_extent(renderer)
        label.remove()
        cost = sum(overlap(box, other) for other in occupied) + index
        cost += 10.0 * (box.width * box.height - overlap(box, frame))
        if best is None or cost < best[0]:
            best = (cost, box, place)
    assert best is not None
    x, y, ha, va = best[2]
    label = axes.text(
        x, y, f"{name} joins", ha=ha, va=va, fontsize=7, color=colour, fontweight="bold", zorder=8, bbox=_HALO
    )
    label.set_gid(f"{gid}-label")
    occupied.append(label.get_window_extent(renderer))


def _draw_heading(
    axes: Axes, colour: str, text: str, days: _Days, gid: str, tint: float, bracket_alpha: float | None
) -> None:
    """A heading row over ``days`` in a tint of ``colour``, and ``colour`` beside the days (faded by
    ``bracket_alpha``, if given)."""
    row = days.first_row - 1
    band = Rectangle((0, row - 0.5), 24, 1, fc=colour, alpha=tint, ec="none", zorder=0.7)
    axes.add_patch(band)
    strip = Rectangle((0, row - 0.5), 0.25, 1, fc=colour, alpha=bracket_alpha, ec="none", zorder=0.8)
    axes.add_patch(strip)
    label = axes.text(0.45, row, text, fontsize=9.5, fontweight="bold", va="center", ha="left", zorder=8)
    label.set_gid(gid)
    bracket = Rectangle(
        (_BRACKET_X[0], days.first_row - 0.45),
        _BRACKET_X[1] - _BRACKET_X[0],
        days.rows - 0.1,
        transform=axes.get_yaxis_transform(),
        fc=colour,
        alpha=bracket_alpha,
        ec="none",
        clip_on=False,
    )
    bracket.set_gid(f"{gid}-rows")
    axes.add_patch(bracket)


def _draw_team_heading(axes: Axes, index: int, team: TeamShown, days: _Days, classes: dict[str, str]) -> None:
    """The row over the team's days in a tint of its colour, naming it; its colour beside its days."""
    _draw_heading(axes, team_colour(index), team_heading(index, team), days, f"team-{team.id}", 0.16, None)
    classes[f"team-{team.id}"] = f"team-heading team-{team.id}"
    classes[f"team-{team.id}-rows"] = f"team-rows team-{team.id}"
