"""The route map's labels and leg numbers: no two meet, and none covers a city's mark, a closure
cross or an arrowhead, on the flagship's plans and on a crowded synthetic plan."""

from __future__ import annotations

import re
from itertools import combinations
from typing import Any

import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from planner.domain import Scenario
from planner.pictures.drawing import drawing_style
from planner.pictures.map import draw_map
from planner.pictures.plan_view import read_plan
from planner.synthetic import synthetic_scenario
from tests.conftest import make_plan, unhurried
from tests.test_pictures import flagship_versions  # noqa: F401  (a fixture)

_MARK = re.compile(r"(city|start-end|closed-terminal)-.*")


def crowded() -> tuple[Scenario, dict[str, Any]]:
    """24 cities, two of them 200 km apart both holding a seminar, and 12 legs, some of them short."""
    scenario = unhurried(synthetic_scenario(24, 8, 3, flights_per_day=2))
    return scenario, make_plan(scenario)


# The crowded synthetic plan takes a while to solve: it is in the slow tier.
@pytest.fixture(
    scope="module",
    params=["flagship-v1", "flagship-v2", pytest.param("synthetic-24x8", marks=pytest.mark.slow)],
)
def measured(request, flagship_versions) -> tuple[dict[str, Bbox], dict[str, Bbox], dict[str, Bbox]]:  # noqa: F811
    """The map drawn with Agg: every text's box (with its frame), every mark's, every arrowhead's."""
    if request.param == "synthetic-24x8":
        scenario, plan = crowded()
    else:
        scenario, first, second = flagship_versions
        plan = first if request.param == "flagship-v1" else second
    with drawing_style():
        figure = draw_map(scenario, read_plan(plan)).figure
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        axes = figure.axes[0]
        texts = {f"{t.get_gid() or t.get_text()}": drawn_box(t, renderer) for t in axes.texts}
        marks = {
            f"{line.get_gid()}": line.get_window_extent(renderer)
            for line in axes.lines
            if isinstance(line, Line2D) and _MARK.fullmatch(line.get_gid() or "")
        }
        heads = {
            f"{patch.get_gid()}-head": arrowhead(patch, axes)
            for patch in axes.patches
            if isinstance(patch, FancyArrowPatch)
        }
    assert len(heads) == sum(1 for leg in plan["legs"] if leg["from_city"] != leg["to_city"])
    assert {f"city-{c.id}" for c in scenario.cities} <= set(marks)
    return texts, marks, heads


def drawn_box(text: Text, renderer: Any) -> Bbox:
    """The text's glyphs and, where it has one, its frame as drawn."""
    frame = text.get_bbox_patch()
    glyphs = text.get_window_extent(renderer)
    return glyphs if frame is None else Bbox.union([glyphs, frame.get_window_extent(renderer)])


def arrowhead(arrow: FancyArrowPatch, axes: Any) -> Bbox:
    """The arrowhead: the last closed part of the arrow's drawn path, in display units."""
    parts = axes.transData.transform_path(arrow.get_path()).to_polygons(closed_only=False)
    assert len(parts) == 2  # the line, then the head
    xs, ys = zip(*parts[-1], strict=True)
    return Bbox([[min(xs), min(ys)], [max(xs), max(ys)]])


def _meet(a: Bbox, b: Bbox) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5


def test_no_two_labels_or_leg_numbers_meet(measured):
    texts, _marks, _heads = measured
    assert any(gid.endswith("-number") for gid in texts) and any(gid.startswith("label-") for gid in texts)
    assert [(a, b) for (a, box_a), (b, box_b) in combinations(texts.items(), 2) if _meet(box_a, box_b)] == []


def test_no_label_or_leg_number_covers_a_mark_or_an_arrowhead(measured):
    texts, marks, heads = measured
    clashes = [
        (a, b) for a, box_a in texts.items() for b, box_b in {**marks, **heads}.items() if _meet(box_a, box_b)
    ]
    assert clashes == []


def test_aktau_labels_keep_off_the_arrowheads_into_aktau(flagship_versions):  # noqa: F811
    """Version 2 flies into Aktau while its airport is closed: the city's label and the closure's
    label sit beside the cross and the arrowheads, not on them."""
    scenario, _first, second = flagship_versions
    with drawing_style():
        figure = draw_map(scenario, read_plan(second)).figure
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        axes = figure.axes[0]
        into_aktau = [i for i, leg in enumerate(second["legs"]) if leg["to_city"] == "aktau"]
        heads = [
            arrowhead(p, axes)
            for p in axes.patches
            if isinstance(p, FancyArrowPatch) and p.get_gid() in {f"leg-{i}" for i in into_aktau}
        ]
        labels = [
            drawn_box(t, renderer)
            for t in axes.texts
            if t.get_gid() in ("label-aktau", "closed-terminal-SCO-label")
        ]
        cross = next(line for line in axes.lines if line.get_gid() == "closed-terminal-SCO")
        cross_box = cross.get_window_extent(renderer)
    assert heads and len(labels) == 2
    assert not any(_meet(label, other) for label in labels for other in [*heads, cross_box])


def test_leg_numbers_sit_on_no_city_dot(measured):
    """A leg's number (7 once sat on Atyrau's dot) is placed along its arrow clear of every city."""
    texts, marks, _heads = measured
    numbers = {gid: box for gid, box in texts.items() if gid.endswith("-number")}
    dots = {gid: box for gid, box in marks.items() if gid.startswith("city-")}
    assert [(n, d) for n, a in numbers.items() for d, b in dots.items() if _meet(a, b)] == []
