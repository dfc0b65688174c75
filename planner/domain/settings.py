"""How plans are ranked and searched for: objective weights, emission factors, solver parameters."""

from __future__ import annotations

from pydantic import Field

from planner.domain.values import MAX_EMISSION_FACTOR, MAX_WEIGHT, Frozen, Number, Whole


class StabilityWeights(Frozen):
    """What each change costs when replanning (ranked after coverage, before travel)."""

    move_seminar: Whole = Field(
        default=10, ge=0, le=MAX_WEIGHT, description="A seminar moved to another time."
    )
    drop_city: Whole = Field(default=20, ge=0, le=MAX_WEIGHT, description="A planned city no longer visited.")
    add_city: Whole = Field(
        default=5, ge=0, le=MAX_WEIGHT, description="A city visited that was not planned."
    )
    change_connection: Whole = Field(
        default=2, ge=0, le=MAX_WEIGHT, description="A connection replaced by another."
    )


class Objective(Frozen):
    """Weights of the secondary objective; coverage always ranks first."""

    travel_per_hour: Whole = Field(
        default=60, ge=0, le=MAX_WEIGHT, description="Points per door-to-door hour."
    )
    night_per_hour: Whole = Field(default=30, ge=0, le=MAX_WEIGHT, description="Extra points per night hour.")
    cost_per_unit: Number = Field(
        default=0.001, ge=0, le=1000, description="Points per unit of money (fares and fuel)."
    )
    stability: StabilityWeights = StabilityWeights()


class EmissionFactors(Frozen):
    """kg CO2e per passenger-km (per vehicle-km for drives)."""

    flight: Number = Field(default=0.246, ge=0, le=MAX_EMISSION_FACTOR)
    train: Number = Field(default=0.035, ge=0, le=MAX_EMISSION_FACTOR)
    bus: Number = Field(default=0.027, ge=0, le=MAX_EMISSION_FACTOR)
    drive: Number = Field(default=0.168, ge=0, le=MAX_EMISSION_FACTOR)
    source: str = (
        "UK DESNZ/DEFRA GHG conversion factors 2023 (domestic flight with radiative "
        "forcing, national rail, coach, average car per vehicle-km); rounded"
    )


class SolverParams(Frozen):
    """How the CP-SAT search runs."""

    time_limit_s: Number = Field(default=30.0, gt=0, le=3600)
    deterministic_limit: Number | None = Field(
        default=None,
        gt=0,
        le=1e6,
        description="A limit in CP-SAT's deterministic time (work, not seconds): the same answer "
        "on any machine, however busy. Both limits apply; the first reached ends the search.",
    )
    workers: Whole = Field(default=1, ge=1, le=64)
    seed: Whole = Field(default=0, ge=0, le=2**31 - 1)
    prune_dominated: bool = Field(
        default=True, description="Drop arcs that can never be in a better plan (exact)."
    )
    # The three CP-SAT settings below were measured on the itinerary model: cheaper presolve
    # probing and every linear constraint in the LP from the start (a strong root bound at
    # once) prove optimality several times faster: flagship 7.5 s -> 1.5 s, 24 cities x 21
    # days 23 s -> 8 s.
    probing_level: Whole = Field(
        default=0,
        ge=0,
        le=2,
        description="CP-SAT's cp_model_probing_level: how hard presolve probes (0 = none, 2 = most).",
    )
    linearization_level: Whole = Field(
        default=2,
        ge=0,
        le=2,
        description="CP-SAT's linearization_level: how much of the model goes into the LP "
        "relaxation (2 = every constraint that can be linearised).",
    )
    lp_constraints_lazily: bool = Field(
        default=False,
        description="CP-SAT's add_lp_constraints_lazily: add linear constraints to the LP only "
        "once violated (true) or all from the start (false).",
    )
