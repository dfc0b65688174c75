"""What an input file may be, and how what is wrong with it is told: located problems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Path_ = tuple[str | int, ...]

MAX_FILE_BYTES = 2_000_000
MAX_ALIASES = 100
MAX_ALIAS_VALUES = 10_000
MAX_DEPTH = 32

PLAN_FORMAT = "delegation-plan/1"
TEAM_PLAN_FORMAT = "delegation-team-plan/1"  # several teams' plans together (planner.teams)
FileKind = Literal["scenario", "events", "risk", "plan"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    source: str
    path: Path_
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        field = ".".join(str(p) for p in self.path) or "(top level)"
        return f"{where}: {field}: {self.message}"


class ScenarioError(ValueError):
    """A scenario, event or plan input that cannot be used; ``problems`` lists why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def fail(source: str, message: str, line: int | None = None, path: Path_ = ()) -> ScenarioError:
    return ScenarioError([Problem(source, path, message, line)])


def nearest_line(lines: dict[Path_, int], path: Path_) -> int | None:
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None
