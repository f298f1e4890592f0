"""Submissions, runs and steps, including concurrent writers."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backend.db import runs
from backend.db.models import Run, RunKind, RunStatus, StepStatus, Submission
from backend.db.session import Database


async def _store(db: Database, key: str) -> tuple[Submission, Run, bool]:
    async with db.session() as session:
        return await runs.store_submission(
            session,
            provider="form",
            provider_submission_id=key,
            idempotency_key=f"form:{key}",
            raw_body=b'{"name": "Claire Martin"}',
            content_type="application/json",
            headers={"user-agent": "test"},
        )


async def _count(db: Database, model: type[Submission] | type[Run]) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_store_submission_creates_queued_run(db: Database) -> None:
    submission, run, created = await _store(db, "site-2027-0001")

    assert created is True
    assert submission.raw_body == b'{"name": "Claire Martin"}'
    assert submission.headers == {"user-agent": "test"}
    assert run.submission_id == submission.id
    assert run.kind == RunKind.INTAKE
    assert run.status == RunStatus.QUEUED


async def test_store_submission_duplicate_sequential(db: Database) -> None:
    first_submission, first_run, first_created = await _store(db, "site-2027-0002")
    second_submission, second_run, second_created = await _store(db, "site-2027-0002")

    assert first_created is True
    assert second_created is False
    assert second_submission.id == first_submission.id
    assert second_run.id == first_run.id
    assert await _count(db, Submission) == 1
    assert await _count(db, Run) == 1


async def test_store_submission_duplicate_concurrent(db: Database) -> None:
    results = await asyncio.gather(*(_store(db, "site-2027-0003") for _ in range(20)))

    run_ids = {run.id for _submission, run, _created in results}
    created_flags = [created for _submission, _run, created in results]
    assert len(run_ids) == 1
    assert created_flags.count(True) == 1
    assert await _count(db, Submission) == 1
    assert await _count(db, Run) == 1


async def test_claim_queued_run_concurrent(db: Database) -> None:
    stored = [await _store(db, f"site-2027-01{index:02d}") for index in range(3)]

    async def claim(worker: int) -> Run | None:
        async with db.session() as session:
            return await runs.claim_queued_run(session, worker_id=f"worker-{worker}")

    claimed = await asyncio.gather(*(claim(worker) for worker in range(10)))

    claimed_ids = [run.id for run in claimed if run is not None]
    assert sorted(claimed_ids) == sorted(run.id for _submission, run, _created in stored)
    assert claimed.count(None) == 7
    for run in claimed:
        if run is not None:
            assert run.status == RunStatus.RUNNING
            assert run.attempts == 1
            assert run.locked_by is not None
            assert run.started_at is not None


async def test_claim_takes_oldest_first(db: Database) -> None:
    _submission, oldest, _created = await _store(db, "site-2027-0201")
    await _store(db, "site-2027-0202")

    async with db.session() as session:
        claimed = await runs.claim_queued_run(session, worker_id="worker-1")

    assert claimed is not None
    assert claimed.id == oldest.id


async def test_step_attempts_count_up(db: Database) -> None:
    _submission, run, _created = await _store(db, "site-2027-0301")

    async with db.session() as session:
        first = await runs.start_step(session, run_id=run.id, step="upsert_client")
        await runs.finish_step(
            session, step_id=first.id, status=StepStatus.FAILED, error="429", retryable=True
        )
        second = await runs.start_step(session, run_id=run.id, step="upsert_client")
        finished = await runs.finish_step(
            session, step_id=second.id, status=StepStatus.SUCCEEDED, output={"page_id": "p1"}
        )
        other = await runs.start_step(session, run_id=run.id, step="create_prestation")
        stored_run = await runs.get_run(session, run_id=run.id)
        steps = await runs.list_steps(session, run_id=run.id)

    assert first.attempt == 1
    assert second.attempt == 2
    assert other.attempt == 1
    assert finished.status == StepStatus.SUCCEEDED
    assert finished.output == {"page_id": "p1"}
    assert finished.duration_ms is not None
    assert finished.duration_ms >= 0
    assert [step.id for step in steps] == [first.id, second.id, other.id]
    assert steps[0].retryable is True
    assert stored_run is not None
    assert stored_run.current_step == "create_prestation"


async def test_finish_step_keeps_given_duration(db: Database) -> None:
    _submission, run, _created = await _store(db, "site-2027-0302")

    async with db.session() as session:
        step = await runs.start_step(session, run_id=run.id, step="notify")
        finished = await runs.finish_step(
            session, step_id=step.id, status=StepStatus.SUCCEEDED, duration_ms=412
        )

    assert finished.duration_ms == 412


async def test_set_run_status_finished(db: Database) -> None:
    _submission, run, _created = await _store(db, "site-2027-0401")
    error = {"step": "create_calendar_event", "message": "no date", "retryable": False}

    async with db.session() as session:
        await runs.claim_queued_run(session, worker_id="worker-1")
        finished = await runs.set_run_status(
            session, run_id=run.id, status=RunStatus.PARTIAL, error=error
        )
        kept = await runs.set_run_status(session, run_id=run.id, status=RunStatus.PARTIAL)

    assert finished.status == RunStatus.PARTIAL
    assert finished.finished_at is not None
    assert finished.locked_by is None
    assert finished.error == error
    assert kept.error == error


async def test_finish_run_rejects_unfinished_status(db: Database) -> None:
    _submission, run, _created = await _store(db, "site-2027-0402")

    async with db.session() as session:
        with pytest.raises(ValueError, match="does not end a run"):
            await runs.finish_run(
                session, run_id=run.id, status=RunStatus.RUNNING, result=None, error=None
            )


async def test_run_ids_accepted_as_strings(db: Database) -> None:
    _submission, run, _created = await _store(db, "site-2027-0403")

    async with db.session() as session:
        found = await runs.get_run(session, run_id=str(run.id))
        marked = await runs.mark_running(session, run_id=str(run.id))

    assert found is not None
    assert found.id == run.id
    assert marked.status == RunStatus.RUNNING


async def test_list_runs_filters_by_status(db: Database) -> None:
    _submission, queued, _created = await _store(db, "site-2027-0501")
    _submission, failed, _created = await _store(db, "site-2027-0502")
    async with db.session() as session:
        await runs.set_run_status(session, run_id=failed.id, status=RunStatus.FAILED)

        only_failed = await runs.list_runs(session, status=RunStatus.FAILED)
        both = await runs.list_runs(session, status=[RunStatus.FAILED, RunStatus.QUEUED])
        latest = await runs.list_runs(session, limit=1)

    assert [run.id for run in only_failed] == [failed.id]
    assert {run.id for run in both} == {queued.id, failed.id}
    assert [run.id for run in latest] == [failed.id]


async def test_requeue_stale_runs(db: Database) -> None:
    _submission, stale, _created = await _store(db, "site-2027-0601")
    _submission, alive, _created = await _store(db, "site-2027-0602")
    async with db.session() as session:
        await runs.claim_queued_run(session, worker_id="worker-dead")
        await runs.claim_queued_run(session, worker_id="worker-alive")
        await session.execute(
            update(Run)
            .where(Run.id == stale.id)
            .values(heartbeat_at=func.now() - timedelta(minutes=30))
        )
        await session.commit()

        requeued = await runs.requeue_stale_runs(session, older_than=timedelta(minutes=10))
        stale_after = await runs.get_run(session, run_id=stale.id)
        alive_after = await runs.get_run(session, run_id=alive.id)

    assert requeued == [stale.id]
    assert stale_after is not None
    assert stale_after.status == RunStatus.QUEUED
    assert stale_after.locked_by is None
    assert alive_after is not None
    assert alive_after.status == RunStatus.RUNNING


async def test_heartbeat_of_lost_run(db: Database) -> None:
    _submission, run, _created = await _store(db, "site-2027-0701")
    async with db.session() as session:
        await runs.claim_queued_run(session, worker_id="worker-1")

        own = await runs.record_heartbeat(session, run_id=run.id, worker_id="worker-1")
        other = await runs.record_heartbeat(session, run_id=run.id, worker_id="worker-2")

    assert own is True
    assert other is False


async def test_create_run_of_other_kind(db: Database) -> None:
    submission, _run, _created = await _store(db, "site-2027-0801")

    async with db.session() as session:
        run = await runs.create_run(session, kind=RunKind.RESEND_QUOTE, submission_id=submission.id)

    assert run.kind == RunKind.RESEND_QUOTE
    assert run.status == RunStatus.QUEUED
    assert run.id is not None


async def test_unknown_run_id_returns_none(db: Database) -> None:
    async with db.session() as session:
        run = await runs.get_run(session, run_id=uuid.uuid4())

    assert run is None
