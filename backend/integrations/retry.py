"""One retry policy for every external call: exponential backoff, full jitter, Retry-After.

A gateway turns its SDK's exceptions into `ExternalServiceError` with a `classify`
function; this module decides whether and when to try again.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import structlog

from backend.config import Settings
from backend.errors import ExternalServiceError

log = structlog.get_logger(__name__)

T = TypeVar("T")

# Notion caps Retry-After at 60 s for per-connection limits; a longer wait belongs to a
# later retry of the whole step rather than to a coroutine sleeping inside a worker.
MAX_HONOURED_RETRY_AFTER_SECONDS = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a call gets and how long to wait between them (seconds)."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "RetryPolicy":
        return cls(
            max_attempts=settings.retry_max_attempts,
            base_delay=settings.retry_base_delay_seconds,
            max_delay=settings.retry_max_delay_seconds,
        )

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Return the wait before attempt `attempt + 1` (attempt counts from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_HONOURED_RETRY_AFTER_SECONDS)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)


def parse_retry_after(value: str | None) -> float | None:
    """Parse a Retry-After header given in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


async def call_with_retry(
    call: Callable[[], Awaitable[T]],
    *,
    classify: Callable[[Exception], ExternalServiceError | None],
    policy: RetryPolicy,
    service: str,
    operation: str,
) -> T:
    """Await `call()` until it succeeds, fails for good, or runs out of attempts.

    `classify` maps an exception to an `ExternalServiceError`, or to None for an
    exception that is not about the remote service (a bug), which propagates unchanged.
    """
    attempt = 1
    while True:
        try:
            return await call()
        except Exception as exc:  # noqa: BLE001 - classified below, bugs re-raised
            error = classify(exc)
            if error is None:
                raise
            if not error.retryable or attempt >= policy.max_attempts:
                log.warning(
                    "external_call.failed",
                    service=service,
                    operation=operation,
                    attempt=attempt,
                    status=error.status,
                    code=error.code,
                    retryable=error.retryable,
                    error=error.message,
                )
                raise error from exc
            wait = policy.delay(attempt, error.retry_after)
            log.info(
                "external_call.retrying",
                service=service,
                operation=operation,
                attempt=attempt,
                status=error.status,
                code=error.code,
                wait_seconds=round(wait, 3),
            )
            await asyncio.sleep(wait)
            attempt += 1


async def create_once(
    create: Callable[[], Awaitable[T]],
    *,
    find: Callable[[], Awaitable[T | None]],
    classify: Callable[[Exception], ExternalServiceError | None],
    policy: RetryPolicy,
    service: str,
    operation: str,
    known_absent: bool = False,
) -> tuple[T, bool]:
    """Create an object that has no server-side idempotency key, at most once.

    A failed create may still have happened (a lost response, a timeout), so before
    each new attempt `find()` looks for the object by the key deme stored in it.
    With `known_absent`, the caller has just looked, and the first lookup is skipped.
    Returns the object and whether this call created it.
    """
    attempts = 0

    async def attempt() -> tuple[T, bool]:
        nonlocal attempts
        attempts += 1
        if attempts > 1 or not known_absent:
            existing = await find()
            if existing is not None:
                return existing, False
        return await create(), True

    # Each create is sent once per attempt: the retry loop wraps find + create together.
    return await call_with_retry(
        attempt, classify=classify, policy=policy, service=service, operation=operation
    )
