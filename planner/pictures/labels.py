"""Greedy placement of the map's labels around their points, off what is already drawn.

What is drawn first is reserved as boxes in display units: the city marks, the closure crosses and
the arrowheads; then the legs' numbers are placed along their arrows and the cities' labels
around their points. A label takes the first place, nearest first, whose box (with its white
frame) meets nothing reserved and stays inside the map; only when every place is taken does it
take the one overlapping least.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.patches import FancyArrowPatch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from planner.pictures.drawing import overlap

_MARGIN_PX = 1.5  # space kept around every reserved box
# Places further out when the near ones are taken: rings of 16 directions at these multiples of
# the clearance, each ring a little dearer than the one before.
_RINGS = (1.8, 2.6, 3.5, 4.6, 6.0, 8.0)
_DIRECTIONS = 16


def text_box(text: Text, renderer: RendererBase) -> Bbox:
    """What a text covers on the picture: its glyphs and its frame (a label's white box)."""
    box = text.get_window_extent(renderer)
    frame = text.get_bbox_patch()
    if frame is None:
        return box
    text.update_bbox_position_size(renderer)
    return Bbox.union([box, frame.get_window_extent(renderer)])


def arrowhead_box(arrow: FancyArrowPatch, renderer: RendererBase) -> Bbox | None:
    """The box of an arrow's head as drawn (the last part of its path), in display units."""
    arrow.draw(renderer)  # fixes the arrow's size in pixels for this renderer
    axes = arrow.axes
    assert axes is not None
    parts = axes.transData.transform_path(arrow.get_path()).to_polygons(closed_only=False)
    if len(parts) < 2:
        return None
    corners = np.asarray(parts[-1], dtype=float)
    return Bbox([corners.min(axis=0), corners.max(axis=0)])


@dataclass
class Placer:
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

    def reserve(self, box: Bbox) -> None:
        self.occupied.append(box.padded(_MARGIN_PX))

    def reserve_artist(self, artist: Artist) -> None:
        """Keep labels off a drawn mark (a city's dot, a start ring, a closure cross)."""
        self.reserve(artist.get_window_extent(self.renderer))

    def occupy_point(self, x: float, y: float, radius_pt: float) -> None:
        px, py = self.axes.transData.transform((x, y))
        radius = radius_pt * self.axes.figure.dpi / 72
        self.occupied.append(Bbox([[px - radius, py - radius], [px + radius, py + radius]]))

    def _cost(self, box: Bbox, frame: Bbox) -> tuple[bool, float]:
        """(whether the box meets something reserved or leaves the map, how bad it is otherwise)."""
        covered = sum(overlap(box, other) for other in self.occupied)
        outside = box.width * box.height - overlap(box, frame)
        lines = sum(1 for px, py in self.line_points if box.x0 <= px <= box.x1 and box.y0 <= py <= box.y1)
        return covered > 0 or outside > 0.5, covered + 10.0 * outside + 40.0 * lines

    def _candidates(self) -> list[tuple[tuple[float, float], str, str]]:
        rings = [
            ((radius * math.cos(angle), radius * math.sin(angle)), "center", "center")
            for radius in _RINGS
            for angle in (2 * math.pi * k / _DIRECTIONS for k in range(_DIRECTIONS))
        ]
        return [*self._CANDIDATES, *rings]

    def place(self, x: float, y: float, text: str, gid: str, clearance_pt: float = 7, **style: Any) -> Text:
        frame = self.axes.get_window_extent(self.renderer)
        # The text is measured once; each candidate's box follows from its offset and alignment.
        probe = self._annotate(x, y, text, (0.0, 0.0), clearance_pt, "left", "bottom", **style)
        size = text_box(probe, self.renderer)
        origin = probe.get_window_extent(self.renderer)
        pad_x, pad_y = origin.x0 - size.x0, origin.y0 - size.y0
        probe.remove()
        anchor_x, anchor_y = self.axes.transData.transform((x, y))
        scale = clearance_pt * self.axes.figure.dpi / 72
        shift_x = {"left": 0.0, "center": 0.5, "right": 1.0}
        shift_y = {"bottom": 0.0, "center": 0.5, "top": 1.0}
        glyphs_w, glyphs_h = origin.width, origin.height
        best: tuple[tuple[bool, float], int] | None = None
        candidates = self._candidates()
        for index, ((dx, dy), ha, va) in enumerate(candidates):
            x0 = anchor_x + dx * scale - shift_x[ha] * glyphs_w - pad_x
            y0 = anchor_y + dy * scale - shift_y[va] * glyphs_h - pad_y
            box = Bbox([[x0, y0], [x0 + size.width, y0 + size.height]]).padded(_MARGIN_PX)
            clash, cost = self._cost(box, frame)
            # Further rings cost more, so a label moves out only to clear a line it would hide.
            ring = (index - len(self._CANDIDATES)) // _DIRECTIONS + 1 if index >= len(self._CANDIDATES) else 0
            cost += index + 30.0 * ring
            if best is None or (clash, cost) < best[0]:
                best = ((clash, cost), index)
        assert best is not None
        offset, ha, va = candidates[best[1]]
        label = self._annotate(x, y, text, offset, clearance_pt, ha, va, **style)
        label.set_gid(gid)
        self.reserve(text_box(label, self.renderer))
        return label

    def place_along(self, points: list[tuple[float, float]], text: str, gid: str, **style: Any) -> Text:
        """A leg's number: at the first of ``points`` (data units, best first) where it meets nothing
        reserved, else around the first point further out; the least overlapping if all are taken."""
        frame = self.axes.get_window_extent(self.renderer)
        badge = self.axes.text(*points[0], text, ha="center", va="center", **style)
        badge.set_gid(gid)
        to_data = self.axes.transData.inverted()
        anchor_x, anchor_y = self.axes.transData.transform(points[0])
        scale = 7 * self.axes.figure.dpi / 72
        places = list(points) + [
            tuple(to_data.transform((anchor_x + dx * scale, anchor_y + dy * scale)))
            for (dx, dy), _ha, _va in self._candidates()[len(self._CANDIDATES) :]
        ]
        best: tuple[tuple[bool, float], int] | None = None
        for index, place in enumerate(places):
            badge.set_position(place)
            clash, cost = self._cost(text_box(badge, self.renderer).padded(_MARGIN_PX), frame)
            key = (clash, (cost if clash else 0.0) + index)
            if best is None or key < best[0]:
                best = (key, index)
            if not clash:
                break
        assert best is not None
        badge.set_position(places[best[1]])
        self.reserve(text_box(badge, self.renderer))
        return badge

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
