"""Robust planning: several good, different plans, each replayed under the same samples; the best kept.

Candidates, in the order they are made (the first is always the optimal plan, A):

- **A, the optimal plan** for the scenario's objective.
- **Plans avoiding A's most fragile legs**: A is replayed first; the legs most often disrupted or
  lost in its samples are taken away one at a time, then together (that run of a service
  cancelled, that drive's road closed while A drives it), and the scenario is planned again
  without them. Such a plan is still a plan under the scenario's own rules (it only has fewer
  options), so the checker passes it against the scenario alone.
- **A plan with a preparation buffer**: the delegation arrives ``buffer_min`` longer before each
  seminar than the scenario's ``min_prep_min``, so a late train or flight costs no seminar.

Identical plans are kept once. Every candidate is replayed under the **same** samples (common
random numbers: sample ``i`` of seed ``s`` is the same event timeline whatever the plan), so the
comparison is paired and a difference is the plans', not the luck of the draw. The pick: the most
expected regions, where a later candidate must beat the best so far by more than the paired 95 %
interval of the difference; within the noise the earlier plan stays (A first). P(all regions),
P(back) and the extra hours are reported beside it for the coordinator's own trade-off.

A pick other than A is not optimal for the deterministic objective: its document says FEASIBLE,
with no bound, and a warning naming A's figures, so OPTIMAL keeps its promise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from planner.document import PlanDocument, SolveStatus
from planner.domain import Disruption, DisruptionKind, Scenario, SolverParams
from planner.network import TransportNetwork
from planner.risk.model import RiskModel
from planner.risk.replay import Policy, leg_label
from planner.risk.report import Z95, RiskReport, summarise
from planner.risk.runner import run_samples
from planner.solve import plan

DEFAULT_CANDIDATES = 5
DEFAULT_BUFFER_MIN = 120
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Candidate:
    name: str  # A, B, ...
    how: str  # how it was made, in a coordinator's words
    document: PlanDocument
    report: RiskReport
    broken_legs: tuple[tuple[str, float], ...]  # share of samples an event broke each leg, most first
    regions_by_sample: tuple[int, ...]  # regions covered in each sample, by index

    @property
    def plan(self) -> dict[str, Any]:
        return self.document.to_json()


@dataclass(frozen=True)
class RobustChoice:
    candidates: tuple[Candidate, ...]
    chosen: Candidate

    @property
    def document(self) -> PlanDocument:
        return self.chosen.document


@dataclass(frozen=True)
class Replay:
    """How every candidate is replayed: the same risk model, samples, seed and policy."""

    risk: RiskModel
    samples: int
    seed: int = 0
    policy: Policy = Policy.REPLAN
    workers: int = 1
    engine: str = "pool"


def robust_plan(
    scenario: Scenario,
    replay: Replay,
    params: SolverParams | None = None,
    count: int = DEFAULT_CANDIDATES,
    buffer_min: int = DEFAULT_BUFFER_MIN,
    on_candidate: Callable[[Candidate], None] | None = None,
) -> RobustChoice:
    """Up to ``count`` distinct candidates (A first), each replayed; the most robust chosen."""
    if count < 1:
        raise ValueError("count: give at least 1 candidate")
    params = params or scenario.solver
    network = TransportNetwork.build(scenario)
    made: list[Candidate] = []
    seen: set[tuple[Any, ...]] = set()

    def add(how: str, document: PlanDocument) -> None:
        data = document.to_json()
        signature = _signature(data)
        if signature in seen or len(made) >= count or not data["seminars"]:
            return
        seen.add(signature)
        candidate = Candidate(LETTERS[len(made)], how, document, *_replayed(scenario, data, replay))
        made.append(candidate)
        if on_candidate is not None:
            on_candidate(candidate)

    problem, result = plan(scenario, params, network=network)
    optimal = result.to_document(scenario, problem.axis, network=network)
    add(f"the {result.status.value.lower()} plan", optimal)
    if not made:
        return RobustChoice((), _bare(optimal, replay, scenario))
    first = made[0]
    fragile = _fragile_legs(first)
    variants: list[tuple[str, tuple[dict[str, Any], ...]]] = [
        (f"avoiding {leg_label(leg)} ({share:.0%} of samples)", (leg,)) for leg, share in fragile
    ]
    if len(fragile) > 1:
        legs = tuple(leg for leg, _ in fragile)
        variants.insert(1, ("avoiding " + " and ".join(leg_label(leg) for leg in legs), legs))
    for how, legs in variants:
        if len(made) >= count - 1:  # the last place is the buffered plan's
            break
        events = tuple(_avoid(leg, number) for number, leg in enumerate(legs))
        problem, result = plan(scenario, params, network=network, overlay=network.overlay(events))
        add(how, result.to_document(scenario, problem.axis, network=network))
    buffered = _with_prep_buffer(scenario, buffer_min)
    problem, result = plan(buffered, params)
    # Documented against the scenario itself: its rules are the ones a coordinator's checker applies.
    document = result.to_document(scenario, problem.axis, network=network)
    add(f"arriving {buffer_min} min earlier before each seminar", document)
    chosen = _most_robust(made)
    if chosen is not first:
        chosen = dataclasses.replace(chosen, document=_not_optimal(chosen, first))
    return RobustChoice(tuple(made), chosen)


def _replayed(
    scenario: Scenario, data: dict[str, Any], replay: Replay
) -> tuple[RiskReport, tuple[tuple[str, float], ...], tuple[int, ...]]:
    engine: dict[str, Any] = {} if replay.engine == "pool" else {"engine": replay.engine}
    outcomes = run_samples(
        scenario, replay.risk, data, replay.samples, replay.seed, replay.policy, replay.workers, **engine
    )
    broken = Counter(label for outcome in outcomes for label in set(outcome.broken_legs))
    ordered = sorted(broken.items(), key=lambda kv: (-kv[1], kv[0]))  # ties by label: deterministic
    shares = tuple((label, count / len(outcomes)) for label, count in ordered)
    report = summarise(scenario, data, outcomes, replay.seed, replay.policy.value)
    return report, shares, tuple(outcome.regions for outcome in outcomes)


def _most_robust(made: list[Candidate]) -> Candidate:
    """The candidate with the most expected regions, where "more" must be more than chance.

    A candidate replaces the best so far only when the paired 95 % interval of the per-sample
    difference in regions lies above zero (the samples are the same, so the pairing removes the
    luck of the draw); a difference inside the noise keeps the earlier plan, A first.
    """
    best = made[0]
    for candidate in made[1:]:
        if paired_low(candidate.regions_by_sample, best.regions_by_sample) > 0:
            best = candidate
    return best


def paired_low(these: Sequence[int], those: Sequence[int]) -> float:
    """The low end of the 95 % interval of the mean per-sample difference ``these - those``."""
    differences = [a - b for a, b in zip(these, those, strict=True)]
    n = len(differences)
    mean = sum(differences) / n
    if n < 2:
        return mean
    spread = math.sqrt(sum((d - mean) ** 2 for d in differences) / (n - 1))
    return mean - Z95 * spread / math.sqrt(n)


def _bare(document: PlanDocument, replay: Replay, scenario: Scenario) -> Candidate:
    """A plan holding no seminar: nothing to replay, so its figures are the plan's own."""
    return Candidate("A", "the plan", document, *_replayed(scenario, document.to_json(), replay))


def _signature(data: dict[str, Any]) -> tuple[Any, ...]:
    seminars = tuple((s["city"], s["start"]) for s in data["seminars"])
    legs = tuple((leg["service"], leg["depart"]) for leg in data["legs"])
    return seminars, legs


def _fragile_legs(candidate: Candidate) -> list[tuple[dict[str, Any], float]]:
    """The plan's legs an event broke in at least one sample, most often first (at most two)."""
    by_label = {leg_label(leg): leg for leg in candidate.plan["legs"]}
    found = [(by_label[label], share) for label, share in candidate.broken_legs if label in by_label]
    return [(leg, share) for leg, share in found if share > 0][:2]


def _avoid(leg: dict[str, Any], number: int) -> Disruption:
    """An event that takes one leg away: its run cancelled, or its road closed while it is driven."""
    depart = dt.datetime.fromisoformat(leg["depart"])
    arrive = dt.datetime.fromisoformat(leg["arrive"])
    if leg["mode"] == "drive":
        return Disruption(
            id=f"avoid-{number}",
            kind=DisruptionKind.ROAD_CLOSED,
            announced_at=depart,  # a planning overlay: only the interval matters
            start=depart,
            end=arrive,
            road=leg["service"],
        )
    run = dt.datetime.combine(dt.date.fromisoformat(leg["run_date"]), dt.time())
    return Disruption(
        id=f"avoid-{number}",
        kind=DisruptionKind.SERVICE_CANCELLED,
        announced_at=run,
        start=run,  # local to the service's first stop, where its run date is counted
        end=run + dt.timedelta(days=1),
        service=leg["service"],
    )


def _with_prep_buffer(scenario: Scenario, buffer_min: int) -> Scenario:
    delegation = scenario.delegation
    rules = delegation.rules.model_copy(update={"min_prep_min": delegation.rules.min_prep_min + buffer_min})
    return scenario.model_copy(update={"delegation": delegation.model_copy(update={"rules": rules})})


def _not_optimal(chosen: Candidate, optimal: Candidate) -> PlanDocument:
    """The chosen plan's document, honest that it trades the objective for robustness."""
    report, best = chosen.report, optimal.report
    note = (
        f"chosen for robustness over the optimal plan: {report.regions.value:.2f} expected regions "
        f"(optimal plan {best.regions.value:.2f}), P(all regions) {report.all_regions.value:.0%} "
        f"({best.all_regions.value:.0%}), {report.samples} samples, seed {report.seed}, policy "
        f"{report.policy}; optimal objective {optimal.document.objective}"
    )
    document = chosen.document
    return document.model_copy(
        update={
            "status": SolveStatus.FEASIBLE,
            "bound": None,
            "gap": None,
            "warnings": (*document.warnings, note),
        }
    )


def format_choice(choice: RobustChoice) -> str:
    """The trade-off table, one candidate per line, the chosen one marked."""
    header = (
        f"{'plan':<5} {'regions':>7} {'expected (95 %)':>22} {'P(all)':>7} {'P(back)':>8} "
        f"{'extra h':>8} {'travel h':>8}  how it was made"
    )
    lines = [header, "-" * len(header)]
    for candidate in choice.candidates:
        report, data = candidate.report, candidate.plan
        mark = "*" if candidate.name == choice.chosen.name else " "
        expected = f"{report.regions.value:.2f} [{report.regions.low:.2f}, {report.regions.high:.2f}]"
        lines.append(
            f"{candidate.name + mark:<5} {report.plan_regions:>7} {expected:>22} "
            f"{report.all_regions.value:>7.0%} {report.back.value:>8.0%} "
            f"{report.extra_travel_hours_mean:>8.1f} {data['totals']['travel_hours']:>8.1f}  {candidate.how}"
        )
    if choice.candidates:
        report = choice.candidates[0].report
        lines.append(
            f"* chosen. {report.samples} samples, seed {report.seed}, policy {report.policy}; "
            "every plan replayed under the same samples."
        )
    return "\n".join(lines)
