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

Ids and classes: ``team-<team>`` (the heading, class ``team-heading team-<team>``) and
``team-<team>-rows`` (the colour beside the group's days); in each group the single timeline's
ids with the team's id after the kind: ``day-<team>-<date>``, ``seminar-<team>-<city>`` (class
``seminar team-<team>``), ``leg-<team>-<i>`` (class ``leg mode-<mode> team-<team>``),
``night-<team>-<date>``, ``disruption-<team>-<event id>``, ``now-<team>``.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from planner.domain import Scenario
from planner.pictures.disruptions import disruption_lines, in_force
from planner.pictures.drawing import (
    NOTE_LINE_IN,
    Drawing,
    draw_key,
    new_figure,
    team_colour,
    team_heading,
    team_summary,
    team_title,
)
from planner.pictures.plan_view import TeamPlanView, TeamShown
from planner.pictures.timeline import (
    _AXIS_IN,
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
    _set_up_axes,
)

_BRACKET_X = (-0.083, -0.077)  # the team's colour beside its days, in the axes' width


def _groups(scenario: Scenario, plan: TeamPlanView) -> list[_Days]:
    """Each team's days under its heading row: the same days for every team, as many as the
    longest plan needs."""
    longest = max((_days(scenario, team.plan) for team in plan.teams), key=lambda days: days.rows)
    return [
        _Days(longest.home, longest.first_day, longest.rows, index * (longest.rows + 1) + 1, team.id)
        for index, team in enumerate(plan.teams)
    ]


def draw_team_timeline(scenario: Scenario, plan: TeamPlanView) -> Drawing:
    groups = _groups(scenario, plan)
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
    for index, (team, days) in enumerate(zip(plan.teams, groups, strict=True)):
        _draw_team_heading(axes, index, team, days, classes)
        _draw_day_rows(axes, days)
        _draw_nights(axes, scenario, team.plan, days, classes)
        _draw_disruptions(axes, renderer, scenario, items, days, classes)
        _draw_seminars(axes, renderer, scenario, team.plan, days, occupied, classes)
        _draw_legs(axes, renderer, scenario, team.plan, days, occupied, classes)
        _draw_now(axes, team.plan, days)
    heading = team_title(scenario, plan, "{teams} teams day by day")
    _draw_timeline_texts(figure, heading, team_summary(scenario, plan), rows, height_in, legend_in)
    _draw_timeline_legend(figure, key_in, height_in)
    draw_key(figure, key, _LEFT_IN / _WIDTH_IN, key_in, height_in)
    return Drawing(figure, classes)


def _draw_team_heading(axes: Axes, index: int, team: TeamShown, days: _Days, classes: dict[str, str]) -> None:
    """The row over the team's days in a tint of its colour, naming it; its colour beside its days."""
    colour = team_colour(index)
    row = days.first_row - 1
    band = Rectangle((0, row - 0.5), 24, 1, fc=colour, alpha=0.16, ec="none", zorder=0.7)
    axes.add_patch(band)
    strip = Rectangle((0, row - 0.5), 0.25, 1, fc=colour, ec="none", zorder=0.8)
    axes.add_patch(strip)
    label = axes.text(
        0.45,
        row,
        team_heading(index, team),
        fontsize=9.5,
        fontweight="bold",
        va="center",
        ha="left",
        zorder=8,
    )
    label.set_gid(f"team-{team.id}")
    classes[f"team-{team.id}"] = f"team-heading team-{team.id}"
    bracket = Rectangle(
        (_BRACKET_X[0], days.first_row - 0.45),
        _BRACKET_X[1] - _BRACKET_X[0],
        days.rows - 0.1,
        transform=axes.get_yaxis_transform(),
        fc=colour,
        ec="none",
        clip_on=False,
    )
    bracket.set_gid(f"team-{team.id}-rows")
    classes[f"team-{team.id}-rows"] = f"team-rows team-{team.id}"
    axes.add_patch(bracket)
