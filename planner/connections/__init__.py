"""Time-dependent multimodal search over the transport graph.

``pareto_search`` is a multi-label, label-setting search on time: from a city
centre, leaving at or after ``t``, it finds at every city centre and terminal the
labels (arrival, money) that no other label beats on both. Waiting is allowed and
every ride edge is FIFO, so for a fixed leave time a label that arrives no later
and costs no more dominates for every continuation; the Pareto set is exact. (A
city label reached by a ride also remembers the terminal it alighted at, which
may only be boarded again after its transfer time; see ``_dominated``.)

``journeys_from`` turns those searches into the set of useful connections from a
city over the whole trip: one search per moment the delegation can leave (the end
of a seminar, the trip's start, just in time for a timetabled departure, or a
moment a drive from the city can first start), keeping the connections not
dominated on (leave later, arrive earlier, less money). Night minutes and the
travel on each home day are functions of ``[leave, arrive)`` that only shrink
when the interval does, so that dominance loses no optimum. A drive that feeds a
later leg is then postponed to the latest start that still makes that leg, so
waiting happens at the hotel, not at a terminal.

Rules applied on every leg (scenarios/README.md, "Movement rules, precisely"):
the service runs on that date, the boarding terminal is not closed at departure
and the alighting one not at arrival, no departure or arrival in the quiet hours
(local), drives fit one opening of their daily window (which may wrap past
midnight) and do not meet a road closure, access and check-in at terminals,
minimum transfer times.
"""

# The package is split by stage (the compiled network, drives, the search, the connections built
# from it); every name callers use is importable from here.

from planner.connections.cache import SearchCache
from planner.connections.context import CONTEXTS_KEPT, KeptContexts, SearchContext, build_context, context_for
from planner.connections.drives import drive_fits, drive_minutes, drive_start, latest_drive_start
from planner.connections.journeys import (
    Found,
    connections_found,
    journeys_from,
    leave_time,
    make_journey,
    merge_found,
    pareto,
    pareto_found,
    pareto_part,
)
from planner.connections.leave_times import departure_leave_times, drive_leave_times, latest_drive_leave_times
from planner.connections.memo import SlotMemo
from planner.connections.model import DriveEdge, Journey, Key, Leg, LegSpec, RawPath, RideEdge
from planner.connections.search import Label, Labels, earliest_arrival, pareto_search

__all__ = [
    "CONTEXTS_KEPT",
    "DriveEdge",
    "Found",
    "Journey",
    "KeptContexts",
    "Key",
    "Label",
    "Labels",
    "Leg",
    "LegSpec",
    "RawPath",
    "RideEdge",
    "SearchCache",
    "SearchContext",
    "SlotMemo",
    "build_context",
    "connections_found",
    "context_for",
    "departure_leave_times",
    "drive_fits",
    "drive_leave_times",
    "drive_minutes",
    "drive_start",
    "earliest_arrival",
    "journeys_from",
    "latest_drive_leave_times",
    "latest_drive_start",
    "leave_time",
    "make_journey",
    "merge_found",
    "pareto",
    "pareto_found",
    "pareto_part",
    "pareto_search",
]
