"""What the search remembers about one compiled network, in one typed place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from planner.connections.model import Journey, Leg, LegSpec, RawPath

if TYPE_CHECKING:
    from planner.connections.search import Labels

# A search slot: (origin, leave at, leave before, the only first drives allowed).
SearchSlot = tuple[str, int, "int | None", "frozenset[int] | None"]


@dataclass
class SearchCache:
    """Answers that stay true for one compiled network (a ``SearchContext``): its overlay and
    rules never change, so they are computed once.

    Keys hold edge identities (``id(edge)``), so a cache serves the one context it was
    built with and no other. The memos of drive starts, bounds and drive chains are always
    kept; the searches themselves (earliest-arrival trees, their paths, legs and
    connections) only with ``keep_searches``, for a context reused across plans (see
    ``context_for``): a replan under the same events, for any plan of the scenario, then
    repeats none of its searches.
    """

    keep_searches: bool = False
    # drive_start per (drive edge, earliest start): the same arrival times recur across
    # the many searches of one profile.
    drive_starts: dict[tuple[int, int], int | None] = field(default_factory=dict)
    latest_starts: dict[tuple[int, int, int], int | None] = field(default_factory=dict)
    bounds: dict[int, int] = field(default_factory=dict)  # leave -> latest arrival (rule 22)
    chains: dict[tuple[str, tuple[int, ...]], frozenset[str]] = field(default_factory=dict)
    # The leg of each (edge, run index or drive start): one flight or drive is a leg of many
    # connections, and a leg is an immutable value, so it is made once and shared.
    legs_made: dict[tuple[int, int], Leg] = field(default_factory=dict)
    home_marks: tuple[list[int], list[tuple[int, int]]] | None = None
    # The home zone's nights: their starts, ends and the night minutes before each (see
    # SearchContext.night_minutes).
    nights: tuple[list[int], list[int], list[int]] | None = None
    arrivals: dict[SearchSlot, Labels] = field(default_factory=dict)
    paths: dict[SearchSlot, list[tuple[str, RawPath, int, int]]] = field(default_factory=dict)
    legs: dict[tuple[str, RawPath], tuple[tuple[tuple[str, int], ...], list[LegSpec]]] = field(
        default_factory=dict
    )
    journeys: dict[tuple[str, RawPath], Journey] = field(default_factory=dict)
    _serving: bool = field(default=False, repr=False)

    def serve(self) -> None:
        """Take on the context being built; a cache already serving one would mix edge ids."""
        if self._serving:
            raise ValueError("this SearchCache already serves another search context")
        self._serving = True
