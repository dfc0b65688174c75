"""Connections and arcs kept on disk between runs, so that a second plan of a scenario starts warm.

The connection search is most of the time a plan takes to build, and its answer depends only on
the scenario, the events in force, the start and the end of the trip, and the code that searches.
``ConnectionStore`` keeps that answer in one file per key, a SHA-256 of all of these, and beside
it the arcs built from it for a first plan (no previous version to stay close to). The code is
in the key as a fingerprint of every file of the ``planner`` package (sources and data), so a
changed rule or timetable parser never serves an answer computed by the old code.

A store never makes a plan fail: a missing, unreadable or corrupt entry is a miss (the search
runs and the entry is written again), and a directory that cannot be written is skipped. An
entry is written to a temporary file and renamed, so two processes planning the same scenario at
once never read half an entry. The entries are pickles: the directory must be the user's own
(the default is ``$XDG_CACHE_HOME/delegation-planner``), as with any cache of Python objects.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from planner.collector import collection_paused
from planner.connections.model import Journey

if TYPE_CHECKING:
    from planner.arcs import Arc
    from planner.domain import Scenario

CACHE_DIR_ENV = "PLANNER_CACHE_DIR"
Journeys = dict[tuple[str, str], list[Journey]]
# A problem's connections, every arc, the arcs left after pruning, the seconds the arcs took, and
# the home days on which the daily travel limit can bind.
StoredArcs = tuple[Journeys, list["Arc"], list["Arc"], float, frozenset[int]]


def default_cache_dir() -> Path:
    """``$PLANNER_CACHE_DIR``, else ``$XDG_CACHE_HOME/delegation-planner``, else ``~/.cache/...``."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "delegation-planner"


@functools.cache
def code_fingerprint() -> str:
    """A hash of every file of the ``planner`` package and of the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json"):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class ConnectionStore:
    """A directory of connection-search answers, keyed by everything they depend on."""

    directory: Path

    @classmethod
    def default(cls) -> ConnectionStore:
        return cls(default_cache_dir())

    def key(self, *parts: str) -> str:
        """The entry name of an answer: a hash of the code and of ``parts`` (canonical texts)."""
        digest = hashlib.sha256(code_fingerprint().encode())
        for part in parts:
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part.encode())
        return digest.hexdigest()

    def _path(self, kind: str, key: str) -> Path:
        return self.directory / f"{kind}-{key}.pickle"

    def load(self, key: str) -> Journeys | None:
        """The stored connections, or None when there are none that can be read."""
        found = self._read(self._path("connections", key))
        return found if isinstance(found, dict) else None

    def save(self, key: str, journeys: Journeys) -> None:
        """Store the connections of ``key``."""
        self._write(self._path("connections", key), journeys)

    def load_arcs(self, key: str, scenario: Scenario) -> StoredArcs | None:
        """The connections and arcs of a problem without a stability term (the arcs also read the
        scenario's objective weights and rules, so the scenario is in their key)."""
        found = self._read(self._path("arcs", self.key(key, scenario.model_dump_json())))
        return found if isinstance(found, tuple) and len(found) == 5 else None

    def save_arcs(self, key: str, scenario: Scenario, arcs: StoredArcs) -> None:
        self._write(self._path("arcs", self.key(key, scenario.model_dump_json())), arcs)

    def load_value(self, kind: str, key: str) -> object:
        """Another answer kept under ``key`` (e.g. a problem's first plan, planner.solve), or None;
        the caller checks what it reads."""
        return self._read(self._path(kind, key))

    def save_value(self, kind: str, key: str, value: object) -> None:
        self._write(self._path(kind, key), value)

    @staticmethod
    def _read(path: Path) -> object:
        # The cyclic garbage collector would run many times over the hundred thousand objects
        # an entry creates, none of them garbage: paused, reading takes a third of the time.
        try:
            with collection_paused(), path.open("rb") as file:
                return pickle.load(file)
        except Exception:  # missing, truncated, from another version: a miss, never an error
            return None

    def _write(self, path: Path, value: object) -> None:
        """Write an entry whole or not at all; a directory that cannot be written is skipped."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".entry-")
            try:
                with os.fdopen(handle, "wb") as file:
                    pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return

    def entries(self) -> list[Path]:
        """The stored answers (for ``planner cache``-style housekeeping and tests)."""
        return sorted(self.directory.glob("*-*.pickle")) if self.directory.is_dir() else []
