"""Transport limits of the webhooks: the body size cap and a per-source rate limit."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException, Request, status


class BodyTooLargeError(HTTPException):
    """413 for a body over MAX_BODY_BYTES, raised before the rest of it is read."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"body is larger than {limit} bytes: raise MAX_BODY_BYTES to accept it",
        )


async def read_body(request: Request, limit: int) -> bytes:
    """Read the request body in chunks; raise BodyTooLargeError as soon as it exceeds `limit`.

    A Content-Length over the limit is rejected before any byte is read.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(limit)

    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(limit)
        chunks.append(chunk)
    return b"".join(chunks)


# Buckets kept before the full ones are dropped.
_MAX_BUCKETS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated_at: float


@dataclass
class TokenBuckets:
    """In-process token buckets, one per key (client IP and provider).

    Each bucket holds up to `burst` tokens and refills at `per_minute` tokens a minute.
    The buckets live in one process: with several API processes each has its own.
    """

    per_minute: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)

    def take(self, key: tuple[str, str]) -> float:
        """Take a token for `key`; return 0 if allowed, else the seconds until one is free."""
        now = self.clock()
        rate = self.per_minute / 60.0
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_BUCKETS:
                self._forget_full_buckets(now, rate)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated_at) * rate)
        bucket.updated_at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate

    def _forget_full_buckets(self, now: float, rate: float) -> None:
        """Drop the buckets that have refilled completely, so idle sources cost no memory."""
        refill_seconds = self.burst / rate
        for key, bucket in list(self._buckets.items()):
            if now - bucket.updated_at >= refill_seconds:
                del self._buckets[key]


def retry_after_header(seconds: float) -> dict[str, str]:
    """Return the Retry-After header for a wait, in whole seconds rounded up (at least 1)."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}
