"""Accept a form submission: store it with its queued run before anything else happens.

Shared by `deme run` and the webhook, so both deduplicate the same way: the idempotency
key is the provider plus the form's submission id (or an id derived from the content).
"""

import uuid
from dataclasses import dataclass

import structlog

from backend.db import runs as run_store
from backend.db.session import Database
from backend.intake.catalog import Catalog
from backend.intake.validation import parse_payload, validate_inquiry

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AcceptedSubmission:
    """The stored submission's run, and whether this delivery was the first."""

    run_id: uuid.UUID
    submission_id: str
    created: bool
    run_status: str


async def accept_submission(
    db: Database,
    catalog: Catalog,
    *,
    raw_body: bytes,
    content_type: str,
    provider: str = "form",
    headers: dict[str, str] | None = None,
) -> AcceptedSubmission:
    """Store the body and a queued intake run; a known submission returns its run.

    Raises `InvalidPayloadError` (nothing stored) when the body is not a JSON object.
    """
    payload = parse_payload(raw_body)
    # Validation is pure and fast; here it only yields the submission id (form's or derived).
    submission_id = validate_inquiry(payload, catalog).inquiry.submission_id
    async with db.session() as session:
        _submission, run, created = await run_store.store_submission(
            session,
            provider=provider,
            provider_submission_id=str(payload.get("submission_id") or "") or None,
            idempotency_key=f"{provider}:{submission_id}",
            raw_body=raw_body,
            content_type=content_type,
            headers=headers or {},
        )
    log.info(
        "submission.accepted" if created else "submission.duplicate",
        run_id=str(run.id),
        submission_id=submission_id,
    )
    return AcceptedSubmission(run.id, submission_id, created, str(run.status))
