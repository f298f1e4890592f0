"""The template pool: concurrent claims, seed import and export, the refill lock."""

import asyncio
import json
import time
import uuid
from pathlib import Path

import pytest

from backend.db import pool, runs
from backend.db.errors import PoolSeedError
from backend.db.models import PoolSheet, PoolState
from backend.db.session import Database


async def _add(db: Database, count: int) -> list[str]:
    sheet_ids = [f"sheet-{index:02d}" for index in range(count)]
    async with db.session() as session:
        await pool.add_sheets(
            session, [(sheet_id, pool.sheet_url(sheet_id)) for sheet_id in sheet_ids]
        )
    return sheet_ids


async def _claim(db: Database, run_id: uuid.UUID) -> PoolSheet | None:
    async with db.session() as session:
        return await pool.claim_sheet(session, run_id=run_id)


def _write_seed(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "template_pool.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


async def test_concurrent_claims_get_distinct_sheets(db: Database) -> None:
    sheet_ids = await _add(db, 10)

    claims = await asyncio.gather(*(_claim(db, uuid.uuid4()) for _ in range(30)))

    claimed = [sheet.sheet_id for sheet in claims if sheet is not None]
    assert sorted(claimed) == sheet_ids
    assert claims.count(None) == 20
    async with db.session() as session:
        status = await pool.pool_status(session)
    assert status == pool.PoolStatus(available=0, in_use=10)


async def test_claim_by_same_run_is_idempotent(db: Database) -> None:
    await _add(db, 3)
    run_id = uuid.uuid4()

    first = await _claim(db, run_id)
    second = await _claim(db, run_id)

    assert first is not None
    assert second is not None
    assert second.sheet_id == first.sheet_id
    assert second.state == PoolState.IN_USE
    assert second.claimed_at is not None


async def test_concurrent_claims_by_same_run(db: Database) -> None:
    await _add(db, 5)
    run_id = uuid.uuid4()

    claims = await asyncio.gather(*(_claim(db, run_id) for _ in range(5)))

    assert {sheet.sheet_id for sheet in claims if sheet is not None} == {claims[0].sheet_id}
    async with db.session() as session:
        status = await pool.pool_status(session)
    assert status.in_use == 1


async def test_claim_from_empty_pool(db: Database) -> None:
    sheet = await _claim(db, uuid.uuid4())

    assert sheet is None


async def test_claim_accepts_a_real_run(db: Database) -> None:
    await _add(db, 1)
    async with db.session() as session:
        _submission, run, _created = await runs.store_submission(
            session,
            provider="form",
            provider_submission_id=None,
            idempotency_key="form:pool-1",
            raw_body=b"{}",
            content_type="application/json",
            headers={},
        )

    sheet = await _claim(db, run.id)

    assert sheet is not None
    assert sheet.run_id == run.id


async def test_add_sheets_skips_known_ids(db: Database) -> None:
    async with db.session() as session:
        first = await pool.add_sheets(session, [("a", "https://x/a"), ("b", "https://x/b")])
        second = await pool.add_sheets(session, [("b", "https://x/b"), ("c", "https://x/c")])
        empty = await pool.add_sheets(session, [])

    assert first == 2
    assert second == 1
    assert empty == 0


async def test_seed_import_twice(db: Database, tmp_path: Path) -> None:
    seed = _write_seed(
        tmp_path,
        {
            "available": ["sheet-a", {"id": "sheet-b", "url": "https://example.test/b"}],
            "in_use": [{"id": "sheet-c"}],
        },
    )

    async with db.session() as session:
        first = await pool.import_seed(session, seed)
        second = await pool.import_seed(session, seed)
        status = await pool.pool_status(session)
        exported = await pool.export_seed(session)

    assert first == 3
    assert second == 0
    assert status == pool.PoolStatus(available=2, in_use=1)
    assert exported == {
        "available": [
            {"id": "sheet-a", "url": pool.sheet_url("sheet-a")},
            {"id": "sheet-b", "url": "https://example.test/b"},
        ],
        "in_use": [{"id": "sheet-c", "url": pool.sheet_url("sheet-c")}],
    }


async def test_seed_import_keeps_claimed_state(db: Database, tmp_path: Path) -> None:
    seed = _write_seed(tmp_path, {"available": ["sheet-a"]})
    async with db.session() as session:
        await pool.import_seed(session, seed)
    run_id = uuid.uuid4()
    await _claim(db, run_id)

    async with db.session() as session:
        added = await pool.import_seed(session, seed)
        status = await pool.pool_status(session)

    assert added == 0
    assert status == pool.PoolStatus(available=0, in_use=1)


async def test_exported_seed_imports_back(db: Database, tmp_path: Path) -> None:
    await _add(db, 2)
    await _claim(db, uuid.uuid4())
    async with db.session() as session:
        exported = await pool.export_seed(session)
    seed = _write_seed(tmp_path, exported)

    sheets = pool.parse_seed(seed)

    assert len(sheets) == 2
    assert {sheet.state for sheet in sheets} == {PoolState.AVAILABLE, PoolState.IN_USE}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (["sheet-a"], "must be a JSON object"),
        ({"avaliable": ["sheet-a"]}, r"unknown keys \['avaliable'\]"),
        ({"available": "sheet-a"}, '"available" must be a list'),
        ({"available": ["sheet-a", 42]}, r"available\[1\] must be a sheet id"),
        ({"in_use": [{"url": "https://x"}]}, r"in_use\[0\] has a missing or empty sheet id"),
        ({"available": [""]}, r"available\[0\] has a missing or empty sheet id"),
        ({"available": [" sheet-a"]}, r"available\[0\] has an invalid sheet id"),
        ({"available": ["https://docs.google.com/x"]}, "invalid sheet id"),
        ({"available": [{"id": "a", "uri": "https://x"}]}, r"unknown keys \['uri'\]"),
        ({"available": [{"id": "a", "url": "ftp://x"}]}, "invalid url 'ftp://x'"),
        ({"available": ["a"], "in_use": ["a"]}, r"listed twice, in available\[0\] and in_use\[0\]"),
    ],
)
def test_invalid_seed_names_entry(tmp_path: Path, document: object, message: str) -> None:
    seed = _write_seed(tmp_path, document)

    with pytest.raises(PoolSeedError, match=message):
        pool.parse_seed(seed)


def test_seed_not_json(tmp_path: Path) -> None:
    seed = tmp_path / "template_pool.json"
    seed.write_text("{available: []}", encoding="utf-8")

    with pytest.raises(PoolSeedError, match="is not valid JSON"):
        pool.parse_seed(seed)


def test_seed_missing(tmp_path: Path) -> None:
    with pytest.raises(PoolSeedError, match="not found"):
        pool.parse_seed(tmp_path / "template_pool.json")


async def test_bad_seed_imports_nothing(db: Database, tmp_path: Path) -> None:
    seed = _write_seed(tmp_path, {"available": ["sheet-a", {"id": ""}]})

    async with db.session() as session:
        with pytest.raises(PoolSeedError):
            await pool.import_seed(session, seed)
        status = await pool.pool_status(session)

    assert status == pool.PoolStatus(available=0, in_use=0)


async def test_refill_lock_serialises_holders(db: Database) -> None:
    order: list[str] = []

    async def refill(name: str) -> None:
        async with db.session() as session, pool.pool_refill_lock(session) as acquired:
            assert acquired is True
            order.append(f"{name} start")
            await asyncio.sleep(0.2)
            order.append(f"{name} end")

    await asyncio.gather(refill("first"), refill("second"))

    assert order[0].endswith("start")
    assert order[1] == order[0].replace("start", "end")


async def test_refill_lock_without_waiting(db: Database) -> None:
    async with db.session() as holder, pool.pool_refill_lock(holder) as held:
        async with db.session() as other:
            started = time.monotonic()
            async with pool.pool_refill_lock(other, wait=False) as acquired:
                waited = time.monotonic() - started

    assert held is True
    assert acquired is False
    assert waited < 1


async def test_refill_lock_survives_commits(db: Database) -> None:
    async with db.session() as session, pool.pool_refill_lock(session) as held:
        await pool.add_sheets(session, [("a", "https://x/a")])
        await pool.add_sheets(session, [("b", "https://x/b")])
        async with db.session() as other, pool.pool_refill_lock(other, wait=False) as again:
            pass

    async with db.session() as session, pool.pool_refill_lock(session, wait=False) as after:
        pass

    assert held is True
    assert again is False
    assert after is True
