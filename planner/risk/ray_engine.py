"""Run a risk model's samples as Ray tasks, on a local Ray runtime or on an existing Ray cluster.

Each actor holds what every sample of the run shares, the drawing trials and a
:class:`~planner.risk.replay.Replayer` with its compiled transport network, built once when the
actor starts (as the local pool builds them once per process): a sample then costs its replay
alone, not a network build. Samples go to the actors in chunks, each actor with at most two
chunks queued, so a fast actor takes more chunks and per-task overhead stays small. Sample ``i``
is drawn from the seed and ``i`` alone, so the outcomes are those of the pool for the same seed.

``ray`` is imported only inside the functions here: the planner imports and ``planner --help``
starts without it, and it is an optional extra (``pip install 'delegation-planner[ray]'``).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from planner.domain import Scenario, SolverParams
from planner.risk.model import RiskModel
from planner.risk.replay import Outcome, Policy, Replayer
from planner.risk.sampling import draw, trials_of

# A local runtime keeps only the chunks' outcomes (kilobytes each) in its object store: a small
# store starts faster and fits a small /dev/shm (Ray's floor is 75 MiB).
LOCAL_OBJECT_STORE_BYTES = 100 * 1024 * 1024
# How many chunks each actor is given: enough to balance uneven samples (a replan can take ten
# times longer than a quiet sample), few enough that the tasks' overhead stays small.
CHUNKS_PER_ACTOR = 4
IN_FLIGHT_PER_ACTOR = 2
CONNECT_TIMEOUT_S = 5.0

_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$")


class RayEngineError(Exception):
    """Ray cannot run the samples: not installed, or no cluster at the address (the message says)."""


def ray_installed() -> bool:
    """Whether ``ray`` can be imported, found without importing it (that takes a second)."""
    return importlib.util.find_spec("ray") is not None


def address_problem(address: str) -> str | None:
    """What is wrong with a ``HOST:PORT`` cluster address, or None when it has that form."""
    host, colon, port = address.rpartition(":")
    if not colon or not host or not _HOST.match(host):
        return f"{address!r}: give the head node as HOST:PORT, e.g. 10.0.0.5:6379"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return f"{address!r}: the port must be a whole number from 1 to 65535"
    return None


class SampleActor:
    """One Ray actor's share of a run: the trials and the replayer, built once when it starts."""

    def __init__(
        self,
        scenario: Scenario,
        risk: RiskModel,
        plan: dict[str, Any],
        policy: Policy,
        params: SolverParams | None,
    ) -> None:
        self.trials = trials_of(scenario, risk)
        self.replayer = Replayer(scenario, plan, policy, params)

    def run(self, seed: int, indices: list[int]) -> list[Outcome]:
        return [self.replayer.outcome(i, draw(self.trials, seed, i)) for i in indices]


def run_on_ray(
    scenario: Scenario,
    risk: RiskModel,
    plan: dict[str, Any],
    samples: int,
    seed: int,
    policy: Policy,
    workers: int | None,
    params: SolverParams | None = None,
    on_sample: Callable[[Outcome], None] | None = None,
    address: str | None = None,
) -> list[Outcome]:
    """Outcomes of samples 0..samples-1, in index order, from ``workers`` Ray actors.

    Without ``address`` a local Ray runtime with ``workers`` CPUs (None: this machine's cores) is
    started for the run and shut down on return, also on an error, its processes reaped. With
    ``address`` (``HOST:PORT`` of a running cluster's head) the run joins that cluster, uses
    ``workers`` actors (None: one per CPU of the cluster) and only disconnects at the end; the
    cluster's nodes need this project installed. A process already connected to Ray (a library
    caller's ``ray.init``) is used as it is and left connected.

    ``on_sample`` is told of each outcome as its chunk completes (for progress displays).
    """
    if not ray_installed():
        raise RayEngineError("Ray is not installed: install ray (pip install 'delegation-planner[ray]')")
    if address is not None:
        problem = address_problem(address)
        if problem is not None:
            raise RayEngineError(problem)
    if samples <= 0:
        return []  # nothing to run: no runtime to start
    with _connected(address, workers) as ray:
        # An actor asks for one CPU: more actors than the cluster's CPUs would wait for ever.
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        count = max(1, min(workers or cpus, cpus, samples))
        shared = [ray.put(part) for part in (scenario, risk, plan, policy, params)]
        actor_class = ray.remote(num_cpus=1)(SampleActor)
        actors = [actor_class.remote(*shared) for _ in range(count)]
        try:
            collected = _collect(ray, actors, seed, _chunks(samples, count), on_sample)
        finally:
            for actor in actors:
                with suppress(Exception):
                    ray.kill(actor)
    return [collected[i] for i in range(samples)]


def _chunks(samples: int, actors: int) -> Iterator[list[int]]:
    size = max(1, -(-samples // (actors * CHUNKS_PER_ACTOR)))
    for start in range(0, samples, size):
        yield list(range(start, min(samples, start + size)))


def _collect(
    ray: Any,
    actors: list[Any],
    seed: int,
    chunks: Iterator[list[int]],
    on_sample: Callable[[Outcome], None] | None,
) -> dict[int, Outcome]:
    """Keep every actor busy with chunks until none is left; the outcomes by index."""
    running: dict[Any, Any] = {}  # task -> the actor running it

    def give(actor: Any) -> None:
        chunk = next(chunks, None)
        if chunk is not None:
            running[actor.run.remote(seed, chunk)] = actor

    for _ in range(IN_FLIGHT_PER_ACTOR):
        for actor in actors:
            give(actor)
    collected: dict[int, Outcome] = {}
    while running:
        done, _ = ray.wait(list(running), num_returns=1)
        actor = running.pop(done[0])
        give(actor)
        for outcome in ray.get(done[0]):
            collected[outcome.index] = outcome
            if on_sample is not None:
                on_sample(outcome)
    return collected


@contextmanager
def _connected(address: str | None, workers: int | None) -> Iterator[Any]:
    """Ray, initialised for the run: started locally, joined at ``address``, or as it already was."""
    import ray

    if ray.is_initialized():
        yield ray
        return
    # Ray's own messages stay off standard output (the report) and the workers' output is not
    # forwarded: a failing task still raises here with its traceback.
    quiet: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    if address is None:
        # A runtime started for one run reports no usage statistics unless the user asked for them.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        # "local": a runtime of this run's own, even when a Ray instance already runs on this machine
        # (a plain ray.init() would join that one and share its CPUs).
        ray.init(
            address="local",
            num_cpus=workers,
            include_dashboard=False,
            object_store_memory=LOCAL_OBJECT_STORE_BYTES,
            **quiet,
        )
    else:
        _reachable(address)
        try:
            ray.init(address=address, **quiet)
        except Exception as error:  # whatever the reason, the run cannot join: say so plainly
            raise RayEngineError(
                f"{address}: no Ray cluster joined ({str(error).strip().splitlines()[0]}); "
                "a cluster with token authentication also needs RAY_AUTH_MODE=token and its token "
                "(RAY_AUTH_TOKEN or ~/.ray/auth_token) here"
            ) from error
    try:
        yield ray
    finally:
        # Stops the processes of a local runtime; on a cluster, only disconnects (its own actors
        # end with the job).
        ray.shutdown()


def _reachable(address: str) -> None:
    """Refuse an address nothing answers at, at once: Ray itself retries for minutes."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        raise RayEngineError(f"{address}: nothing answers there ({error.strerror or error})") from error
