"""Solver work, run in a bounded pool of processes so the web server never blocks on it.

Each job takes and returns plain data (JSON-like dicts), so nothing but data crosses
the process boundary. Each process keeps the transport networks of the last few
scenarios it solved: a replan of a plan made a minute ago skips the network build.
Bad input found during the solve comes back as a ``JobError`` naming the field.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from planner.connections import KeptContexts, SlotMemo
from planner.domain import Scenario, SolverParams
from planner.network import TransportNetwork
from planner.processes import end_with_parent
from planner.scenario import ScenarioError, events_from_data, scenario_from_data

_NETWORKS_KEPT = 8
# Set in each solver process by the pool's initializer: where progress reports go.
_progress_queue: Any = None


def _install_progress_queue(queue: Any, server_pid: int) -> None:
    global _progress_queue
    _progress_queue = queue
    end_with_parent(server_pid)  # a solver process ends with the server, even after kill -9


def _reporter(token: str | None) -> Callable[[str, dict[str, Any]], None] | None:
    """A progress hook that tags each report with the job's token and sends it to the server."""
    queue = _progress_queue
    if token is None or queue is None:
        return None

    def report(phase: str, details: dict[str, Any]) -> None:
        # Progress is best effort: never fail a solve over it.
        with contextlib.suppress(Exception):
            queue.put_nowait((token, phase, details))

    return report


@dataclass(frozen=True)
class _Loaded:
    """A scenario this worker has loaded: its network, and the search contexts compiled on it,
    owned by the worker (not the network), so that replans of any plan of the scenario under
    the same events reuse the connection searches; ``memo`` reuses the searches of leave slots
    that other events do not touch (planner.connections.memo)."""

    scenario: Scenario
    network: TransportNetwork
    memo: SlotMemo
    contexts: KeptContexts = field(default_factory=dict)


_networks: OrderedDict[str, _Loaded] = OrderedDict()


@dataclass(frozen=True)
class JobError:
    """Input the planner refused: where (a field path) and why."""

    loc: tuple[str | int, ...]
    message: str


@dataclass(frozen=True)
class PlanOutcome:
    plan: dict[str, Any] | None = None
    violations: list[str] = field(default_factory=list)
    error: JobError | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class WhatIfOutcome:
    report: dict[str, Any] | None = None
    error: JobError | None = None
    seconds: float = 0.0


def _load(data: dict[str, Any]) -> _Loaded:
    key = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    if key in _networks:
        _networks.move_to_end(key)
        return _networks[key]
    scenario = scenario_from_data(data, "scenario")
    network = TransportNetwork.build(scenario)
    entry = _Loaded(scenario, network, SlotMemo(network))
    _networks[key] = entry
    while len(_networks) > _NETWORKS_KEPT:
        _networks.popitem(last=False)
    return entry


def _params(scenario: Scenario, options: dict[str, Any]) -> SolverParams:
    data = scenario.solver.model_dump()
    data.update({k: v for k, v in options.items() if v is not None})
    return SolverParams.model_validate(data)


def _scenario_error(error: ScenarioError, prefix: tuple[str | int, ...]) -> JobError:
    first = error.problems[0]
    return JobError((*prefix, *first.path), "; ".join(p.message for p in error.problems))


def warm_up() -> bool:
    """Import the solver stack so the first real request does not pay for it."""
    import planner.cpsat.model
    import planner.replan  # noqa: F401

    return True


def plan_job(scenario_data: dict[str, Any], options: dict[str, Any], token: str | None = None) -> PlanOutcome:
    """Version 1 of a plan, checked by the independent checker."""
    from planner.check import check_plan
    from planner.result import plan_json
    from planner.solve import plan

    began = time.perf_counter()
    try:
        loaded = _load(scenario_data)
    except ScenarioError as error:
        return PlanOutcome(error=_scenario_error(error, ("scenario",)))
    scenario, network = loaded.scenario, loaded.network
    params = _params(scenario, options)
    progress = _reporter(token)
    if scenario.teams or scenario.forming:
        return _team_plan_job(scenario, params, progress, began)
    # The slot searches stay in the scenario's memo: the first replan after an event then
    # searches again only the slots the event touches (about 2.5x faster on the flagship).
    problem, result = plan(scenario, params, network=network, progress=progress, memo=loaded.memo)
    data = plan_json(scenario, problem.axis, result, network)  # with each leg's backup
    if progress:
        progress("checking", {})
    violations = [str(v) for v in check_plan(scenario, data)]
    return PlanOutcome(data, violations, seconds=time.perf_counter() - began)


def _team_plan_job(
    scenario: Scenario,
    params: SolverParams,
    progress: Callable[[str, dict[str, Any]], None] | None,
    began: float,
) -> PlanOutcome:
    """Version 1 of a team plan: every team at once (planner.teams), or the best split of the
    members into teams (planner.team_forming), checked by the team checker."""
    from planner.check.forming import check_any_team_plan
    from planner.team_forming import form_teams, formed_plan_json
    from planner.teams import plan_teams, teams_plan_json

    solutions = 0

    def solution(elapsed_s: float, objective: int, bound: int) -> None:
        nonlocal solutions
        solutions += 1
        if progress is not None:
            details = {"solutions": solutions, "objective": objective, "bound": bound}
            progress("solving", {**details, "elapsed_s": round(elapsed_s, 2)})

    if progress:
        progress("connections", {})
    if scenario.forming is not None:
        data = formed_plan_json(form_teams(scenario, params))
    else:
        data = teams_plan_json(scenario, plan_teams(scenario, params, on_solution=solution))
    if progress:
        progress("checking", {})
    violations = [str(v) for v in check_any_team_plan(scenario, data)]
    return PlanOutcome(data, violations, seconds=time.perf_counter() - began)


def _check(scenario: Scenario, plan_data: dict[str, Any]) -> list[str]:
    from planner.check import check_plan
    from planner.check.forming import check_any_team_plan

    if scenario.teams or scenario.forming:
        return [str(v) for v in check_any_team_plan(scenario, plan_data)]
    return [str(v) for v in check_plan(scenario, plan_data)]


def check_job(scenario_data: dict[str, Any], plan_data: dict[str, Any]) -> PlanOutcome:
    """An existing version-1 plan (made elsewhere), accepted only if the checker passes it."""
    began = time.perf_counter()
    try:
        scenario = _load(scenario_data).scenario
    except ScenarioError as error:
        return PlanOutcome(error=_scenario_error(error, ("scenario",)))
    return PlanOutcome(plan_data, _check(scenario, plan_data), seconds=time.perf_counter() - began)


def replan_job(
    scenario_data: dict[str, Any],
    previous: dict[str, Any],
    now_iso: str,
    events_data: list[dict[str, Any]],
    position: str | None,
    options: dict[str, Any],
    token: str | None = None,
) -> PlanOutcome:
    """The next version from ``now`` given new events, checked against the frozen past."""
    import datetime as dt

    from planner.check import check_plan
    from planner.replan import ReplanError, replan

    began = time.perf_counter()
    loaded = _load(scenario_data)
    scenario = loaded.scenario
    try:
        events = events_from_data(events_data, scenario, "events").events
    except ScenarioError as error:
        problem = error.problems[0]
        return PlanOutcome(error=JobError(problem.path, "; ".join(p.message for p in error.problems)))
    now = dt.datetime.fromisoformat(now_iso)
    if scenario.teams or scenario.forming:
        return _team_replan_job(scenario, previous, now, events, _params(scenario, options), token, began)
    try:
        progress = _reporter(token)
        params = _params(scenario, options)
        new = replan(
            scenario,
            previous,
            now,
            events,
            position,
            params,
            loaded.network,
            progress,
            loaded.contexts,
            backups=True,  # the version a coordinator is given: each future leg with its backup
            memo=loaded.memo,
        )
    except ReplanError as error:
        field_name, _, message = str(error).partition(": ")
        known = field_name in {"now", "position", "plan"}
        return PlanOutcome(
            error=JobError((field_name if known else "plan",), message if known else str(error))
        )
    if progress:
        progress("checking", {})
    in_force = new.document.events
    violations = check_plan(
        scenario, new.plan, events=in_force, previous=previous, now=now, position=position
    )
    return PlanOutcome(new.plan, [str(v) for v in violations], seconds=time.perf_counter() - began)


def _team_replan_job(
    scenario: Scenario,
    previous: dict[str, Any],
    now: Any,
    events: tuple[Any, ...],
    params: SolverParams,
    token: str | None,
    began: float,
) -> PlanOutcome:
    """The next version of a team plan: every team from ``now``, checked against its past. Teams
    the planner formed stay as the previous version has them: no one changes team mid-trip."""
    from planner.check.forming import check_any_team_plan, with_plan_teams
    from planner.replan import ReplanError
    from planner.team_replan import replan_teams

    progress = _reporter(token)
    if progress:
        progress("connections", {})
    try:
        fixed = with_plan_teams(scenario, previous)
    except ValueError as error:
        return PlanOutcome(error=JobError(("plan",), str(error)))
    try:
        new = replan_teams(fixed, previous, now, events, params)
    except ReplanError as error:
        field_name, _, message = str(error).partition(": ")
        known = field_name in {"now", "plan"}
        return PlanOutcome(
            error=JobError((field_name if known else "plan",), message if known else str(error))
        )
    if progress:
        progress("checking", {})
    if previous.get("forming"):
        new["forming"] = previous["forming"]  # how the teams were formed, in the first version
    violations = [str(v) for v in check_any_team_plan(scenario, new, previous=previous, now=now)]
    return PlanOutcome(new, violations, seconds=time.perf_counter() - began)


def whatif_job(
    scenario_data: dict[str, Any], timelines_data: list[dict[str, Any]], options: dict[str, Any]
) -> WhatIfOutcome:
    """Play each timeline against the undisrupted plan; the comparison table and stories."""
    from planner.whatif import baseline, comparison, format_table, play, story

    began = time.perf_counter()
    try:
        loaded = _load(scenario_data)
    except ScenarioError as error:
        return WhatIfOutcome(error=_scenario_error(error, ("scenario",)))
    scenario = loaded.scenario
    timelines = []
    for index, data in enumerate(timelines_data):
        try:
            timelines.append(events_from_data(data, scenario, f"timelines[{index}]"))
        except ScenarioError as error:
            return WhatIfOutcome(error=_scenario_error(error, ("timelines", index)))
    params = _params(scenario, options)
    if scenario.teams or scenario.forming:
        return WhatIfOutcome(_team_whatif(scenario, timelines, params), seconds=time.perf_counter() - began)
    first = baseline(scenario, params)
    runs = [play(scenario, timeline, first, params, loaded.network) for timeline in timelines]
    report = {
        "rows": comparison(first, runs),
        "table": format_table(comparison(first, runs)),
        "timelines": [
            {
                "name": played.timeline.name,
                "description": played.timeline.description,
                "story": story(scenario, played),
                "steps": [
                    {
                        "at": step.at,
                        "events": [event.id for event in step.events],
                        "version": step.plan["version"],
                        "status": step.plan["status"],
                        "changes": step.changes,
                        "kept": step.kept,
                        "violations": [str(v) for v in step.violations],
                    }
                    for step in played.steps
                ],
            }
            for played in runs
        ],
    }
    return WhatIfOutcome(report, seconds=time.perf_counter() - began)


def _team_whatif(scenario: Scenario, timelines: list[Any], params: SolverParams) -> dict[str, Any]:
    """What-if for teams: the team plan (teams formed once, before the trip, when the scenario forms
    them), then each timeline played through team replans; the same report as for one team, with
    each step's changes per team."""
    from planner.team_report import first_team_plan
    from planner.team_whatif import play_teams, team_story, team_table

    scenario, first = first_team_plan(scenario, params)
    runs = [play_teams(scenario, timeline, first, params) for timeline in timelines]

    def row(name: str, plan: dict[str, Any], changes: int) -> dict[str, Any]:
        travel = sum(team["plan"]["totals"]["travel_hours"] for team in plan["teams"])
        coverage = plan["coverage"]
        return {
            "timeline": name,
            "status": plan["status"],
            "regions": len(coverage["regions_covered"]),
            "cities": len(coverage["cities"]),
            "travel_hours": round(travel, 2),
            "changes": changes,
        }

    rows = [row("undisrupted", first, 0)] + [
        row(p.timeline.name, p.final, sum(sum(step.changes().values()) for step in p.steps)) for p in runs
    ]
    return {
        "rows": rows,
        "table": team_table(first, runs),
        "timelines": [
            {
                "name": played.timeline.name,
                "description": played.timeline.description,
                "story": team_story(scenario, played),
                "steps": [
                    {
                        "at": step.at,
                        "events": [event.id for event in step.events],
                        "version": step.plan["version"],
                        "status": step.plan["status"],
                        "changes": sum(step.changes().values()),
                        "changes_by_team": step.changes(),
                        "violations": [str(v) for v in step.violations],
                    }
                    for step in played.steps
                ],
            }
            for played in runs
        ],
    }


@dataclass(frozen=True)
class RiskOutcome:
    report: dict[str, Any] | None = None
    error: JobError | None = None
    seconds: float = 0.0


def risk_job(
    scenario_data: dict[str, Any],
    risk_data: dict[str, Any],
    plan_data: dict[str, Any],
    samples: int,
    seed: int,
    policy: str,
    options: dict[str, Any],
    token: str | None = None,
    ray_address: str | None = None,
) -> RiskOutcome:
    """A plan's reliability report (planner.risk): its samples run here, one after the other
    (this process is one of the pool's), or on the Ray cluster at ``ray_address`` (the service's
    PLANNER_RISK_RAY_ADDRESS), with progress and running estimates after each."""
    from planner.risk.replay import Outcome, Policy
    from planner.risk.report import summarise
    from planner.risk.runner import run_samples
    from planner.scenario import risk_from_data

    began = time.perf_counter()
    try:
        scenario = _load(scenario_data).scenario
    except ScenarioError as error:
        return RiskOutcome(error=_scenario_error(error, ("scenario",)))
    try:
        risk = risk_from_data(risk_data, "risk", {}, scenario)
    except ScenarioError as error:
        return RiskOutcome(error=_scenario_error(error, ("risk",)))
    progress = _reporter(token)
    tally = {"done": 0, "regions": 0, "all": 0}

    def sampled(outcome: Outcome) -> None:
        tally["done"] += 1
        tally["regions"] += outcome.regions
        tally["all"] += outcome.all_regions
        if progress is not None:
            done = tally["done"]
            progress(
                "sampling",
                {
                    "samples_done": done,
                    "samples_total": samples,
                    "regions_mean_so_far": round(tally["regions"] / done, 3),
                    "p_all_regions_so_far": round(tally["all"] / done, 4),
                },
            )

    params = _params(scenario, options)
    if ray_address is None:
        outcomes = run_samples(
            scenario, risk, plan_data, samples, seed, Policy(policy), 1, params, on_sample=sampled
        )
    else:  # one actor per CPU of the cluster; the same outcomes as here (sample i: seed and i alone)
        outcomes = run_samples(
            scenario,
            risk,
            plan_data,
            samples,
            seed,
            Policy(policy),
            None,
            params,
            on_sample=sampled,
            engine="ray",
            address=ray_address,
        )
    report = summarise(scenario, plan_data, outcomes, seed, policy).to_json()
    return RiskOutcome(report, seconds=time.perf_counter() - began)


class PoolBusy(Exception):
    """Every process is busy and the waiting line is full."""


class ShareExceeded(PoolBusy):
    """The submitting organisation already holds its share of the processes and the waiting line."""


# Whose request submits a job (set per request by api.deps): each organisation may hold
# at most ``max_per_tenant`` of the pool's places, running or waiting. None: not counted.
solver_tenant: ContextVar[str | None] = ContextVar("solver_tenant", default=None)


class JobTimeout(Exception):
    """The job did not finish in time; its result, if it comes, is thrown away."""


class SolverPool:
    """A fixed number of solver processes and a bounded waiting line in front of them."""

    def __init__(
        self,
        processes: int,
        queue_depth: int,
        on_progress: Callable[[str, str, dict[str, Any]], None] | None = None,
        max_per_tenant: int | None = None,
    ) -> None:
        self.processes = processes
        self.capacity = processes + queue_depth
        self.max_per_tenant = max_per_tenant
        self._in_flight = 0
        self._per_tenant: dict[str, int] = {}
        self._lock = threading.Lock()
        # spawn, not fork: the server process has threads (and SQLite connections)
        # that a forked child must not inherit.
        self._context = multiprocessing.get_context("spawn")
        self._progress: Any = self._context.Queue()
        self._on_progress = on_progress
        self._listener = threading.Thread(target=self._listen, name="solver-progress", daemon=True)
        self._listener.start()
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes,
            mp_context=self._context,
            initializer=_install_progress_queue,
            initargs=(self._progress, os.getpid()),
        )

    def _listen(self) -> None:
        """Hand each progress report of a solver process to the server's callback."""
        while True:
            message = self._progress.get()
            if message is None:
                return
            if self._on_progress is not None:
                token, phase, details = message
                self._on_progress(token, phase, details)

    def warm(self) -> None:
        """Start every process now and import the solver stack in each."""
        futures = [self._executor.submit(warm_up) for _ in range(self.processes)]
        for future in futures:
            future.result()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def _release(self, tenant: str | None, _future: Future[Any] | None = None) -> None:
        with self._lock:
            self._in_flight -= 1
            if tenant is not None:
                self._per_tenant[tenant] -= 1
                if not self._per_tenant[tenant]:
                    del self._per_tenant[tenant]

    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        tenant = solver_tenant.get()
        with self._lock:
            held = self._per_tenant.get(tenant, 0) if tenant is not None else 0
            if self.max_per_tenant is not None and held >= self.max_per_tenant:
                raise ShareExceeded
            if self._in_flight >= self.capacity:
                raise PoolBusy
            self._in_flight += 1
            if tenant is not None:
                self._per_tenant[tenant] = held + 1
        try:
            future = self._executor.submit(fn, *args)
        except BrokenProcessPool:
            self._executor = self._new_executor()
            future = self._executor.submit(fn, *args)
        except BaseException:
            self._release(tenant)
            raise
        future.add_done_callback(functools.partial(self._release, tenant))
        return future

    def run(self, fn: Any, *args: Any, timeout: float) -> Any:
        """Run ``fn(*args)`` in a solver process and wait at most ``timeout`` seconds."""
        future = self.submit(fn, *args)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            future.cancel()  # only helps if it had not started; a started solve ends at its limit
            raise JobTimeout from None
        except BrokenProcessPool:
            self._executor = self._new_executor()
            raise

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._progress.put(None)
