"""Aggregate sample outcomes into a reliability report, and write the worst samples as what-if files.

Intervals are 95 %: for the expected regions and cities, the normal interval on the sample mean
(mean +- 1.96 s / sqrt(n), s the sample standard deviation); for the probabilities P(all regions)
and P(back by the end), the Wilson score interval, which stays inside [0, 1] and is sound when
the share is near 0 or 1. Percentiles are nearest-rank. Extra hours are hours on legs (on board or
driving, delays included, waits not), against the plan's; negative when cities were dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import yaml

from planner.domain import Scenario
from planner.risk.replay import Outcome

Z95 = 1.959963984540054
FRAGILE_SHOWN = 8


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95 % interval."""

    value: float
    low: float
    high: float

    def shown(self, percent: bool = False) -> str:
        if percent:
            return f"{self.value * 100:5.1f} %  [{self.low * 100:5.1f}, {self.high * 100:5.1f}]"
        return f"{self.value:6.2f}  [{self.low:6.2f}, {self.high:6.2f}]"


@dataclass(frozen=True)
class RiskReport:
    scenario: str
    policy: str
    samples: int
    seed: int
    plan_regions: int
    plan_cities: int
    regions: Estimate
    cities: Estimate
    all_regions: Estimate
    back: Estimate
    extra_travel_hours_mean: float
    extra_travel_hours_p90: float
    extra_nights_mean: float
    extra_nights_p90: float
    fragile_legs: tuple[tuple[str, float], ...]  # share of samples each leg was disrupted or lost
    fragile_cities: tuple[tuple[str, float, float], ...]  # city, share lost, share moved
    changes_mean: float
    violations: int
    worst: tuple[int, ...]  # sample indices, worst first
    # (regions covered, samples that covered that many), fewest first; only counts that occurred.
    regions_histogram: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def mean_interval(values: Sequence[float]) -> Estimate:
    """The sample mean with its normal 95 % interval."""
    n = len(values)
    mean = sum(values) / n
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    half = Z95 * spread / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half)


def wilson(successes: int, n: int) -> Estimate:
    """A proportion with its Wilson score 95 % interval."""
    share = successes / n
    z2 = Z95 * Z95
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # At a share of 0 or 1 the interval ends there exactly (rounding would leave 0.9999999999999999).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(share, low, high)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def severity(outcome: Outcome) -> tuple[float, ...]:
    """Worst first: fewest regions, fewest cities, not back, most extra travel."""
    return (outcome.regions, outcome.cities, outcome.back, -outcome.extra_travel_hours, outcome.index)


def summarise(
    scenario: Scenario,
    plan: dict[str, Any],
    outcomes: Sequence[Outcome],
    seed: int,
    policy: str,
    worst: int = 3,
) -> RiskReport:
    n = len(outcomes)
    if n == 0:
        raise ValueError("no samples to summarise")
    legs: Counter[str] = Counter(label for o in outcomes for label in set(o.disrupted_legs))
    lost: Counter[str] = Counter(city for o in outcomes for city in set(o.lost_cities))
    moved: Counter[str] = Counter(city for o in outcomes for city in set(o.moved_cities))
    cities = sorted({*lost, *moved}, key=lambda c: (-lost[c] - moved[c], c))
    hours = [o.extra_travel_hours for o in outcomes]
    nights = [float(o.extra_nights) for o in outcomes]
    return RiskReport(
        scenario=scenario.name,
        policy=policy,
        samples=n,
        seed=seed,
        plan_regions=len({r for s in plan["seminars"] for r in s["regions"]}),
        plan_cities=len(plan["seminars"]),
        regions=mean_interval([float(o.regions) for o in outcomes]),
        cities=mean_interval([float(o.cities) for o in outcomes]),
        all_regions=wilson(sum(o.all_regions for o in outcomes), n),
        back=wilson(sum(o.back for o in outcomes), n),
        extra_travel_hours_mean=round(sum(hours) / n, 2),
        extra_travel_hours_p90=percentile(hours, 0.9),
        extra_nights_mean=round(sum(nights) / n, 2),
        extra_nights_p90=percentile(nights, 0.9),
        # Ties in label order: a Counter's own order follows set iteration, salted per process.
        fragile_legs=tuple(
            (label, count / n) for label, count in sorted(legs.items(), key=lambda kv: (-kv[1], kv[0]))
        )[:FRAGILE_SHOWN],
        fragile_cities=tuple((c, lost[c] / n, moved[c] / n) for c in cities[:FRAGILE_SHOWN]),
        changes_mean=round(sum(o.changes for o in outcomes) / n, 2),
        violations=sum(o.violations for o in outcomes),
        worst=tuple(o.index for o in sorted(outcomes, key=severity)[:worst]),
        regions_histogram=tuple(sorted(Counter(o.regions for o in outcomes).items())),
    )


def format_report(report: RiskReport, names: dict[str, str]) -> str:
    lines = [
        f"{report.scenario}: {report.samples} samples, seed {report.seed}, policy {report.policy}",
        f"the plan: {report.plan_regions} regions, {report.plan_cities} cities",
        "",
        f"{'figure':<28} {'estimate':>8}  95 % interval",
        "-" * 60,
        f"{'regions covered (mean)':<28} {report.regions.shown()}",
        f"{'cities covered (mean)':<28} {report.cities.shown()}",
        f"{'P(all regions)':<28} {report.all_regions.shown(percent=True)}",
        f"{'P(back by the end)':<28} {report.back.shown(percent=True)}",
        f"{'extra hours on legs':<28} mean {report.extra_travel_hours_mean:.1f}, "
        f"p90 {report.extra_travel_hours_p90:.1f}",
        f"{'extra nights':<28} mean {report.extra_nights_mean:.2f}, p90 {report.extra_nights_p90:.0f}",
        f"{'replans that changed it':<28} mean {report.changes_mean:.2f} per sample",
        "(normal interval on the sample mean; Wilson interval for the probabilities)",
    ]
    if report.fragile_cities:
        lines += ["", "Fragile cities (share of samples lost / moved):"]
        lines += [
            f"  {names.get(c, c):<20} {lo * 100:5.1f} % / {mo * 100:5.1f} %"
            for c, lo, mo in report.fragile_cities
        ]
    if report.fragile_legs:
        lines += ["", "Fragile legs (share of samples disrupted or lost):"]
        lines += [f"  {share * 100:5.1f} %  {label}" for label, share in report.fragile_legs]
    if report.violations:
        lines += ["", f"CHECKER: {report.violations} violation(s) in the replayed versions"]
    return "\n".join(lines)


def worst_timeline(scenario: Scenario, risk_name: str, outcome: Outcome, seed: int, policy: str) -> str:
    """A sample as a what-if file (the format of scenarios/events/) that `planner whatif` replays."""
    data: dict[str, Any] = {
        # Short enough for the what-if comparison table; the description names the risk model.
        "name": f"risk-sample-{seed}-{outcome.index}",
        "scenario": scenario.name,
        "description": (
            f"Sample {outcome.index} of seed {seed} of {risk_name} ({policy}): {outcome.regions} regions, "
            f"{outcome.cities} cities, {'back' if outcome.back else 'not back'} by the end"
        ),
        "events": [
            e.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for e in outcome.events
        ],
    }
    for event, original in zip(data["events"], outcome.events, strict=True):
        # kind and the times are required: keep them even where they equal a default.
        event.update({"id": original.id, "kind": original.kind.value})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
