"""Run a risk model's samples here, in a local process pool or on Ray; the outcomes are the same
whichever engine runs them (sample ``i`` is drawn from the seed and ``i`` alone)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from planner.domain import Scenario, SolverParams
from planner.processes import end_with_parent
from planner.risk.model import RiskModel
from planner.risk.replay import Outcome, Policy, Replayer
from planner.risk.sampling import Trials, draw, trials_of

# One per worker process: built once by the pool's initializer, then used for every sample it runs.
_WORKER: tuple[Trials, Replayer] | None = None


def _start_worker(
    parent_pid: int,
    scenario: Scenario,
    risk: RiskModel,
    plan: dict[str, Any],
    policy: Policy,
    params: SolverParams | None,
) -> None:
    global _WORKER
    end_with_parent(parent_pid)  # a killed `planner risk` leaves no worker behind
    _WORKER = (trials_of(scenario, risk), Replayer(scenario, plan, policy, params))


def _run_one(seed: int, index: int) -> Outcome:
    assert _WORKER is not None, "the pool's initializer did not run"
    trials, replayer = _WORKER
    return replayer.outcome(index, draw(trials, seed, index))


def run_samples(
    scenario: Scenario,
    risk: RiskModel,
    plan: dict[str, Any],
    samples: int,
    seed: int = 0,
    policy: Policy = Policy.REPLAN,
    workers: int | None = 1,
    params: SolverParams | None = None,
    on_sample: Callable[[Outcome], None] | None = None,
    engine: str = "pool",
    address: str | None = None,
) -> list[Outcome]:
    """Outcomes of samples 0..samples-1, in index order.

    ``engine`` "pool": ``workers`` local processes (1: here; None: this machine's cores). The pool
    uses the ``spawn`` start method (no state of this process is inherited, so a sample cannot
    depend on what ran before it here) and is shut down, its processes reaped, on return.
    ``engine`` "ray": ``workers`` Ray actors on a local Ray runtime started for the run, or on the
    cluster whose head is at ``address`` (``HOST:PORT``); see :mod:`planner.risk.ray_engine`.

    ``on_sample`` is told of each outcome as it is collected (for progress displays).
    """
    if engine == "ray":
        from planner.risk.ray_engine import run_on_ray

        return run_on_ray(scenario, risk, plan, samples, seed, policy, workers, params, on_sample, address)
    if engine != "pool":
        raise ValueError(f"unknown engine {engine!r}: use 'pool' or 'ray'")
    if address is not None:
        raise ValueError("an address is a Ray cluster's: use engine 'ray' with it")
    if workers is None:
        workers = os.cpu_count() or 1
    indices = range(samples)
    if workers <= 1:
        trials = trials_of(scenario, risk)
        replayer = Replayer(scenario, plan, policy, params)
        return _collected((replayer.outcome(i, draw(trials, seed, i)) for i in indices), on_sample)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(), scenario, risk, plan, policy, params),
    ) as pool:
        chunk = max(1, samples // (workers * 4))
        return _collected(pool.map(_run_one, [seed] * samples, indices, chunksize=chunk), on_sample)


def _collected(outcomes: Iterable[Outcome], on_sample: Callable[[Outcome], None] | None) -> list[Outcome]:
    collected = []
    for outcome in outcomes:
        collected.append(outcome)
        if on_sample is not None:
            on_sample(outcome)
    return collected
