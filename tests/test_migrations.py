"""Alembic owns the schema: a new database, one made by the first release, and one up to date.

Each test runs on a SQLite file, or on a PostgreSQL database of its own when
PLANNER_TEST_DATABASE_URL is set (``tests.api_support.database_url``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    event,
    inspect,
    select,
)

from api import migrations
from api.app import create_app
from api.cli import main
from api.storage import Base, Store, hash_key, make_engine, new_key
from planner.document import read_document
from tests.api_support import ROOT, api_settings, database_url

# The tables of the first release, written out as its models made them with create_all. Frozen:
# they describe databases that exist, whatever api/storage.py says today.
FIRST_RELEASE = MetaData()
Table(
    "api_keys",
    FIRST_RELEASE,
    Column("id", Integer, primary_key=True),
    Column("organisation", String(100), nullable=False, index=True),
    Column("label", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
Table(
    "plans",
    FIRST_RELEASE,
    Column("id", String(32), primary_key=True),
    Column("organisation", String(100), nullable=False, index=True),
    Column("scenario_name", String(200), nullable=False),
    Column("scenario", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
)
Table(
    "plan_versions",
    FIRST_RELEASE,
    Column("id", Integer, primary_key=True),
    Column("plan_id", ForeignKey("plans.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("base_version", Integer, nullable=True),
    Column("now", String(40), nullable=True),
    Column("plan", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("plan_id", "number", name="one_row_per_version"),
)
Table(
    "plan_events",
    FIRST_RELEASE,
    Column("id", Integer, primary_key=True),
    Column("plan_id", ForeignKey("plans.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("event", JSON, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("reported_by", String(200), nullable=False),
)

PLAN_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
CREATED = dt.datetime(2016, 1, 17, 9, 30, tzinfo=dt.UTC)
REPLANNED = dt.datetime(2016, 1, 19, 4, 5, 6, tzinfo=dt.UTC)
CLOSURE = {
    "id": "tse-fog",
    "kind": "terminal_closed",
    "terminal": "TSE",
    "announced_at": "2016-01-19T10:00+06:00",
    "start": "2016-01-19T10:00+06:00",
    "end": "2016-01-19T18:00+06:00",
}


def differences(engine: Engine, metadata: MetaData) -> list[Any]:
    """What Alembic's autogenerate finds between the database and ``metadata`` (types included)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def every_row(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
            for name, table in FIRST_RELEASE.tables.items()
        }


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    made = make_engine(database_url(tmp_path / "planner.db"))
    yield made
    made.dispose()


def test_a_new_database_gets_exactly_the_schema_of_the_models(engine: Engine) -> None:
    assert migrations.current(engine) is None
    Store(engine).upgrade_schema()
    assert migrations.current(engine) == migrations.head()
    assert differences(engine, Base.metadata) == []
    assert set(inspect(engine).get_table_names()) == {*Base.metadata.tables, "alembic_version"}

    # The comparison is not blind: a length one character shorter in the models is seen.
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["plans"].c.scenario_name.type = String(199)
    found = differences(engine, changed)
    assert len(found) == 1 and found[0][0][:4] == ("modify_type", None, "plans", "scenario_name")


def test_revision_1_is_the_first_release(engine: Engine) -> None:
    migrations.upgrade(engine, migrations.FIRST_REVISION)
    assert differences(engine, FIRST_RELEASE) == []


def test_a_first_release_database_is_stamped_and_upgraded_keeping_every_row(
    tmp_path: Path, engine: Engine
) -> None:
    FIRST_RELEASE.create_all(engine)
    key, revoked = new_key(), new_key()
    plan = json.loads((ROOT / "tests" / "data" / "check-small.plan.json").read_text())
    replanned = {**plan, "version": 2, "based_on": 1, "events": [CLOSURE], "diff": {"changes": 2}}
    author = "ministry/desk (key 1)"
    tables = FIRST_RELEASE.tables
    with engine.begin() as connection:
        connection.execute(
            tables["api_keys"].insert(),
            [
                {
                    "organisation": "ministry",
                    "label": "desk",
                    "key_hash": hash_key(key),
                    "created_at": CREATED,
                    "revoked_at": None,  # every row names every column, as one executemany needs
                },
                {
                    "organisation": "ministry",
                    "label": "old",
                    "key_hash": hash_key(revoked),
                    "created_at": CREATED,
                    "revoked_at": REPLANNED,
                },
            ],
        )
        connection.execute(
            tables["plans"].insert(),
            {
                "id": PLAN_ID,
                "organisation": "ministry",
                "scenario_name": "check-small",
                "scenario": {"name": "check-small", "note": "as given"},
                "created_at": CREATED,
                "created_by": author,
            },
        )
        connection.execute(
            tables["plan_versions"].insert(),
            [
                {
                    "plan_id": PLAN_ID,
                    "number": 1,
                    "kind": "planned",
                    "base_version": None,
                    "now": None,
                    "plan": plan,
                    "created_at": CREATED,
                    "created_by": author,
                },
                {
                    "plan_id": PLAN_ID,
                    "number": 2,
                    "kind": "replanned",
                    "base_version": 1,
                    "now": "2016-01-19T10:00:00+06:00",
                    "plan": replanned,
                    "created_at": REPLANNED,
                    "created_by": author,
                },
            ],
        )
        connection.execute(
            tables["plan_events"].insert(),
            {
                "plan_id": PLAN_ID,
                "version": 2,
                "event_id": CLOSURE["id"],
                "kind": CLOSURE["kind"],
                "event": CLOSURE,
                "reported_at": REPLANNED,
                "reported_by": author,
            },
        )
    before = every_row(engine)
    assert migrations.current(engine) is None

    Store(engine).upgrade_schema()
    assert migrations.current(engine) == migrations.head()
    assert every_row(engine) == before
    assert differences(engine, Base.metadata) == []

    # The service, started on it (upgrading again on the way), reads all of it.
    desk = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(api_settings(tmp_path))) as client:
        listing = client.get("/v1/plans", headers=desk).json()
        assert [(p["id"], p["latest_version"], p["status"]) for p in listing] == [
            (PLAN_ID, 2, plan["status"])
        ]
        assert dt.datetime.fromisoformat(listing[0]["created_at"]) == CREATED
        versions = client.get(f"/v1/plans/{PLAN_ID}/versions", headers=desk).json()
        assert [(v["version"], v["kind"], v["base_version"], v["now"], v["events"]) for v in versions] == [
            (1, "planned", None, None, []),
            (2, "replanned", 1, "2016-01-19T10:00:00+06:00", [CLOSURE]),
        ]
        assert dt.datetime.fromisoformat(versions[1]["created_at"]) == REPLANNED
        # Served as today's document: every stored member as stored, the members added to the
        # format since then with their defaults (no run time, no reported position, ...).
        first = client.get(f"/v1/plans/{PLAN_ID}/versions/1", headers=desk).json()["plan"]
        assert first == read_document(plan).to_json()
        assert {k: first[k] for k in plan if k != "solver"} == {
            k: v for k, v in plan.items() if k != "solver"
        }
        assert {k: first["solver"][k] for k in plan["solver"]} == plan["solver"]
        assert (first["runtime_s"], first["reported_positions"]) == (None, [])
        latest = client.get(f"/v1/plans/{PLAN_ID}", headers=desk).json()
        assert (latest["version"], latest["changes"]) == (2, 2)
        assert latest["plan"] == read_document(replanned).to_json()
        assert [e["id"] for e in latest["plan"]["events"]] == [CLOSURE["id"]]
        assert latest["plan"]["diff"]["changes"] == 2
        assert client.get("/v1/plans", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
    assert every_row(engine) == before


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    store = Store(engine)
    store.upgrade_schema()
    store.create_key("ministry")
    before = every_row(engine)
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    store.upgrade_schema()
    event.remove(engine, "before_cursor_execute", record)
    assert statements  # it did look
    verbs = {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"}
    assert [s for s in statements if s.split()[0].upper() in verbs] == []
    assert every_row(engine) == before and migrations.current(engine) == migrations.head()


def test_a_database_with_only_some_of_the_tables_is_left_alone(engine: Engine) -> None:
    FIRST_RELEASE.tables["plans"].create(engine)
    with pytest.raises(migrations.UnknownSchema, match="plan_versions"):
        Store(engine).upgrade_schema()
    assert set(inspect(engine).get_table_names()) == {"plans"}


def test_db_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLANNER_DATABASE_URL", database_url(tmp_path / "cli.db"))
    assert main(["db", "current"]) == 0
    assert f"revision none; the newest is {migrations.head()}" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    newest = f"Database at revision {migrations.head()} (the newest)"
    assert capsys.readouterr().out.splitlines() == [newest] * 2


def test_servers_starting_together_migrate_one_after_the_other(tmp_path: Path) -> None:
    url = database_url(tmp_path / "together.db")
    engines = [make_engine(url) for _ in range(3)]
    start = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def upgrade(engine: Engine) -> None:
        start.wait()
        try:
            migrations.upgrade(engine)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=upgrade, args=(engine,), daemon=True) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "the upgrades block each other"
    assert failures == []
    assert migrations.current(engines[0]) == migrations.head()
    assert differences(engines[0], Base.metadata) == []
    for engine in engines:
        engine.dispose()
