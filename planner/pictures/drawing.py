"""What the map and the timeline share: colours, the figure and its output, times and texts."""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import matplotlib
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from planner.domain import Mode, Scenario
from planner.pictures.plan_view import PlanView, TeamPlanView, TeamShown

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

# A team plan's pictures colour each team, in the plan's order of teams (so a team keeps its colour
# from version to version): Okabe-Ito again, without the red kept for closures and the yellow
# that is hard to see on white. Beyond five teams the colours repeat; each team's letter tells
# them apart. The mode is then told by the line's style.
TEAM_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9")
MODE_LINE_STYLES: dict[str, Any] = {
    Mode.FLIGHT.value: "solid",
    Mode.TRAIN.value: (0, (5, 2)),
    Mode.BUS.value: (0, (1, 1.6)),
    Mode.DRIVE.value: (0, (5, 1.6, 1, 1.6)),
}

NOTE_LINE_IN = 0.2  # height of one line of the closures and disruptions key

_DPI = 100  # layout is measured at this resolution; PNGs may be written at another
_FONT = "DejaVu Sans"
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


# --- Output -------------------------------------------------------------------------------


@dataclass
class Drawing:
    figure: Figure
    classes: dict[str, str]  # element id -> SVG class


View = TypeVar("View")  # what a picture reads of a plan: a PlanView, or a TeamPlanView
Draw = Callable[[Scenario, View], Drawing]


@contextmanager
def drawing_style() -> Iterator[None]:
    """The pictures' settings, for one picture at a time (drawing, measuring and saving it)."""
    with _RENDERING, matplotlib.rc_context(_STYLE):
        yield


def svg_document(draw: Draw[View], scenario: Scenario, plan: View) -> str:
    with drawing_style():
        drawing = draw(scenario, plan)
        buffer = io.StringIO()
        drawing.figure.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    return _with_classes(buffer.getvalue(), drawing.classes)


def png_image(draw: Draw[View], scenario: Scenario, plan: View, dpi: int) -> bytes:
    with drawing_style():
        drawing = draw(scenario, plan)
        buffer = io.BytesIO()
        drawing.figure.savefig(buffer, format="png", dpi=dpi, metadata=_PNG_METADATA)
    return buffer.getvalue()


def _with_classes(svg: str, classes: dict[str, str]) -> str:
    """Add ``class`` to the groups matplotlib writes for artists with a gid."""
    for element_id, css_class in classes.items():
        svg = svg.replace(f'<g id="{element_id}">', f'<g id="{element_id}" class="{css_class}">', 1)
    return svg


def new_figure(width_in: float, height_in: float) -> tuple[Figure, RendererBase]:
    figure = Figure(figsize=(width_in, height_in), dpi=_DPI, facecolor="white")
    # Text is measured with the Agg renderer so labels can be placed without overlaps.
    renderer = FigureCanvasAgg(figure).get_renderer()
    return figure, renderer


def overlap(a: Bbox, b: Bbox) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width * height if width > 0 and height > 0 else 0.0


# --- Times --------------------------------------------------------------------------------


def offset_text(moment: dt.datetime) -> str:
    """UTC offset as a person reads it: ``+06``, ``+05:45``."""
    delta = moment.utcoffset() or dt.timedelta(0)
    sign = "-" if delta < dt.timedelta(0) else "+"
    minutes = abs(int(delta.total_seconds())) // 60
    hours, rest = divmod(minutes, 60)
    return f"{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")


def local_text(moment: dt.datetime, with_day: bool = True) -> str:
    clock = f"{moment:%H:%M} {offset_text(moment)}"
    return f"{moment:%a} {moment.day} {moment:%b} {clock}" if with_day else clock


# --- Texts --------------------------------------------------------------------------------


def title(scenario: Scenario, plan: PlanView, what: str) -> str:
    return f"{scenario.name}: {what}, version {plan.version}"


def summary(scenario: Scenario, plan: PlanView) -> str:
    parts = [f"{plan.status}"]
    if plan.has_seminars:
        parts.append(f"{len(plan.seminars)} seminars")
    if plan.coverage is not None:
        covered = plan.coverage.covered
        parts.append(f"{covered} of {covered + plan.coverage.uncovered} regions")
    if plan.totals is not None:
        parts.append(f"{plan.totals.travel_hours:.1f} h travel, {plan.totals.distance_km:,.0f} km")
    if plan.now is not None and plan.based_on is not None:
        where = plan.position_city
        replanned = f"replanned from version {plan.based_on} at {local_text(plan.now)}"
        parts.append(replanned + (f" in {scenario.city(where).name}" if where else ""))
    return ";  ".join(parts)


def draw_key(figure: Figure, lines: list[str], left: float, block_in: float, height_in: float) -> None:
    """The numbered closures and disruptions, in a block of the given height at the bottom."""
    if not lines:
        return
    top = block_in - NOTE_LINE_IN
    heading = "Closures and disruptions in force (local times):"
    figure.text(left, top / height_in, heading, fontsize=8.5, fontweight="bold", va="bottom")
    for index, line in enumerate(lines):
        y = (top - NOTE_LINE_IN * (index + 1)) / height_in
        text = figure.text(
            left + 0.15 / figure.get_figwidth(), y, line, fontsize=8, va="bottom", color=CLOSURE_COLOUR
        )
        text.set_gid(f"disruption-note-{index + 1}")


# --- Teams --------------------------------------------------------------------------------


def team_colour(index: int) -> str:
    """The colour of the plan's ``index``-th team (from 0)."""
    return TEAM_COLOURS[index % len(TEAM_COLOURS)]


def team_letter(index: int) -> str:
    """The letter naming the ``index``-th team on the pictures: A, B, ... Z, then AA, AB, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def team_heading(index: int, team: TeamShown) -> str:
    """``A  East team — 2 members: Trainer A (trainer), Ministry official A (ministry)``."""
    who = ", ".join(f"{m.name} ({m.role})" for m in team.members)
    count = f"{len(team.members)} member{'s' if len(team.members) != 1 else ''}"
    return f"{team_letter(index)}  {team.name} — {count}: {who}"


def joiner_tag(index: int) -> str:
    """What names the member who joins the ``index``-th team en route: ``Aj``; their legs Aj1, ..."""
    return f"{team_letter(index)}j"


def joiner_text(scenario: Scenario, index: int, team: TeamShown) -> str:
    """``UNDP officer A joins A at Pavlodar, Tue 19 Jan 09:30 +06, from home in Astana``."""
    joiner = team.joiner
    assert joiner is not None
    city, home = scenario.city(joiner.city).name, scenario.city(joiner.home_city).name
    return f"{joiner.name} joins {team_letter(index)} at {city}, {local_text(joiner.at)}, from home in {home}"


def team_title(scenario: Scenario, plan: TeamPlanView, what: str) -> str:
    """``what`` with ``{teams}`` standing for the number of teams: ``routes of {teams} teams``."""
    return f"{scenario.name}: {what.format(teams=len(plan.teams))}, version {plan.version}"


def team_summary(scenario: Scenario, plan: TeamPlanView) -> str:
    """What the teams do together: seminars and regions, and travel summed over the teams."""
    seminars = sum(len(team.plan.seminars) for team in plan.teams)
    covered = plan.coverage.covered
    parts = [plan.status, f"{seminars} seminars", f"{covered} of {covered + plan.coverage.uncovered} regions"]
    totals = [team.plan.totals for team in plan.teams if team.plan.totals is not None]
    hours, km = sum(t.travel_hours for t in totals), sum(t.distance_km for t in totals)
    parts.append(f"{hours:.1f} h travel, {km:,.0f} km summed over the teams")
    if plan.now is not None and plan.based_on is not None:
        parts.append(f"replanned from version {plan.based_on} at {local_text(plan.now)}")
    return ";  ".join(parts)
