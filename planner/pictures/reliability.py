"""The reliability picture of a plan: how many regions the samples covered, and its fragile legs on the map.

Drawn from a risk report (``planner.risk.report``) and the plan it was made for. At the top, one bar
per number of regions the samples covered (the report's ``regions_histogram``) beside the key
figures; below, the plan's route on the map of ``planner.pictures.map`` (drawn by its own
functions), each leg's width and colour given by its fragility: the share of samples in which the
leg was disrupted or lost. A leg the report does not list is drawn thin and grey; the report lists
the most fragile legs only (``FRAGILE_SHOWN``), so a thin leg was disrupted in no more samples
than the least fragile one listed.

Elements a program may look for: ``bar-<regions>`` (class ``bar``, plus ``all-regions`` for the
plan's own count), ``leg-<i>`` (class ``leg mode-<mode> fragile`` or ``... robust``, ``i`` the
index in ``plan['legs']``), ``expected-regions``, ``fragile-leg-<n>`` and ``fragile-city-<n>``
(the lists under the map), and the map's own ids (``city-<city>``, ``road-<road>``, ...).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from planner.domain import Scenario
from planner.pictures.disruptions import in_force
from planner.pictures.drawing import SEA_COLOUR, Drawing, local_text, new_figure, svg_document
from planner.pictures.labels import Placer
from planner.pictures.map import (
    _Area,
    _draw_graticule,
    _draw_outlines,
    _draw_roads,
    _draw_scale_bar,
    _map_area,
    _outlines,
    draw_plan_marks,
)
from planner.pictures.plan_view import PlanView, read_plan
from planner.risk.replay import _leg_label
from planner.risk.report import RiskReport

_WIDTH_IN = 12.0
_LEFT_IN = 0.55  # as the map: room for the latitude labels
_TITLE_IN = 1.05  # the title, its subtitle and the histogram's own title
_HISTOGRAM_IN = 2.3
_HISTOGRAM_WIDTH_IN = 5.4
_GAP_IN = 0.6  # the histogram's axis labels
_TICKS_IN = 0.3
_LEGEND_IN = 0.6
_LINE_IN = 0.2

ROBUST_COLOUR = "#9aa3ad"
ALL_REGIONS_COLOUR = "#009e73"
BAR_COLOUR = "#0072b2"
ROBUST_WIDTH = 1.2  # points
SHARE_WIDTH = 7.0  # points added to a leg disrupted in every sample
# Yellow to dark red: light for a leg rarely disrupted, dark for one disrupted in most samples.
_FRAGILITY = colormaps["YlOrRd"]


def leg_width(share: float) -> float:
    """The line width (points) of a leg disrupted or lost in ``share`` of the samples."""
    return ROBUST_WIDTH + SHARE_WIDTH * max(0.0, min(1.0, share))


def leg_colour(share: float) -> str:
    if share <= 0:
        return ROBUST_COLOUR
    return to_hex(_FRAGILITY(0.35 + 0.65 * min(1.0, share)))


def risk_svg(scenario: Scenario, plan: Mapping[str, Any], report: RiskReport) -> str:
    """The reliability picture of ``plan`` (a plan JSON) under ``report``, as an SVG document."""
    view = read_plan(plan)
    # The labels the report names legs by, in the plan's order (the order of the map's legs).
    labels = [_leg_label(leg) for leg in plan["legs"]]
    return svg_document(functools.partial(_draw, labels=labels, report=report), scenario, view)


def _draw(scenario: Scenario, view: PlanView, *, labels: list[str], report: RiskReport) -> Drawing:
    area = _map_area(scenario)
    leg_lines = _fragile_leg_lines(view, labels, report)
    city_lines = _fragile_city_lines(scenario, report)
    list_in = _LINE_IN * (max(len(leg_lines), len(city_lines)) + 1) + 0.15
    below_in = list_in + _LEGEND_IN + _TICKS_IN
    height_in = _TITLE_IN + _HISTOGRAM_IN + _GAP_IN + area.height_in + below_in
    figure, renderer = new_figure(_WIDTH_IN, height_in)
    classes: dict[str, str] = {}
    left = _LEFT_IN / _WIDTH_IN
    histogram_bottom_in = below_in + area.height_in + _GAP_IN
    histogram = figure.add_axes(
        (left, histogram_bottom_in / height_in, _HISTOGRAM_WIDTH_IN / _WIDTH_IN, _HISTOGRAM_IN / height_in)
    )
    _draw_histogram(histogram, report, classes)
    _draw_figures(figure, report, (_LEFT_IN + _HISTOGRAM_WIDTH_IN + 0.6) / _WIDTH_IN, height_in)
    axes = figure.add_axes(
        (left, below_in / height_in, area.width_in / _WIDTH_IN, area.height_in / height_in)
    )
    _draw_route(axes, renderer, scenario, view, area, dict(report.fragile_legs), labels, classes)
    _draw_width_legend(figure, (list_in + _LEGEND_IN) / height_in)
    _draw_lists(figure, leg_lines, city_lines, list_in, height_in)
    figure.text(
        left,
        1 - 0.3 / height_in,
        f"{scenario.name}: reliability, version {view.version}",
        fontsize=13,
        fontweight="bold",
        va="center",
    )
    policy = (
        "replanning at each announcement"
        if report.policy == "replan"
        else "following the plan as it is (no replanning)"
    )
    figure.text(
        left,
        1 - 0.58 / height_in,
        f"{report.samples} sampled winters (seed {report.seed}), {policy}",
        fontsize=9,
        color="#444444",
        va="center",
    )
    return Drawing(figure, classes)


def _draw_histogram(axes: Axes, report: RiskReport, classes: dict[str, str]) -> None:
    """One bar per number of regions covered, its height the share of samples."""
    counts = dict(report.regions_histogram)
    low = min([*counts, report.plan_regions])
    for regions, samples in sorted(counts.items()):
        share = samples / report.samples
        colour = ALL_REGIONS_COLOUR if regions >= report.plan_regions else BAR_COLOUR
        (bar,) = axes.bar([regions], [share * 100], width=0.7, color=colour, zorder=2)
        bar.set_gid(f"bar-{regions}")
        classes[f"bar-{regions}"] = "bar all-regions" if regions >= report.plan_regions else "bar"
        shown = f"{share * 100:.0f} %" if share >= 0.01 else "<1 %"  # one sample of many is not 0 %
        axes.text(regions, share * 100 + 1.5, shown, ha="center", va="bottom", fontsize=7.5)
    mean = report.regions
    band = axes.axvspan(mean.low, mean.high, color="#d00000", alpha=0.12, lw=0, zorder=1)
    band.set_gid("expected-regions-interval")
    line = axes.axvline(mean.value, color="#d00000", lw=1.2, ls=(0, (4, 2)), zorder=3)
    line.set_gid("expected-regions")
    axes.set_xlim(low - 0.7, report.plan_regions + 0.7)
    axes.set_ylim(0, 112)
    axes.set_xticks(range(low, report.plan_regions + 1))
    axes.set_ylabel("share of samples (%)", fontsize=8)
    axes.set_xlabel(f"regions covered (the plan: {report.plan_regions})", fontsize=8)
    axes.tick_params(labelsize=7.5, length=2)
    axes.grid(True, axis="y", color="#e4e7ec", lw=0.6, zorder=0)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title("How many regions the delegation covered", fontsize=9, loc="left")


def _draw_figures(figure: Figure, report: RiskReport, left: float, height_in: float) -> None:
    """The key figures beside the histogram, reliability first."""
    rows = [
        (
            f"Reliability: {report.all_regions.value * 100:.1f} %",
            f"P(all {report.plan_regions} regions), 95 % interval "
            f"{report.all_regions.low * 100:.1f}-{report.all_regions.high * 100:.1f} %",
        ),
        (
            f"Expected regions: {report.regions.value:.2f} of {report.plan_regions}",
            f"95 % interval {report.regions.low:.2f}-{report.regions.high:.2f} (red dashes on the bars)",
        ),
        (
            f"Expected cities: {report.cities.value:.2f} of {report.plan_cities}",
            f"95 % interval {report.cities.low:.2f}-{report.cities.high:.2f}",
        ),
        (
            f"Back by the end: {report.back.value * 100:.1f} %",
            f"95 % interval {report.back.low * 100:.1f}-{report.back.high * 100:.1f} %",
        ),
        (
            f"Extra hours on legs: {report.extra_travel_hours_mean:.1f} mean, "
            f"{report.extra_travel_hours_p90:.1f} p90",
            f"extra nights: {report.extra_nights_mean:.2f} mean, {report.extra_nights_p90:.0f} p90",
        ),
    ]
    top_in = _TITLE_IN + 0.25
    for index, (head, detail) in enumerate(rows):
        y_in = top_in + index * 0.44
        text = figure.text(
            left,
            1 - y_in / height_in,
            head,
            fontsize=11 if index == 0 else 9.5,
            fontweight="bold",
            va="center",
            color="#1d2733",
        )
        text.set_gid(f"figure-{index}")
        figure.text(left, 1 - (y_in + 0.19) / height_in, detail, fontsize=8, color="#5b6573", va="center")


def _draw_route(
    axes: Axes,
    renderer: RendererBase,
    scenario: Scenario,
    view: PlanView,
    area: _Area,
    shares: dict[str, float],
    labels: list[str],
    classes: dict[str, str],
) -> None:
    """The route map's background, cities and legs, then each leg restyled by its fragility."""
    axes.set_xlim(area.x0, area.x1)
    axes.set_ylim(area.y0, area.y1)
    axes.set_facecolor(SEA_COLOUR if _outlines() else "white")
    items = in_force(scenario, view)
    _draw_outlines(axes, area.projection, scenario)
    _draw_graticule(axes, area.projection, area.x0, area.x1, area.y0, area.y1)
    _draw_scale_bar(axes, area.x0, area.x1, area.y0, area.y1)
    _draw_roads(axes, area.projection, scenario, items, classes)
    placer = Placer(axes, renderer, [], [])
    draw_plan_marks(axes, area.projection, scenario, view, items, placer, classes)
    _restyle_legs(axes, view, shares, labels, classes)


def _restyle_legs(
    axes: Axes, view: PlanView, shares: dict[str, float], labels: list[str], classes: dict[str, str]
) -> None:
    def share_of(artist: Artist, suffix: str = "") -> tuple[int, float] | None:
        gid = artist.get_gid() or ""
        if not (gid.startswith("leg-") and gid.endswith(suffix) and gid[4:].removesuffix(suffix).isdigit()):
            return None
        index = int(gid[4:].removesuffix(suffix))
        share = shares.get(labels[index], 0.0)
        classes[f"leg-{index}"] = f"leg mode-{view.legs[index].mode} {'fragile' if share > 0 else 'robust'}"
        return index, share

    for patch in axes.patches:  # the arrows
        if (found := share_of(patch)) is not None:
            patch.set_color(leg_colour(found[1]))
            patch.set_linewidth(leg_width(found[1]))
            patch.set_zorder(3 + found[1])  # the fragile legs over the robust ones
    for line in axes.lines:  # a leg that stays in its city: a ring
        if (found := share_of(line)) is not None:
            line.set_markeredgecolor(leg_colour(found[1]))
            line.set_markeredgewidth(leg_width(found[1]) / 2)
    for text in axes.texts:  # the legs' numbers at their middles
        if (found := share_of(text, "-number")) is not None:
            text.set_color(leg_colour(found[1]) if found[1] > 0 else "#5b6573")
            text.set_zorder(5 + found[1])
            box = text.get_bbox_patch()
            if box is not None:
                box.set_edgecolor(leg_colour(found[1]))


def _draw_width_legend(figure: Figure, top: float) -> None:
    handles = [
        Line2D([], [], color=leg_colour(share), lw=leg_width(share), label=f"{share * 100:.0f} %")
        for share in (0.05, 0.25, 0.5, 1.0)
    ]
    handles.append(Line2D([], [], color=ROBUST_COLOUR, lw=ROBUST_WIDTH, label="not among the most fragile"))
    legend = figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(_LEFT_IN / _WIDTH_IN, top),
        ncol=5,
        fontsize=8.5,
        frameon=False,
        handlelength=3.0,
        columnspacing=1.8,
        title="Legs by the share of samples in which they were disrupted or lost; numbers give their order",
        title_fontsize=8,
        alignment="left",
    )
    legend.set_gid("fragility-legend")


def _fragile_leg_lines(view: PlanView, labels: list[str], report: RiskReport) -> list[str]:
    """Each fragile leg as a coordinator reads it: its number on the map, service, ends, local departure."""
    lines = []
    for label, share in report.fragile_legs:
        if label in labels:
            index = labels.index(label)
            leg = view.legs[index]
            service, ends, _ = label.split(" ", 2) if label.count(" ") >= 2 else (label, "", "")
            text = f"{index + 1}. {service} {ends.replace('->', ' → ')}, {local_text(leg.depart)}"
        else:
            text = label
        lines.append(f"{share * 100:5.1f} %   {text}")
    return lines


def _fragile_city_lines(scenario: Scenario, report: RiskReport) -> list[str]:
    names = {c.id: c.name for c in scenario.cities}
    return [
        f"{names.get(city, city)}: lost {lost * 100:.1f} %, moved {moved * 100:.1f} %"
        for city, lost, moved in report.fragile_cities
    ]


def _draw_lists(
    figure: Figure, leg_lines: list[str], city_lines: list[str], list_in: float, height_in: float
) -> None:
    columns = (
        (_LEFT_IN, "Most fragile legs (share of samples disrupted or lost):", leg_lines, "fragile-leg"),
        (_LEFT_IN + 7.2, "Most fragile cities (share of samples):", city_lines, "fragile-city"),
    )
    for left_in, heading, lines, gid in columns:
        top_in = list_in - _LINE_IN
        figure.text(left_in / _WIDTH_IN, top_in / height_in, heading, fontsize=8.5, fontweight="bold")
        if not lines:
            lines = ["none: no sample disrupted any"]
        for number, line in enumerate(lines, 1):
            y = (top_in - _LINE_IN * number) / height_in
            text = figure.text((left_in + 0.15) / _WIDTH_IN, y, line, fontsize=8, color="#1d2733")
            text.set_gid(f"{gid}-{number}")
