"""Risk samples on Ray, for real: a local Ray runtime started by `planner risk --engine ray`, and a
Ray cluster (`ray start --head`) joined with `--address`. Both give the outcomes of the local pool.

Every Ray process runs outside pytest, in a session of its own started with the parent-death
signal, so that a killed test run does not leave a cluster behind; each is found afterwards by a
tag in its environment (Ray's workers inherit it), and the tests assert that none is left.
The cluster and the drivers use token authentication with a token of this run only (nothing is
written under ~/.ray) and a temporary directory of their own (nothing under /tmp/ray).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pickle
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from planner.cli import main
from planner.risk.replay import Policy
from planner.risk.runner import run_samples
from planner.scenario import load_risk, load_scenario
from tests.conftest import ROOT, SCENARIOS, make_plan, unhurried

THREE = SCENARIOS / "three-cities.yaml"
RISK = SCENARIOS / "risk" / "three-cities.yaml"
RAY_CLI = Path(sys.executable).parent / "ray"
RUN_TAG = "PLANNER_RAY_TEST_RUN"
# Two CPUs (two actors), no dashboard, a small object store (outcomes are kilobytes).
HEAD_OPTIONS = (
    "--num-cpus=2",
    "--include-dashboard=false",
    "--disable-usage-stats",
    f"--object-store-memory={100 * 2**20}",
)
PR_SET_PDEATHSIG = 1
# Samples per policy: enough that several draw events (asserted), few enough for a quick file.
SAMPLES = {Policy.REPLAN: 8, Policy.FOLLOW: 40}
SEED = 7

# A Ray driver in its own process: the outcomes of both policies on the cluster, pickled to a file.
DRIVER = """
import pickle, sys
from planner.risk.replay import Policy
from planner.risk.runner import run_samples
from planner.scenario import load_plan, load_risk, load_scenario
from tests.conftest import unhurried
address, plan_path, out, seed, replan, follow, scenario_path, risk_path = sys.argv[1:]
scenario = unhurried(load_scenario(scenario_path))
risk = load_risk(risk_path, scenario)
plan, _ = load_plan(plan_path)
outcomes = {
    policy: run_samples(scenario, risk, plan, int(count), int(seed), policy, 2, engine="ray", address=address)
    for policy, count in ((Policy.REPLAN, replan), (Policy.FOLLOW, follow))
}
with open(out, "wb") as file:
    pickle.dump(outcomes, file)
"""


def _end_with_pytest() -> None:
    """Runs in the child before exec: the kernel sends it SIGTERM when pytest dies, even by kill -9
    (``ray start --block`` then stops every process of its node; a CLI run shuts its runtime down)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def run_ray_driver(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A Ray driver in a session of its own that the kernel ends when pytest dies."""
    return subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,
        preexec_fn=_end_with_pytest,
    )


def ray_environment(tag: str, temp: Path, token: str) -> dict[str, str]:
    return {
        **os.environ,
        RUN_TAG: tag,
        "RAY_TMPDIR": str(temp),
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": token,
        "RAY_USAGE_STATS_ENABLED": "0",
        # A test node has nothing to drain: stop at once on SIGTERM (Ray waits 30 s by default).
        "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
    }


def tagged(tag: str, name: str = "") -> dict[int, str]:
    """Live processes (not zombies) whose environment carries the tag: pid -> command line."""
    marker = f"{RUN_TAG}={tag}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if name in command:
                found[int(entry.name)] = command
    return found


def gone(tag: str, name: str = "", grace_s: float = 20.0) -> dict[int, str]:
    """What still runs with the tag after ``grace_s`` (Ray's processes take a moment to stop)."""
    deadline = time.monotonic() + grace_s
    while (alive := tagged(tag, name)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def kill_all(tag: str) -> None:
    for pid in tagged(tag):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    address: str
    process: subprocess.Popen[bytes]
    tag: str
    environment: dict[str, str]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def ray_home() -> Iterator[Path]:
    # Short: Ray's socket paths under it must stay within the 107 bytes of a Unix socket name.
    home = Path(tempfile.mkdtemp(prefix="planner-ray-", dir="/tmp"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def token() -> str:
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def cluster(ray_home: Path, token: str) -> Iterator[Cluster]:
    """A two-CPU Ray cluster (one head node) in a session of its own, for the tests of this file."""
    tag = secrets.token_hex(8)
    environment = ray_environment(tag, ray_home, token)
    port = free_port()
    log = ray_home / "head.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(RAY_CLI), "start", "--head", "--block", f"--port={port}", *HEAD_OPTIONS],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_end_with_pytest,
        )
    running = Cluster(f"127.0.0.1:{port}", process, tag, environment)
    try:
        deadline = time.monotonic() + 120
        while b"Ray runtime started" not in log.read_bytes():
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the Ray head did not start within 120 s"
            time.sleep(0.2)
        yield running
    finally:
        running.stop()
        left = gone(tag)
        kill_all(tag)
        assert not left, f"the Ray cluster left processes running: {left}"


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory):
    scenario = unhurried(load_scenario(THREE))
    plan = make_plan(scenario)
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return scenario, load_risk(RISK, scenario), plan, path


def test_ray_actors_give_the_outcomes_of_the_pool_and_of_one_process(cluster, three, tmp_path):
    """Two actors on the cluster, two pool processes and this process: the same outcomes, in index
    order, for both policies. The run only disconnects: the cluster runs on, its actors gone."""
    scenario, risk, plan, plan_path = three
    out = tmp_path / "outcomes.pickle"
    command = [sys.executable, "-c", DRIVER, cluster.address, str(plan_path), str(out), str(SEED)]
    counts = [str(SAMPLES[Policy.REPLAN]), str(SAMPLES[Policy.FOLLOW]), str(THREE), str(RISK)]
    done = run_ray_driver(command + counts, cluster.environment)
    assert done.returncode == 0, done.stderr
    on_ray = pickle.loads(out.read_bytes())
    for policy, samples in SAMPLES.items():
        here = run_samples(scenario, risk, plan, samples, SEED, policy, workers=1)
        pooled = run_samples(scenario, risk, plan, samples, SEED, policy, workers=2, engine="pool")
        assert on_ray[policy] == pooled == here, policy
        assert [o.index for o in on_ray[policy]] == list(range(samples))
        assert sum(1 for o in here if o.events) >= 2 and any(o.cities < len(plan["seminars"]) for o in here)
    assert cluster.process.poll() is None, "joining the cluster must not shut it down"
    assert not gone(cluster.tag, "SampleActor"), "the run's actors outlived it"
    assert tagged(cluster.tag, "raylet"), "the cluster's node must still run"


def test_cli_on_a_local_ray_runtime_reports_as_the_pool_and_leaves_no_process(ray_home, token, three, capsys):
    """`--engine ray` starts a local runtime for the run and stops it: its report equals the pool's,
    and no process of the runtime (GCS, raylet, agents, workers) survives the command."""
    _, _, _, plan_path = three
    args = ["risk", str(THREE), str(plan_path), "--samples", "8", "--seed", "3", "--workers", "2", "--json"]
    assert main([*args, "--engine", "pool"]) == 0
    pooled = json.loads(capsys.readouterr().out)
    tag = secrets.token_hex(8)
    try:
        command = [sys.executable, "-m", "api.cli", *args, "--engine", "ray"]
        done = run_ray_driver(command, ray_environment(tag, ray_home, token))
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == pooled  # standard output is the report alone
        assert pooled["samples"] == 8 and pooled["violations"] == 0
        assert not gone(tag), "the local Ray runtime left processes running"
    finally:
        kill_all(tag)


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("nope", "HOST:PORT"),
        ("127.0.0.1", "HOST:PORT"),
        (":6379", "HOST:PORT"),
        ("head node:6379", "HOST:PORT"),
        ("10.0.0.5:0", "port"),
        ("10.0.0.5:70000", "port"),
        ("10.0.0.5:63x9", "port"),
    ],
)
def test_a_malformed_address_is_refused_naming_it(three, capsys, address, says):
    _, _, _, plan_path = three
    assert main(["risk", str(THREE), str(plan_path), "--samples", "2", "--address", address]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --address") and says in err and "Traceback" not in err


def test_an_address_nothing_answers_at_is_refused_naming_it(three, capsys):
    _, _, _, plan_path = three
    closed = f"127.0.0.1:{free_port()}"  # bound and released: nothing listens there
    assert main(["risk", str(THREE), str(plan_path), "--samples", "2", "--address", closed]) == 2
    err = capsys.readouterr().err
    assert err.strip().startswith(f"error: --address {closed}") and "nothing answers" in err


def test_address_is_for_ray_and_engine_names_are_checked(three, capsys):
    scenario, risk, plan, plan_path = three
    assert main(["risk", str(THREE), str(plan_path), "--engine", "pool", "--address", "10.0.0.5:6379"]) == 2
    assert "--address" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["risk", str(THREE), str(plan_path), "--engine", "spark"])
    assert stop.value.code == 2 and "--engine" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        run_samples(scenario, risk, plan, 1, engine="spark")


def test_without_ray_installed_the_ray_engine_says_to_install_it(three, capsys, monkeypatch):
    _, _, _, plan_path = three
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed: find_spec finds nothing
    assert main(["risk", str(THREE), str(plan_path), "--samples", "2", "--engine", "ray"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --engine ray") and "install ray" in err and "Traceback" not in err


SERVICE_DRIVER = """
import json, sys
import yaml
from api.jobs import risk_job
address, plan_path, out, scenario_path, risk_path = sys.argv[1:]
with open(scenario_path, encoding="utf-8") as file:
    scenario = yaml.safe_load(file)
with open(risk_path, encoding="utf-8") as file:
    risk = yaml.safe_load(file)
with open(plan_path, encoding="utf-8") as file:
    plan = json.load(file)
outcome = risk_job(scenario, risk, plan, 8, 7, "replan", {}, None, address)
with open(out, "w", encoding="utf-8") as file:
    json.dump({"report": outcome.report, "error": str(outcome.error)}, file)
"""


def test_the_service_risk_job_on_the_cluster_reports_as_in_its_own_process(cluster, three, tmp_path):
    """PLANNER_RISK_RAY_ADDRESS: the service's risk job sends its samples to the cluster and stores
    the report it would have computed in the pool's process."""
    import yaml

    from api.jobs import risk_job

    _, _, plan, plan_path = three
    out = tmp_path / "report.json"
    command = [sys.executable, "-c", SERVICE_DRIVER, cluster.address, str(plan_path), str(out)]
    done = run_ray_driver([*command, str(THREE), str(RISK)], cluster.environment)
    assert done.returncode == 0, done.stderr
    on_ray = json.loads(out.read_text("utf-8"))
    scenario_data = yaml.safe_load(THREE.read_text("utf-8"))
    risk_data = yaml.safe_load(RISK.read_text("utf-8"))
    here = risk_job(scenario_data, risk_data, plan, 8, 7, "replan", {})
    assert here.error is None and here.report is not None
    assert on_ray["report"] == json.loads(json.dumps(here.report))
    assert not gone(cluster.tag, "SampleActor"), "the run's actors outlived it"


def test_the_service_refuses_a_malformed_ray_address_naming_the_setting():
    from api.settings import Settings

    with pytest.raises(ValueError, match="PLANNER_RISK_RAY_ADDRESS"):
        Settings(risk_ray_address="no-port-here")
    assert Settings(risk_ray_address="10.0.0.5:6379").risk_ray_address == "10.0.0.5:6379"


def test_the_cluster_stops_and_leaves_no_process(cluster):
    """Last here: stopping the head node (as the fixture does) ends every process of the cluster."""
    cluster.stop()
    assert cluster.process.returncode is not None
    assert not gone(cluster.tag)
