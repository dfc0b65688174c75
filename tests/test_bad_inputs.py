"""The bad-input corpus (tests/data/bad/): every file is refused, naming the field, never a traceback.

``expected.json`` lists each file with the words `planner validate` must print (the field
path, or words naming the problem); ``make_corpus.py`` writes the generated part. Over
HTTP, every corpus scenario that can travel as JSON is refused with 422 (or 413) and
nothing is stored.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from planner.cli import main
from tests.api_support import ACME, api_settings
from tests.conftest import ROOT

BAD = ROOT / "tests" / "data" / "bad"
MANIFEST: dict[str, dict[str, Any]] = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))
CORPUS = sorted(MANIFEST)
CLASSES = {
    "wrong-type",
    "out-of-range",
    "missing",
    "unknown-key",
    "dangling-id",
    "non-finite",
    "impossible-date",
    "integer-timestamp",
    "cross-field",
    "duplicate-key",
    "encoding",
    "alias-bomb",
    "yaml-syntax",
    "file-kind",
    "event-file",
    "plan-file",
}
# Generous: a gate that works answers in about a second; these only keep a broken one from
# hanging the suite or the machine. Not a measure of speed.
ISOLATED_TIMEOUT_S = 600
ISOLATED_MEMORY_BYTES = 3 * 1024**3


def _argv(name: str) -> list[str]:
    entry = MANIFEST[name]
    extra = [str(ROOT / arg) if arg.endswith((".yaml", ".json")) else arg for arg in entry.get("args", [])]
    return ["validate", str(BAD / name), *extra]


def _isolated(argv: list[str]) -> tuple[int, str]:
    """`planner validate` in its own process, with a cap on its memory."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY_BYTES, ISOLATED_MEMORY_BYTES))

    done = subprocess.run(
        [sys.executable, "-m", "planner.cli", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=ISOLATED_TIMEOUT_S,
        preexec_fn=cap_memory,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_corpus_covers_every_class() -> None:
    """At least 150 files, every class represented, every file in the folders listed."""
    assert len(MANIFEST) >= 150
    assert {entry["class"] for entry in MANIFEST.values()} == CLASSES
    on_disk = {
        str(path.relative_to(BAD))
        for folder in ("hand", "generated")
        for path in (BAD / folder).iterdir()
        if path.is_file()
    }
    assert on_disk == set(MANIFEST)
    assert all(entry["expect"] for entry in MANIFEST.values())


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", str(BAD / "base" / "tiny-steppe.yaml")],
        [
            "validate",
            str(BAD / "base" / "tiny-steppe.events.yaml"),
            "--scenario",
            str(BAD / "base" / "tiny-steppe.yaml"),
        ],
        [
            "validate",
            str(BAD / "base" / "tiny-steppe.plan.json"),
            "--scenario",
            str(BAD / "base" / "tiny-steppe.yaml"),
        ],
    ],
    ids=["scenario", "events", "plan"],
)
def test_the_base_files_are_valid(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """The files the corpus mutates are valid: each refusal comes from its mutation."""
    assert main(argv) == 0, capsys.readouterr().err


@pytest.mark.parametrize("name", CORPUS)
def test_validate_refuses_with_the_field_named(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit code 2; the message names the file and the field (or the problem); no traceback."""
    argv = _argv(name)
    if MANIFEST[name].get("isolate"):
        code, output = _isolated(argv)
    else:
        code = main(argv)
        captured = capsys.readouterr()
        output = captured.out + captured.err
    assert "Traceback" not in output
    assert code == 2, output
    assert str(BAD / name) in output, output
    for words in MANIFEST[name]["expect"]:
        assert words in output, (words, output)


# --- Over HTTP -----------------------------------------------------------------------------------

API_CASES = [name for name in CORPUS if MANIFEST[name]["api"]]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # Hundreds of requests in a few seconds: no rate limit in the way.
    settings = api_settings(tmp_path_factory.mktemp("bad-inputs"), rate_per_key=0, rate_per_organisation=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _plan_count(client: TestClient) -> int:
    return len(client.get("/v1/plans", headers=ACME, params={"limit": 500}).json())


def _body(name: str) -> bytes:
    """``{"scenario": ...}`` with the file's own JSON text (NaN, 1e400 and all), or its YAML as JSON."""
    path = BAD / name
    if MANIFEST[name]["api"] == "raw":
        return b'{"scenario": ' + path.read_bytes() + b"}"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return json.dumps({"scenario": data}, default=str).encode()


def test_the_api_cases_are_most_scenarios() -> None:
    scenarios = [name for name in CORPUS if MANIFEST[name]["kind"] == "scenario"]
    assert len(API_CASES) >= 0.8 * len([n for n in scenarios if n.startswith("generated/")])


@pytest.mark.parametrize("name", API_CASES)
def test_api_refuses_each_scenario_and_stores_nothing(name: str, client: TestClient) -> None:
    """POST /v1/plans answers 422 (or 413), never a server error, and stores no plan."""
    before = _plan_count(client)
    response = client.post(
        "/v1/plans", content=_body(name), headers={**ACME, "content-type": "application/json"}
    )
    assert response.status_code in (413, 422), (response.status_code, response.text[:2000])
    assert _plan_count(client) == before


def test_an_oversized_file_is_refused_before_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file over the size limit is refused without parsing it (it could be anything)."""
    from planner.inputs import MAX_FILE_BYTES

    path = tmp_path / "huge.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("name: huge\ndescription: |\n")
        line = "  " + "x" * 98 + "\n"
        for _ in range(MAX_FILE_BYTES // len(line) + 2):
            handle.write(line)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: (top level): the file is larger than {MAX_FILE_BYTES:,} bytes" in err
