"""API keys: made by the command line, stored hashed, revocable; configured keys validated."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cli import main
from api.settings import Settings
from api.storage import ApiKeyRow, Store, hash_key
from tests.api_support import database_url


def test_create_list_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = database_url(tmp_path / "keys.db")
    monkeypatch.setenv("PLANNER_DATABASE_URL", url)
    assert main(["keys", "create", "ministry", "--label", "aigerim"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    store = Store.from_url(url)
    owner = store.key_owner(key)
    assert owner is not None and (owner.organisation, owner.label) == ("ministry", "aigerim")

    with Session(store.engine) as session:
        stored = session.scalars(select(ApiKeyRow)).one()
    assert stored.key_hash == hash_key(key) and key not in stored.key_hash  # only the hash is kept

    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "ministry" in listing and "active" in listing and key not in listing

    assert main(["keys", "create", "ministry", "--label", "aigerim", "--replace"]) == 0
    newer = capsys.readouterr().out.strip().splitlines()[-1]
    assert store.key_owner(key) is None and store.key_owner(newer) is not None

    key_id = store.key_owner(newer).key_id  # type: ignore[union-attr]
    assert main(["keys", "revoke", str(key_id)]) == 0
    assert store.key_owner(newer) is None
    assert main(["keys", "revoke", str(key_id)]) == 2
    assert "key_id" in capsys.readouterr().err


def test_configured_keys_are_checked() -> None:
    assert Settings(api_keys="a:0123456789abcdef, b:fedcba9876543210").configured_keys() == {
        "0123456789abcdef": "a",
        "fedcba9876543210": "b",
    }
    for bad in ("no-colon-here-at-all", "org:short", ":0123456789abcdef"):
        with pytest.raises(ValueError, match="PLANNER_API_KEYS"):
            Settings(api_keys=bad).configured_keys()
