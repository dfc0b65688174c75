"""The plan document: the typed form of the plan JSON (format ``delegation-plan/1``).

A plan is built once, by the result (``Result.to_document``) or by a replan, and its
readers (replanning, the exports, the HTTP API) validate the JSON they are given into a
``PlanDocument`` (``read_document``) instead of reading the dict by hand. Dumped with
``to_json()``, a document is exactly the JSON the planner has always written: same keys in
the same order, integers stay integers, floats stay floats, null where a value is absent.

Every datetime is ISO 8601 local to its city with its offset (``2016-01-21T09:30+06:00``)
and is kept as written, so a document read back dumps to the same bytes. ``planner.check``
reads the raw JSON on purpose and does not use this module: it must report what this model
would refuse, one violation per problem, instead of the first validation error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
)
from typing_extensions import TypeAliasType

from planner.domain import Disruption, Mode

PlanFormat = Literal["delegation-plan/1"]
FORMAT: PlanFormat = "delegation-plan/1"  # planner.inputs.PLAN_FORMAT, as the input gate checks it


class SolveStatus(StrEnum):
    OPTIMAL = "OPTIMAL"  # proven best for the stated objective
    FEASIBLE = "FEASIBLE"  # a plan, not proven best within the time limit
    INFEASIBLE = "INFEASIBLE"  # no plan satisfies the hard rules
    TIME_LIMIT = "TIME_LIMIT"  # the time limit ran out before any plan was found


class UncoveredReason(StrEnum):
    NO_WINDOW = "no_window"  # no working-day slot in the horizon fits the seminar
    UNREACHABLE = "unreachable"  # no connection reaches it and returns in time
    TRADED_OFF = "traded_off"  # possible alone, left out for a better whole plan
    NO_PLAN = "no_plan"  # no plan was found within the time limit, so nothing is covered
    ANOTHER_TEAM = "another_team"  # a team plan: another team holds it
    NO_STAFF = "no_staff"  # no team has the members its seminar needs (staffing)
    OVER_BUDGET = "over_budget"  # a team plan: no plan keeps the hard budget cap


def _local_time(text: str) -> str:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return text


def _figure(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return value


def _iso_date(text: str) -> str:
    dt.date.fromisoformat(text)
    return text


# Kept as the string written (a datetime would dump with seconds and change the bytes).
LocalTime = Annotated[
    str,
    AfterValidator(_local_time),
    # Not JSON Schema's date-time: that requires seconds, which the plan leaves out.
    WithJsonSchema({"type": "string", "description": "ISO 8601 local time with its UTC offset."}),
]
IsoDate = Annotated[str, AfterValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]
# A figure the plan states as computed: a sum over nothing is the integer 0, a rounded sum a float;
# the union keeps each as it is so that a document read back dumps to the same JSON.
Figure = Annotated[int | float, PlainValidator(_figure), WithJsonSchema({"type": "number"})]


def _about(description: str) -> Any:
    """A required member and what it means (shown in OpenAPI)."""
    return Field(description=description)


def _written_as_from(description: str) -> Any:
    # ``from`` is a Python keyword: the field is ``from_``, written and read as ``from``.
    return Field(
        description=description, validation_alias=AliasChoices("from", "from_"), serialization_alias="from"
    )


def _since_later(description: str, default: Any = None) -> Any:
    """A member added to format 1 after its first release: a plan written before it (and
    stored since) reads with this default, so every plan this planner ever wrote stays readable."""
    if callable(default):
        return Field(default_factory=default, description=description)
    return Field(default=default, description=description)


def _absent_when_none(description: str) -> Any:
    """A member written only when it has a value (absent, not null, otherwise)."""
    return Field(default=None, description=description, exclude_if=lambda value: value is None)


class PlanPart(BaseModel):
    """Base of every part of the document: immutable; members it does not know are kept as given
    (a plan imported through the API is stored and shown as it was sent)."""

    model_config = ConfigDict(frozen=True, extra="allow", allow_inf_nan=False, serialize_by_alias=True)


class SeminarOut(PlanPart):
    """A seminar of the itinerary."""

    city: str = _about("City id.")
    city_name: str = _about("City name.")
    start: LocalTime = _about("Start, local to the city.")
    end: LocalTime = _about("End, local to the city.")
    regions: tuple[str, ...] = _about("Ids of the regions the seminar serves.")


class LegMoves(PlanPart):
    """Where a leg goes and when: all a diff states about a leg."""

    mode: Mode = _about("flight, train, bus or drive.")
    service: str = _about("Service id (flight or train number), or road id for a drive.")
    from_: str = _written_as_from("Terminal id boarded, or city id where a drive starts.")
    to: str = _about("Terminal id left, or city id where a drive ends.")
    depart: LocalTime = _about("Departure, local to the city it leaves.")
    arrive: LocalTime = _about("Arrival, local to the city it reaches.")


class BackupLeg(PlanPart):
    """A leg of a backup: where it goes and when, and which run (checked like any leg)."""

    mode: Mode = _about("flight, train, bus or drive.")
    service: str = _about("Service id (flight or train number), or road id for a drive.")
    from_: str = _written_as_from("Terminal id boarded, or city id where a drive starts.")
    to: str = _about("Terminal id left, or city id where a drive ends.")
    from_city: str = _about("City id the leg leaves.")
    to_city: str = _about("City id the leg reaches.")
    depart: LocalTime = _about("Departure, local to the city it leaves.")
    arrive: LocalTime = _about("Arrival, local to the city it reaches.")
    run_date: IsoDate | None = _about("Date of the run's first departure (null for a drive).")


class Backup(PlanPart):
    """The best alternative if a leg is cancelled when it is due to depart (planner.backups)."""

    legs: tuple[BackupLeg, ...] = _about("The alternative's legs (empty: no alternative, replan).")
    to_city: str = _about("City id it reaches: the connection's destination.")
    arrive: LocalTime | None = _about("When the delegation is in that city (centre), local; null if none.")
    keeps_seminar: bool = _about("True when it arrives in time for the next seminar (or the trip's end).")
    seminar_city: str | None = _about("City id of the next seminar (null when the connection ends the trip).")
    note: str = _about("What it means for the plan, in words.")


class LegOut(BackupLeg):
    """One leg of the itinerary: a backup's leg and its figures (the members of ``LegMoves`` and
    more, in the order written)."""

    minutes: int = _about("Minutes from departure to arrival.")
    distance_km: Figure = _about("Distance travelled, km.")
    cost: Figure = _about("Price for the whole delegation, in the scenario's currency.")
    co2_kg: Figure = _about("kg CO2e for the whole delegation.")
    people: int | None = _absent_when_none(
        "People on the leg when not the whole delegation (a team before a member joins it en route)."
    )
    vehicles: int | None = _absent_when_none("Cars driving, likewise (drives only).")
    # Absent, not null, without one: plans written before backups existed read and dump unchanged.
    backup: Backup | None = _absent_when_none("The best alternative if this leg is cancelled.")


class ConnectionOut(PlanPart):
    """The legs from one city to the next, by their indices in ``legs``."""

    from_city: str = _about("City id it leaves.")
    to_city: str = _about("City id it reaches.")
    leave: LocalTime = _about("When the delegation leaves, local to the city it leaves.")
    arrive: LocalTime = _about("When the delegation is there (access time included), local.")
    travel_min: int = _about("Minutes of travel counted against the daily limit.")
    night_min: int = _about("Minutes of it in the night.")
    legs: tuple[int, ...] = _about("Indices of its legs in the plan's legs.")


class NightOut(PlanPart):
    """Where the delegation is at 03:00 (home zone) of a night: a city, or on a leg (``on``)."""

    date: IsoDate = _about("The date the night begins.")
    city: str | None = _about("City id where the delegation is (null when on a leg).")
    on: str | None = _about("Service id of the leg the delegation is on, if any.")
    mode: Mode | None = _about("Mode of that leg, if any.")
    in_transit: bool | None = _absent_when_none("True between the legs of a connection.")


class Co2Factors(PlanPart):
    """The emission factors used."""

    flight_kg_per_pkm: Figure = _about("kg CO2e per passenger-km flown.")
    train_kg_per_pkm: Figure = _about("kg CO2e per passenger-km by train.")
    bus_kg_per_pkm: Figure = _about("kg CO2e per passenger-km by bus.")
    drive_kg_per_vehicle_km: Figure = _about("kg CO2e per vehicle-km driven.")
    source: str = _about("Where the factors come from.")


class Totals(PlanPart):
    """Figures recomputed from the legs."""

    seminars: int = _about("Seminars held.")
    legs: int = _about("Legs travelled.")
    travel_hours: Figure = _about("Hours of travel.")
    night_travel_hours: Figure = _about("Hours of travel in the night.")
    cost: Figure = _about("Price of every leg, in the scenario's currency.")
    currency: str = _about("The scenario's currency.")
    distance_km: Figure = _about("Distance travelled, km.")
    distance_km_by_mode: dict[str, Figure] = _about("Distance by mode, km.")
    co2_kg: Figure = _about("kg CO2e of the whole trip.")
    co2_kg_by_mode: dict[str, Figure] = _about("kg CO2e by mode.")
    co2_factors: Co2Factors = _about("Emission factors behind the CO2 figures.")


class Coverage(PlanPart):
    """What the plan covers, in the objective's points."""

    points: int = _about("Points of the seminars held and the regions they serve.")
    max_points: int = _about("Points if every seminar were held.")
    regions_covered: tuple[str, ...] = _about("Region ids served.")
    regions_uncovered: tuple[str, ...] = _about("Region ids not served.")
    secondary_points: Figure = _about("Travel and other secondary costs, in points.")


class ObjectiveTerms(PlanPart):
    """objective = scale * (max_points - points) + (secondary + stability_scale * stability) // divisor."""

    scale: int = _about("Weight of one point of coverage.")
    divisor: int = _about("Divides the secondary and stability costs.")
    stability_scale: int = _about("One stability point in 1/60 points (1 outside replanning).")


class SolverOut(PlanPart):
    """How the plan was found."""

    seed: int = _about("Random seed.")
    workers: int = _about("Solver threads.")
    time_limit_s: Figure = _about("Time limit, seconds.")
    method: str = _about("How the daily travel limit was settled.")
    optimal_over: str | None = _since_later("What an OPTIMAL status promises.")
    objective_terms: ObjectiveTerms | None = _about(
        "What recomputing the objective needs (null without one)."
    )
    stats: dict[str, Figure] = _since_later("Sizes and times of the solve.", dict)


class UncoveredOut(PlanPart):
    """A city without a seminar, and why."""

    city: str = _about("City id.")
    reason: UncoveredReason = _about("no_window, unreachable, traded_off or no_plan.")
    detail: str = _about("Why, in words.")
    required: bool = _about("Whether the scenario requires the city.")


class ReportedPosition(PlanPart):
    """Where a coordinator said the delegation was."""

    now: LocalTime = _about("When, local to the city.")
    city: str = _about("City id.")


class Position(PlanPart):
    """Where the replan starts."""

    city: str = _about("City id.")
    free_at: LocalTime = _about("When the delegation is free there, local.")


class SeminarKept(PlanPart):
    """A seminar at the same time in both versions, or one added."""

    city: str = _about("City id.")
    start: LocalTime = _about("Start, local to the city.")


class SeminarMoved(PlanPart):
    """A seminar at another time."""

    city: str = _about("City id.")
    old_start: LocalTime = _about("Start in the previous version.")
    new_start: LocalTime = _about("Start in this version.")


class SeminarDropped(PlanPart):
    """A seminar the new version does not hold."""

    city: str = _about("City id.")
    old_start: LocalTime = _about("Start in the previous version.")
    reason: str = _about("unknown, unavailable, no_window, no_plan, unreachable or traded_off.")
    detail: str = _about("Why, in words.")


class SeminarChanges(PlanPart):
    """Seminars after ``now``, against the previous version."""

    kept: tuple[SeminarKept, ...] = _since_later("At the same time.", tuple)
    moved: tuple[SeminarMoved, ...] = _since_later("At another time.", tuple)
    dropped: tuple[SeminarDropped, ...] = _since_later("No longer held, each with its reason.", tuple)
    added: tuple[SeminarKept, ...] = _since_later("Held now, not before.", tuple)


class LegChanges(PlanPart):
    """Legs after ``now``, against the previous version."""

    removed: tuple[LegMoves, ...] = _since_later("Legs no longer taken.", tuple)
    added: tuple[LegMoves, ...] = _since_later("Legs newly taken.", tuple)


class Diff(PlanPart):
    """A replanned version against the one it is based on, from its ``now`` on."""

    seminars: SeminarChanges = _since_later("Seminars kept, moved, dropped and added.", SeminarChanges)
    legs: LegChanges = _since_later("Legs removed and added.", LegChanges)
    changes: int = _about("Seminars moved, dropped or added plus legs removed or added.")


def _event(value: object) -> Disruption:
    return value if isinstance(value, Disruption) else Disruption.model_validate(value)


def _event_as_given(event: Disruption) -> dict[str, Any]:
    return event.model_dump(mode="json", exclude_defaults=True)


# An event in force, written as in an events file (without the members left at their defaults).
# A type alias validated by hand, not a bare Disruption: FastAPI lists every model a response
# type names as a schema of its own, and Disruption is documented with the events files.
Event = TypeAliasType(
    "Event",
    Annotated[
        Disruption,
        PlainValidator(_event),
        PlainSerializer(_event_as_given),
        WithJsonSchema({"type": "object", "description": "An event, as in an events file."}),
    ],
)


class PlanDocument(PlanPart):
    """A plan or a replanned version of it, as the planner writes it."""

    format: PlanFormat = _about("The format: delegation-plan/1.")
    scenario: str = _about("The scenario's name.")
    version: int = Field(ge=1, description="1, then one more per replan.")
    based_on: int | None = _about("The version this one was replanned from.")
    events: tuple[Event, ...] = _about("The events in force (replanning).")
    reported_positions: tuple[ReportedPosition, ...] = _since_later(
        "Every position a coordinator reported.", tuple
    )
    diff: Diff | None = _about("Changes against the previous version (null for version 1).")
    status: SolveStatus = _about("OPTIMAL, FEASIBLE, INFEASIBLE or TIME_LIMIT.")
    objective: int | None = _about("The solver's objective (lower is better).")
    bound: int | None = _about("The best bound proven on it.")
    gap: Figure | None = _about("Relative gap between objective and bound.")
    runtime_s: Figure | None = _since_later("Seconds the solve took.")
    solver: SolverOut = _about("The solver's settings and figures.")
    coverage: Coverage = _about("What the plan covers.")
    seminars: tuple[SeminarOut, ...] = _about("The seminars, in order.")
    legs: tuple[LegOut, ...] = _about("Every leg, in order.")
    connections: tuple[ConnectionOut, ...] = _about("The legs grouped from city to city.")
    nights: tuple[NightOut, ...] = _about("Where the delegation is each night.")
    totals: Totals = _about("Travel, money, distance and CO2.")
    uncovered: tuple[UncoveredOut, ...] = _about("Cities without a seminar, with why.")
    warnings: tuple[str, ...] = _about("What the reader should know about the plan.")
    now: LocalTime | None = _absent_when_none("The replanning moment (replanned versions only).")
    position: Position | None = _absent_when_none("Where the replan starts (replanned versions only).")
    stability_points: int | None = _absent_when_none("Stability cost of the changes (replanned versions).")

    def to_json(self) -> dict[str, Any]:
        """The plan JSON: a plain dict ready for ``json.dumps``."""
        return self.model_dump(mode="json", by_alias=True)


class PlanDocumentError(ValueError):
    """A plan JSON that is not a plan document; ``where`` names the field (``legs[0].depart``)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "plan"


def read_document(data: Any) -> PlanDocument:
    """A plan JSON as a document; ``PlanDocumentError`` names the first field that is wrong."""
    if isinstance(data, PlanDocument):
        return data
    if not isinstance(data, Mapping):
        raise PlanDocumentError("plan", "expected an object")
    try:
        return PlanDocument.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        message = "missing" if first["type"] == "missing" else first["msg"].removeprefix("Value error, ")
        raise PlanDocumentError(_where(tuple(first["loc"])), message) from None
