"""The store refuses alike on every database what PostgreSQL would refuse.

On a SQLite file, or on a PostgreSQL database of its own when PLANNER_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError

from api.storage import KeyOwner, Store
from tests.api_support import database_url

OWNER = KeyOwner("ministry", "desk", None)
REFUSED = (ValueError, StatementError)  # raised by the driver, or wrapped by SQLAlchemy


@pytest.mark.parametrize("number", [math.nan, math.inf])
def test_a_number_json_cannot_hold_is_never_stored(tmp_path: Path, number: float) -> None:
    store = Store.from_url(database_url(tmp_path / "planner.db"))
    try:
        store.upgrade_schema()
        with pytest.raises(REFUSED, match="not JSON compliant"):
            store.create_plan(OWNER, "steppe", {"name": "steppe"}, {"gap": number}, "planned")
        assert store.plans("ministry") == []
        stored = store.create_plan(OWNER, "steppe", {"name": "steppe"}, {"gap": 0.5}, "planned")
        with pytest.raises(REFUSED, match="not JSON compliant"):
            store.add_version(
                OWNER, stored.plan_id, 1, {"gap": 0.5}, [{"id": "e", "kind": "k", "x": number}], ""
            )
        assert store.plan_latest(stored.plan_id) == 1
    finally:
        store.engine.dispose()
