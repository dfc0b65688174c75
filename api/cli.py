"""The ``planner`` command: every planner command plus ``serve``, ``keys`` and ``db``.

The planner's own commands live in ``planner.cli``; this layer adds the ones that
need the HTTP service, so the planner package never depends on it.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from api import limits
from planner.cli import build_parser as build_planner_parser
from planner.cli import run_command
from planner.processes import search_processes

if TYPE_CHECKING:
    from api.storage import Store

# The service's modules (FastAPI, SQLAlchemy, Alembic) are imported inside the commands that
# use them: `planner --help` and the planner's own commands start without them.


def _add_service_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API (OpenAPI docs at /docs)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: loopback)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")

    keys = commands.add_parser("keys", help="create, list or revoke API keys in the database")
    actions = keys.add_subparsers(dest="keys_action", required=True)
    create = actions.add_parser("create", help="a new key for an organisation (shown once)")
    create.add_argument("organisation")
    create.add_argument("--label", default="default", help="what the key is for, e.g. a person")
    create.add_argument("--replace", action="store_true", help="revoke earlier keys with this label")
    create.add_argument(
        "--keep-in",
        metavar="FILE",
        type=Path,
        help="reuse the key saved in FILE while it is still active; else save the new key there",
    )
    actions.add_parser("list", help="every key (never the key itself)")
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", type=int)

    database = commands.add_parser("db", help="the database schema (Alembic revisions)")
    steps = database.add_subparsers(dest="db_action", required=True)
    steps.add_parser("upgrade", help="bring the database to the newest revision (serve does it too)")
    steps.add_parser("current", help="the database's revision and the newest one")


def build_parser() -> argparse.ArgumentParser:
    """The full ``planner`` parser: the planner's commands and the service's."""
    return build_planner_parser(_add_service_commands)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        try:
            search_processes()  # read by the service's builds: refused before it starts
        except ValueError as error:  # (the planner's commands check it in run_command)
            print(f"error: {error}", file=sys.stderr)
            return 2
        return _serve(args)
    if args.command == "keys":
        return _keys(args)
    if args.command == "db":
        return _db(args)
    # A planner command is one short run that builds hundreds of thousands of objects, nearly all
    # kept to the end (connections, labels, arcs): with the default threshold the cyclic collector
    # scans them again every 700 allocations. Collecting less often makes `planner plan` about
    # 15 % faster (benchmarks/plan_command.py); the long-running service keeps the default.
    gc.set_threshold(100_000, 50, 100)
    return run_command(args)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.settings import Settings

    settings = Settings()
    try:
        app = create_app(settings)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Delegation planner API on http://{args.host}:{args.port}/docs (database {settings.database_url})")
    if not settings.api_keys:
        print(
            "Requests need a key: run `planner keys create ORGANISATION` and send Authorization: Bearer KEY"
        )
    # No "server: uvicorn" banner: an answer need not say what software runs here.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, server_header=False)
    return 0


def _keys(args: argparse.Namespace) -> int:
    from api.settings import Settings
    from api.storage import Store

    settings = Settings()
    store = Store.from_url(settings.database_url)
    store.upgrade_schema()
    if args.keys_action == "create":
        organisation = args.organisation.strip()
        if not organisation:
            print("error: organisation: give a name", file=sys.stderr)
            return 2
        for what, text, limit in (
            ("organisation", organisation, limits.ORGANISATION),
            ("--label", args.label, limits.NEW_KEY_LABEL),
        ):
            problem = limits.text_problem(text, limit)
            if problem is not None:
                print(f"error: {what}: {problem}", file=sys.stderr)
                return 2
        return _create_key(store, organisation, args.label, args.replace, args.keep_in)
    if args.keys_action == "list":
        for info in store.all_keys():
            state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}Z" if info.revoked_at else "active"
            print(
                f"{info.id:>4}  {info.organisation:<20} {info.label:<16} {info.created_at:%Y-%m-%d}  {state}"
            )
        return 0
    if store.revoke_key(args.key_id):
        print(f"Key {args.key_id} revoked")
        return 0
    print(f"error: key_id: no active key {args.key_id}", file=sys.stderr)
    return 2


def _create_key(store: Store, organisation: str, label: str, replace: bool, keep_in: Path | None) -> int:
    """A new key, or with ``keep_in`` the key saved in that file while it is still active for
    the same organisation and label (so a page or client holding it keeps working)."""
    if keep_in is not None and keep_in.is_file():
        saved = keep_in.read_text(encoding="utf-8").strip()
        owner = store.key_owner(saved) if saved else None
        if owner is not None and (owner.organisation, owner.label) == (organisation, label):
            print(f"Key {owner.key_id} for {organisation} ({label}), kept in {keep_in}:")
            print(saved)
            return 0
    key, key_id = store.create_key(organisation, label, replace=replace)
    if keep_in is None:
        print(f"Key {key_id} for {organisation} ({label}); it is shown only this once:")
    else:
        _save_key(keep_in, key)
        print(f"Key {key_id} for {organisation} ({label}), new, kept in {keep_in} for the next start:")
    print(key)
    return 0


def _save_key(path: Path, key: str) -> None:
    """The key in ``path``, readable by its owner only; the folder ignored by git."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# local keys: never committed\n*\n", encoding="utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    path.chmod(0o600)


def _db(args: argparse.Namespace) -> int:
    from api import migrations
    from api.settings import Settings
    from api.storage import Store

    store = Store.from_url(Settings().database_url)
    try:
        if args.db_action == "upgrade":
            store.upgrade_schema()
        revision, newest = migrations.current(store.engine), migrations.head()
    except migrations.UnknownSchema as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        store.engine.dispose()
    if revision == newest:
        print(f"Database at revision {revision} (the newest)")
    else:
        print(f"Database at revision {revision or 'none'}; the newest is {newest}: run `planner db upgrade`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
