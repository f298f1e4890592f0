"""Store submissions that carry no provider id, deduplicated by content within a window.

Contact Form 7, Elementor and Formspree send no submission id, and WPForms gives a
double submit two ids. Such a submission's idempotency key is
`<provider>:content:<hash>:<random>`, unique per delivery. A delivery whose content
hash matches a submission received within the window is a duplicate. So an inquiry
repeated days later is stored again, and no window edge splits two near-simultaneous
deliveries as fixed time buckets in the key would.
"""

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select

from backend.db import runs as run_store
from backend.db.models import Run, RunKind, Submission
from backend.db.session import Database

log = structlog.get_logger(__name__)

# Class id of the transaction-level advisory locks taken per content hash. Two-key
# advisory locks never collide with the one-bigint keys listed in `backend.db.locks`.
CONTENT_LOCK_CLASS = 0x646D65  # "dme"


def content_key_prefix(provider: str, content_hash: str) -> str:
    return f"{provider}:content:{content_hash}:"


async def store_submission_by_content(
    db: Database,
    *,
    provider: str,
    content_hash: str,
    provider_submission_id: str | None,
    window: timedelta,
    now: datetime,
    raw_body: bytes,
    content_type: str,
    headers: dict[str, str],
) -> tuple[Submission, Run, bool]:
    """Store a submission and its queued run unless the same content arrived within `window`.

    Returns `(submission, run, created)`, the earlier submission with `created=False` for
    a duplicate. The lookup and the insert run in one transaction under an advisory
    lock on the hash, so concurrent deliveries of one content store it once.
    """
    prefix = content_key_prefix(provider, content_hash)
    async with db.session() as session:
        await session.execute(
            select(func.pg_advisory_xact_lock(CONTENT_LOCK_CLASS, func.hashtext(prefix)))
        )
        # NOTE: this prefix match scans submissions (no index serves it). That is fine
        # for a caterer's volume; a content_hash column with an index would scale.
        earlier = await session.scalar(
            select(Submission)
            .where(
                func.starts_with(Submission.idempotency_key, prefix),
                Submission.received_at >= now - window,
            )
            .order_by(Submission.received_at.desc())
            .limit(1)
        )
        if earlier is not None:
            run = await session.scalar(
                select(Run)
                .where(Run.submission_id == earlier.id, Run.kind == RunKind.INTAKE)
                .order_by(Run.created_at)
                .limit(1)
            )
            await session.commit()
            if run is None:
                raise LookupError(f"Submission {earlier.id} has no intake run")
            log.info(
                "submission.duplicate_content",
                submission_id=str(earlier.id),
                run_id=str(run.id),
                provider=provider,
            )
            return earlier, run, False

        # store_submission commits, which releases the advisory lock after the insert.
        return await run_store.store_submission(
            session,
            provider=provider,
            provider_submission_id=provider_submission_id,
            idempotency_key=prefix + uuid.uuid4().hex,
            raw_body=raw_body,
            content_type=content_type,
            headers=headers,
        )
