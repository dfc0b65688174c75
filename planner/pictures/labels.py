"""Greedy placement of the map's labels around their points, off what is already drawn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from planner.pictures.drawing import overlap


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
            cost = sum(overlap(box, other) for other in self.occupied)
            cost += 40.0 * sum(
                1 for px, py in self.line_points if box.x0 <= px <= box.x1 and box.y0 <= py <= box.y1
            )
            outside = box.width * box.height - overlap(box, frame)
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
