"""Store submissions with their queued intake runs, one at a time or many per transaction.

`insert_submissions` writes any number of deliveries in one statement. Each new
idempotency key gets its submission and a queued intake run. A key stored already, by an
earlier delivery, an earlier item of the same list or a concurrent transaction, returns
the stored ones. `SubmissionBatcher` gathers the deliveries that arrive while a
transaction is being written and writes them all in the next one (group commit).
"""

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import RunKind, RunStatus
from backend.db.session import Database

log = structlog.get_logger(__name__)

# Max deliveries written in one transaction.
MAX_BATCH = 200
# Max raw body bytes written in one transaction, though a larger body is written alone.
# PostgreSQL rejects an array value or a protocol message above 1 GB (MaxAllocSize),
# which 200 bodies of 6 MB exceed, and a large batch keeps all its deliveries waiting.
MAX_BATCH_BYTES = 16_000_000


@dataclass(frozen=True)
class NewSubmission:
    """A delivery to store: its raw body, the request headers kept, its idempotency key."""

    provider: str
    provider_submission_id: str | None
    idempotency_key: str
    raw_body: bytes
    content_type: str
    headers: dict[str, str]


@dataclass(frozen=True)
class StoredSubmission:
    """The stored submission and intake run of a delivery; `created` is False for a repeat."""

    submission_id: uuid.UUID
    run_id: uuid.UUID
    run_status: str
    created: bool


# When another open transaction is inserting the same key, ON CONFLICT DO NOTHING waits
# for its commit and inserts nothing. The lookup below then finds that row. Rows are
# inserted in key order. Two batches that hold the same keys in different orders would
# otherwise each wait for a key the other inserted, and PostgreSQL would abort one of
# them as a deadlock.
_INSERT = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(
            CAST(:providers AS text[]), CAST(:provider_ids AS text[]),
            CAST(:keys AS text[]), CAST(:bodies AS bytea[]),
            CAST(:content_types AS text[]), CAST(:headers AS text[])
        ) AS incoming(provider, provider_submission_id, idempotency_key, raw_body,
                      content_type, headers)
    ), inserted AS (
        INSERT INTO submissions (provider, provider_submission_id, idempotency_key,
                                 raw_body, content_type, headers)
        SELECT provider, provider_submission_id, idempotency_key, raw_body, content_type,
               CAST(headers AS jsonb)
        FROM incoming
        ORDER BY idempotency_key
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id, idempotency_key
    ), queued AS (
        INSERT INTO runs (submission_id, kind, status)
        SELECT id, :kind, :status FROM inserted
        RETURNING id, submission_id, status
    )
    SELECT inserted.idempotency_key, inserted.id AS submission_id, queued.id AS run_id,
           queued.status
    FROM inserted JOIN queued ON queued.submission_id = inserted.id
    """
)

_LOOKUP = text(
    """
    SELECT submissions.idempotency_key, submissions.id AS submission_id,
           intake.id AS run_id, intake.status
    FROM submissions
    JOIN LATERAL (
        SELECT id, status FROM runs
        WHERE runs.submission_id = submissions.id AND runs.kind = :kind
        ORDER BY created_at LIMIT 1
    ) AS intake ON TRUE
    WHERE submissions.idempotency_key = ANY(CAST(:keys AS text[]))
    """
)


async def insert_submissions(
    session: AsyncSession, submissions: Sequence[NewSubmission]
) -> list[StoredSubmission | LookupError]:
    """Insert the submissions and their queued intake runs; the caller commits.

    Returns one result per item, in order. An item whose key was stored before gets the
    stored submission and run with `created=False`, and so does every repeat of a key
    within `submissions`. A key stored without an intake run, which only deleting rows
    by hand leaves, gets a LookupError.
    """
    first_of_key: dict[str, NewSubmission] = {}
    for submission in submissions:
        first_of_key.setdefault(submission.idempotency_key, submission)
    unique = list(first_of_key.values())
    inserted = await session.execute(
        _INSERT,
        {
            "providers": [item.provider for item in unique],
            "provider_ids": [item.provider_submission_id for item in unique],
            "keys": [item.idempotency_key for item in unique],
            "bodies": [item.raw_body for item in unique],
            "content_types": [item.content_type for item in unique],
            "headers": [json.dumps(item.headers, ensure_ascii=False) for item in unique],
            "kind": RunKind.INTAKE.value,
            "status": RunStatus.QUEUED.value,
        },
    )
    created = {row.idempotency_key: row for row in inserted}
    known_keys = [key for key in first_of_key if key not in created]
    known = {}
    if known_keys:
        found = await session.execute(
            _LOOKUP, {"keys": known_keys, "kind": RunKind.INTAKE.value}
        )
        known = {row.idempotency_key: row for row in found}

    results: list[StoredSubmission | LookupError] = []
    answered: set[str] = set()
    for submission in submissions:
        key = submission.idempotency_key
        row = created.get(key) or known.get(key)
        if row is None:
            results.append(LookupError(f"submission {key!r} is stored without an intake run"))
            continue
        first = key in created and key not in answered
        answered.add(key)
        results.append(StoredSubmission(row.submission_id, row.run_id, row.status, first))
    return results


class SubmissionBatcher:
    """Writes the submissions of concurrent deliveries together, one transaction per batch.

    The first delivery starts a writer that stores it at once. Deliveries arriving while
    that transaction runs wait, and the writer then stores all of them (up to MAX_BATCH
    deliveries and MAX_BATCH_BYTES of bodies) in the next transaction. A burst thus
    shares a few commits and their WAL flushes, where one transaction per delivery
    queued the requests for the connection pool.
    The webhook still responds to each delivery only after its own batch has committed.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[tuple[NewSubmission, asyncio.Future[StoredSubmission]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, submission: NewSubmission) -> StoredSubmission:
        """Store the submission and its queued run; return them once committed.

        Raises the database's error when this delivery cannot be stored: then nothing of
        it is stored. When its batch fails, each delivery of the batch is written again
        alone, so a delivery the database rejects fails only its own request.
        """
        future: asyncio.Future[StoredSubmission] = asyncio.get_running_loop().create_future()
        self._pending.append((submission, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending(), name="deme-submissions")
        # A caller that gives up (the client disconnected) does not cancel the write:
        # the delivery is stored, and the provider's retry finds it as a duplicate.
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Wait until every submission handed over so far is written."""
        if self._writer is not None:
            await self._writer

    async def _write_pending(self) -> None:
        while self._pending:
            batch = self._take_batch()
            try:
                await self._write(batch)
            except Exception as error:  # noqa: BLE001 - retried one delivery at a time
                if len(batch) == 1:
                    self._fail(batch[0], error)
                    continue
                # One delivery the database rejects must not fail the others: each is
                # written again in a transaction of its own, and only the bad ones fail.
                log.warning("submissions.batch_failed", size=len(batch), error=str(error))
                for item in batch:
                    try:
                        await self._write([item])
                    except Exception as item_error:  # noqa: BLE001 - that delivery gets it
                        self._fail(item, item_error)

    @staticmethod
    def _fail(
        item: tuple[NewSubmission, asyncio.Future[StoredSubmission]], error: Exception
    ) -> None:
        submission, future = item
        log.error(
            "submissions.store_failed",
            provider=submission.provider,
            idempotency_key=submission.idempotency_key[:200],
            error=str(error),
        )
        future.set_exception(error)

    async def _write(
        self, batch: list[tuple[NewSubmission, asyncio.Future[StoredSubmission]]]
    ) -> None:
        """Store the batch in one transaction, then settle each delivery's future."""
        async with self._db.session() as session:
            results = await insert_submissions(session, [item for item, _ in batch])
            await session.commit()
        log.debug("submissions.batch_stored", size=len(batch))
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, LookupError):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _take_batch(self) -> list[tuple[NewSubmission, asyncio.Future[StoredSubmission]]]:
        """Remove and return the oldest pending items within MAX_BATCH and MAX_BATCH_BYTES."""
        count = 0
        size = 0
        for submission, _ in self._pending[:MAX_BATCH]:
            size += len(submission.raw_body)
            if count > 0 and size > MAX_BATCH_BYTES:
                break
            count += 1
        batch = self._pending[:count]
        del self._pending[:count]
        return batch
