"""Accept a form submission: store it with its queued run before anything else happens.

Shared by `deme run` and the webhook, so both deduplicate the same way: the idempotency
key is the provider plus the form's submission id (or an id derived from the content).
Providers that send no id, or one id per double submit, are deduplicated by content
within a time window instead (`backend.db.dedup`).
"""

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from backend.db import dedup
from backend.db import runs as run_store
from backend.db.session import Database
from backend.db.submission_store import NewSubmission, SubmissionBatcher
from backend.intake.catalog import Catalog
from backend.intake.errors import InvalidPayloadError
from backend.intake.providers import FORM_HEADER, Delivery, FormMappings, get_provider
from backend.intake.providers import read_delivery as read_provider_delivery
from backend.intake.validation import (
    DERIVED_ID_PREFIX,
    submission_id_of,
    validate_inquiry,
    without_unstorable_characters,
)

log = structlog.get_logger(__name__)

DEFAULT_DEDUP_WINDOW = timedelta(days=1)
# Max bytes of an idempotency key ("provider:submission id"). PostgreSQL 16 rejects a
# unique-index entry above 2704 bytes, and the provider samples' ids have at most 36.
MAX_IDEMPOTENCY_KEY_BYTES = 1000


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
    form: str | None = None,
    mappings: FormMappings | None = None,
    dedup_window: timedelta = DEFAULT_DEDUP_WINDOW,
    now: datetime | None = None,
    batcher: SubmissionBatcher | None = None,
) -> AcceptedSubmission:
    """Store the body and a queued intake run; a known submission returns its run.

    `provider` names the form builder (`backend.intake.providers.PROVIDERS`) and `form`
    the webhook URL's form segment, which selects the field mapping. `headers` are the
    request headers to keep, stored with the body. `now` is the clock of the
    deduplication window (default: the current time). With `batcher`, a submission
    deduplicated by its key is written in the batcher's next transaction, together with
    the other deliveries arriving meanwhile.

    Raises `InvalidPayloadError` (nothing stored) when the body cannot be read or its
    submission id exceeds MAX_IDEMPOTENCY_KEY_BYTES, and
    `NotAnInquiryError` (nothing stored) for a delivery that carries no inquiry.
    """
    source = get_provider(provider)
    stored_headers = {name.lower(): value for name, value in (headers or {}).items()}
    if form:
        # The URL path may carry %00, which PostgreSQL jsonb rejects.
        stored_headers[FORM_HEADER] = without_unstorable_characters(form)
    delivery = Delivery(raw_body=raw_body, content_type=content_type, headers=stored_headers)
    mapping = (mappings or FormMappings.load(None)).for_form(provider, form)
    received, payload = read_provider_delivery(source, delivery, mapping)

    # deme's own format keeps its permanent content-derived id (see derive_submission_id).
    by_content = source.deduplicate_by_content or received.submission_id is None
    if by_content and source.name != "form":
        content_hash = _content_hash(payload, catalog)
        _submission, run, created = await dedup.store_submission_by_content(
            db,
            provider=provider,
            content_hash=content_hash,
            provider_submission_id=received.submission_id,
            window=dedup_window,
            now=now or datetime.now(UTC),
            raw_body=raw_body,
            content_type=content_type,
            headers=stored_headers,
        )
        submission_id = received.submission_id or DERIVED_ID_PREFIX + content_hash
        run_id, run_status = run.id, str(run.status)
    else:
        submission_id = received.submission_id
        if source.name == "form":
            submission_id = submission_id_of(payload, catalog)
        idempotency_key = f"{provider}:{submission_id}"
        key_bytes = len(idempotency_key.encode("utf-8"))
        if key_bytes > MAX_IDEMPOTENCY_KEY_BYTES:
            raise InvalidPayloadError(
                f"submission id is too long: its idempotency key {idempotency_key[:40]!r}... "
                f"is {key_bytes} bytes, max {MAX_IDEMPOTENCY_KEY_BYTES}"
            )
        new = NewSubmission(
            provider=provider,
            provider_submission_id=received.submission_id,
            idempotency_key=idempotency_key,
            raw_body=raw_body,
            content_type=content_type,
            headers=stored_headers,
        )
        run_id, created, run_status = await _store_by_key(db, new, batcher)
    log.info(
        "submission.accepted" if created else "submission.duplicate",
        run_id=str(run_id),
        submission_id=submission_id,
    )
    return AcceptedSubmission(run_id, submission_id, created, run_status)


async def _store_by_key(
    db: Database, new: NewSubmission, batcher: SubmissionBatcher | None
) -> tuple[uuid.UUID, bool, str]:
    """Store a submission deduplicated by its key; return its run id, created, run status."""
    if batcher is not None:
        stored = await batcher.store(new)
        return stored.run_id, stored.created, stored.run_status
    async with db.session() as session:
        _submission, run, created = await run_store.store_submission(
            session, **dataclasses.asdict(new)
        )
    return run.id, created, str(run.status)


def _content_hash(payload: dict[str, Any], catalog: Catalog) -> str:
    """Return 32 hex digits hashing the normalised inquiry, without its id and times."""
    anonymous = {**payload, "submission_id": None, "submitted_at": None}
    derived = validate_inquiry(anonymous, catalog).inquiry.submission_id
    return derived.removeprefix(DERIVED_ID_PREFIX)
