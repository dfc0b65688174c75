"""The bundled scenarios and timelines give, byte for byte, the outputs in tests/data/golden."""

from __future__ import annotations

import difflib
from pathlib import Path

from tests.golden import GOLDEN, produce


def test_outputs_match_the_golden_files(tmp_path: Path):
    """Plans, checks, exports, what-if reports and replans are unchanged (run times blanked)."""
    outputs = produce(tmp_path)
    expected = {path.name: path.read_text() for path in GOLDEN.iterdir()}
    assert sorted(outputs) == sorted(expected)
    changed = {
        name: "".join(
            difflib.unified_diff(
                expected[name].splitlines(keepends=True), text.splitlines(keepends=True), name, "now", n=1
            )
        )[:3000]
        for name, text in outputs.items()
        if text != expected[name]
    }
    assert changed == {}, "\n".join(changed.values())
