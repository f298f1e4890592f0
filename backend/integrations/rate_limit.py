"""Request rate limits per external service, shared by every run of a process or of a fleet.

Each limiter is a GCRA (generic cell rate algorithm) scheduler: a call reserves the next
free slot of its service and sleeps until then, so a burst of runs queues politely
instead of drawing 429s. `LocalRateLimiter` keeps the schedule in the process.
`RedisRateLimiter` keeps it in Redis and updates it in one Lua script, so every Celery
worker process draws from the same budget.
"""

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import structlog

from backend.config import Settings

log = structlog.get_logger(__name__)

# Notion's documented average rate per integration (developers.notion.com, request limits).
NOTION_REQUESTS_PER_SECOND = 3.0
# Waits longer than this are logged, so that a queue building up is visible.
LOGGED_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Rate:
    """A sustained rate (calls per second) and the calls allowed at once above it."""

    per_second: float
    burst: int = 1

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        """How far ahead of the sustained schedule a call may go (seconds)."""
        return (self.burst - 1) * self.interval


class RateLimiter(Protocol):
    """Something a gateway awaits before each HTTP request to `service`."""

    async def acquire(self, service: str) -> None: ...

    async def aclose(self) -> None: ...


def rates_from_settings(settings: Settings) -> dict[str, Rate]:
    """Return the configured rate of each limited service (unlisted services are free).

    Unset, Notion gets 3 calls/s, its documented average per integration, unless deme
    talks to the emulator, which limits nothing unless a drill tells it to.
    """
    rates: dict[str, Rate] = {}
    notion_rate = settings.notion_requests_per_second
    if notion_rate is None and not settings.uses_notion_emulator:
        notion_rate = NOTION_REQUESTS_PER_SECOND
    if notion_rate is not None:
        rates["notion"] = Rate(notion_rate, settings.notion_burst)
    for service, per_second in settings.google_requests_per_second.items():
        rates[service] = Rate(per_second, 1)
    return rates


def _log_wait(service: str, wait: float) -> None:
    if wait >= LOGGED_WAIT_SECONDS:
        log.info("rate_limit.waiting", service=service, wait_seconds=round(wait, 3))


class UnlimitedRateLimiter:
    """No limit: for code paths that open a gateway without settings."""

    async def acquire(self, service: str) -> None:
        return None

    async def aclose(self) -> None:
        return None


class LocalRateLimiter:
    """GCRA schedule per service, shared by the coroutines and threads of one process."""

    def __init__(self, rates: Mapping[str, Rate]) -> None:
        self._rates = dict(rates)
        # Theoretical arrival time of the next call of each service (monotonic seconds).
        self._next_slot: dict[str, float] = {}

    def reserve(self, service: str, now: float) -> float:
        """Reserve the next slot of `service`; return how long to wait for it (seconds)."""
        rate = self._rates.get(service)
        if rate is None:
            return 0.0
        slot = max(self._next_slot.get(service, now), now)
        self._next_slot[service] = slot + rate.interval
        return max(slot - rate.tolerance - now, 0.0)

    async def acquire(self, service: str) -> None:
        # reserve() runs without an await, so the event loop serialises callers.
        wait = self.reserve(service, time.monotonic())
        if wait > 0:
            _log_wait(service, wait)
            await asyncio.sleep(wait)

    async def aclose(self) -> None:
        return None


# KEYS[1]: the service's schedule key. ARGV: interval and tolerance (microseconds), and
# how long the key outlives its last reservation (milliseconds).
# Returns the wait in microseconds. Redis TIME is the one clock every worker shares.
_GCRA_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local stored = tonumber(redis.call('GET', KEYS[1]))
local slot = now
if stored ~= nil and stored > now then
  slot = stored
end
local ttl_ms = math.floor((slot + interval - now) / 1000) + tonumber(ARGV[3])
-- %d: the default number format would round microseconds since the epoch.
local next_slot = string.format('%d', slot + interval)
redis.call('SET', KEYS[1], next_slot, 'PX', string.format('%d', ttl_ms))
local wait = slot - tolerance - now
if wait < 0 then
  wait = 0
end
return wait
"""


def redis_client_url(url: str) -> str:
    """Turn Celery's `redis+socket://PATH` into redis-py's `unix://PATH`; keep other URLs."""
    prefix = "redis+socket://"
    if url.startswith(prefix):
        return "unix://" + url[len(prefix):]
    return url


class RedisRateLimiter:
    """GCRA schedule per service kept in Redis, shared by every process using that Redis."""

    def __init__(self, url: str, rates: Mapping[str, Rate], *, prefix: str = "deme:rate:") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_client_url(url))
        self._rates = dict(rates)
        self._prefix = prefix
        self._script = self._redis.register_script(_GCRA_SCRIPT)

    async def reserve(self, service: str) -> float:
        """Reserve the next slot of `service` in Redis; return how long to wait (seconds)."""
        rate = self._rates.get(service)
        if rate is None:
            return 0.0
        interval_us = int(rate.interval * 1_000_000)
        tolerance_us = int(rate.tolerance * 1_000_000)
        ttl_ms = 60_000
        wait_us = await self._script(
            keys=[self._prefix + service], args=[interval_us, tolerance_us, ttl_ms]
        )
        return int(wait_us) / 1_000_000

    async def acquire(self, service: str) -> None:
        wait = await self.reserve(service)
        if wait > 0:
            _log_wait(service, wait)
            await asyncio.sleep(wait)

    async def aclose(self) -> None:
        await self._redis.aclose()


def open_rate_limiter(settings: Settings) -> RateLimiter:
    """Return the Redis limiter in Celery mode (the broker's Redis), else the local one."""
    rates = rates_from_settings(settings)
    if settings.celery_broker_url is not None:
        return RedisRateLimiter(settings.celery_broker_url.get_secret_value(), rates)
    return LocalRateLimiter(rates)
