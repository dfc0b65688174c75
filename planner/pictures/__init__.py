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

A team plan (``delegation-team-plan/1``) is drawn by ``team_map`` and ``team_timeline``: each
team in its colour, its legs numbered with its letter, a group of days per team; their
docstrings list their ids, which carry the team's id (``leg-<team>-<i>``). A member who joins a
team en route is drawn with it: their own legs thin and dashed in its colour (Aj1, ...) on the map,
rows of their own under the team's on the timeline, the join marked (ids ``joiner-...``).

One module per picture (``map``, ``timeline``; for team plans ``team_map``, ``team_timeline``),
with what they share in ``drawing`` (colours, the figure and its output, times and titles),
``disruptions`` (what is in force, in words) and ``labels`` (placing the map's labels). The plan
JSON, of one team or several, is read in ``plan_view`` alone.
"""

from __future__ import annotations

from planner.domain import Scenario
from planner.pictures.drawing import (
    BORDER_COLOUR,
    CLOSURE_COLOUR,
    DISRUPTION_HATCH_COLOUR,
    HOME_LAND_COLOUR,
    LAND_COLOUR,
    MODE_COLOURS,
    NIGHT_COLOUR,
    OTHER_CITY_COLOUR,
    ROAD_COLOUR,
    SEA_COLOUR,
    SEMINAR_COLOUR,
    TEAM_COLOURS,
    png_image,
    svg_document,
)
from planner.pictures.map import draw_map
from planner.pictures.plan_view import PlanInput, is_team_plan, read_plan, read_team_plan
from planner.pictures.team_map import draw_team_map
from planner.pictures.team_timeline import draw_team_timeline
from planner.pictures.timeline import draw_timeline

__all__ = [
    "BORDER_COLOUR",
    "CLOSURE_COLOUR",
    "DISRUPTION_HATCH_COLOUR",
    "HOME_LAND_COLOUR",
    "LAND_COLOUR",
    "MODE_COLOURS",
    "NIGHT_COLOUR",
    "OTHER_CITY_COLOUR",
    "ROAD_COLOUR",
    "SEA_COLOUR",
    "SEMINAR_COLOUR",
    "TEAM_COLOURS",
    "render_map_png",
    "render_map_svg",
    "render_timeline_png",
    "render_timeline_svg",
]


def render_map_svg(scenario: Scenario, plan: PlanInput) -> str:
    """The route on a map of the scenario's cities, as an SVG document (a team plan: every team's)."""
    if is_team_plan(plan):
        return svg_document(draw_team_map, scenario, read_team_plan(plan))
    return svg_document(draw_map, scenario, read_plan(plan))


def render_map_png(scenario: Scenario, plan: PlanInput, dpi: int = 110) -> bytes:
    """The route map as a PNG image."""
    if is_team_plan(plan):
        return png_image(draw_team_map, scenario, read_team_plan(plan), dpi)
    return png_image(draw_map, scenario, read_plan(plan), dpi)


def render_timeline_svg(scenario: Scenario, plan: PlanInput) -> str:
    """The trip day by day (home-zone local time), as an SVG document (a team plan: team by team)."""
    if is_team_plan(plan):
        return svg_document(draw_team_timeline, scenario, read_team_plan(plan))
    return svg_document(draw_timeline, scenario, read_plan(plan))


def render_timeline_png(scenario: Scenario, plan: PlanInput, dpi: int = 110) -> bytes:
    """The day-by-day timeline as a PNG image."""
    if is_team_plan(plan):
        return png_image(draw_team_timeline, scenario, read_team_plan(plan), dpi)
    return png_image(draw_timeline, scenario, read_plan(plan), dpi)
