"""Submissions stored many per transaction: keys, repeats, concurrent batches, failures."""

import asyncio

import pytest
from sqlalchemy import func, select

from backend.db import submission_store
from backend.db.models import Run, Submission
from backend.db.session import Database
from backend.db.submission_store import (
    NewSubmission,
    StoredSubmission,
    SubmissionBatcher,
    insert_submissions,
)


def _new(key: str, body: bytes = b'{"name": "Claire"}') -> NewSubmission:
    return NewSubmission(
        provider="form",
        provider_submission_id=key,
        idempotency_key=f"form:{key}",
        raw_body=body,
        content_type="application/json",
        headers={"user-agent": "test", "x-note": "é"},
    )


async def _counts(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        submissions = await session.scalar(select(func.count()).select_from(Submission))
        runs = await session.scalar(select(func.count()).select_from(Run))
    return submissions, runs


async def test_insert_new_repeated_and_known_keys(db: Database) -> None:
    async with db.session() as session:
        (earlier,) = await insert_submissions(session, [_new("a")])
        await session.commit()

    async with db.session() as session:
        results = await insert_submissions(session, [_new("b"), _new("a"), _new("b")])
        await session.commit()

    new_b, known_a, repeat_b = results
    assert new_b.created is True
    assert known_a.created is False
    assert known_a.run_id == earlier.run_id
    assert known_a.submission_id == earlier.submission_id
    assert repeat_b.created is False
    assert repeat_b.run_id == new_b.run_id
    assert new_b.run_status == "queued"
    assert await _counts(db) == (2, 2)


async def test_insert_stores_body_and_headers_whole(db: Database) -> None:
    body = '{"message": "Mariage à Lyon"}'.encode()
    async with db.session() as session:
        (stored,) = await insert_submissions(session, [_new("c", body)])
        await session.commit()
        submission = await session.get_one(Submission, stored.submission_id)

    assert submission.raw_body == body
    assert submission.headers == {"user-agent": "test", "x-note": "é"}
    assert submission.provider_submission_id == "c"


async def test_batcher_concurrent_repeats_store_once(db: Database) -> None:
    batcher = SubmissionBatcher(db)
    keys = [f"k{index % 10}" for index in range(50)]

    results = await asyncio.gather(*(batcher.store(_new(key)) for key in keys))
    await batcher.close()

    assert await _counts(db) == (10, 10)
    for key in set(keys):
        of_key = [result for stored_key, result in zip(keys, results, strict=True)
                  if stored_key == key]
        assert len({result.run_id for result in of_key}) == 1
        assert sum(result.created for result in of_key) == 1


async def test_batcher_rejected_delivery_fails_alone(db: Database) -> None:
    batcher = SubmissionBatcher(db)
    # PostgreSQL text rejects NUL, so the batch's transaction fails as a whole; each
    # delivery is then written alone.
    broken = NewSubmission("form", None, "form:broken\x00", b"{}", "application/json", {})

    broken_outcome, fine_outcome = await asyncio.gather(
        batcher.store(broken), batcher.store(_new("fine")), return_exceptions=True
    )
    await batcher.close()

    assert isinstance(broken_outcome, Exception)
    assert not isinstance(fine_outcome, Exception)
    assert fine_outcome.created is True
    assert await _counts(db) == (1, 1)


async def test_batcher_single_failure_stores_nothing(db: Database) -> None:
    batcher = SubmissionBatcher(db)
    broken = NewSubmission("form", None, "form:alone\x00", b"{}", "application/json", {})

    with pytest.raises(Exception, match="0x00"):
        await batcher.store(broken)
    assert await _counts(db) == (0, 0)

    stored = await batcher.store(_new("after"))
    assert stored.created is True
    assert await _counts(db) == (1, 1)


async def test_batcher_reports_key_without_intake_run(db: Database) -> None:
    async with db.session() as session:
        session.add(
            Submission(provider="form", idempotency_key="form:orphan", raw_body=b"{}",
                       content_type="application/json", headers={})
        )
        await session.commit()
    batcher = SubmissionBatcher(db)

    with pytest.raises(LookupError, match="form:orphan"):
        await batcher.store(_new("orphan"))


async def test_insert_opposite_orders_no_deadlock(db: Database) -> None:
    # Two processes can batch the same redelivered keys in opposite arrival orders.
    # Unless both insert in one key order, each waits for a key the other inserted.
    async def insert(batch: list[NewSubmission]) -> list[StoredSubmission | LookupError]:
        async with db.session() as session:
            results = await insert_submissions(session, batch)
            await session.commit()
        return results

    for round_number in range(10):
        batch = [_new(f"r{round_number}-{index:03d}") for index in range(100)]

        forward, backward = await asyncio.gather(insert(batch), insert(batch[::-1]))

        forward_runs = [result.run_id for result in forward]
        backward_runs = [result.run_id for result in backward[::-1]]
        assert forward_runs == backward_runs
        assert sum(result.created for result in forward + backward) == 100
    assert await _counts(db) == (1000, 1000)


async def test_batcher_splits_batches_by_body_size(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submission_store, "MAX_BATCH_BYTES", 3000)
    batch_sizes: list[int] = []
    insert = submission_store.insert_submissions

    async def recording_insert(session, batch):
        batch_sizes.append(sum(len(item.raw_body) for item in batch))
        return await insert(session, batch)

    monkeypatch.setattr(submission_store, "insert_submissions", recording_insert)
    batcher = SubmissionBatcher(db)
    small = [_new(f"small{index}", b"x" * 1000) for index in range(10)]
    large = _new("large", b"x" * 5000)

    results = await asyncio.gather(*(batcher.store(item) for item in [*small, large]))
    await batcher.close()

    assert all(result.created for result in results)
    # The body above the limit is written alone, the others in batches within it.
    assert 5000 in batch_sizes
    assert all(size <= 3000 for size in batch_sizes if size != 5000)
    assert sum(batch_sizes) == 15000
    assert await _counts(db) == (11, 11)
