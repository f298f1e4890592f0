"""Fault injection: error responses by script (rules with a count) or by rate (seeded)."""

import asyncio
import random
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog

log = structlog.get_logger(__name__)

FAULT_KINDS = ("error", "timeout", "rate_limit")
HOLD_POLL_SECONDS = 0.05


@dataclass
class FaultRule:
    """One fault to inject on the calls that match it.

    `service` is notion, drive, sheets, calendar, gmail or oauth (None matches all).
    `status` may be a list, and each hit draws one of them. Unset, it is 429 for an
    error and 504 for a timeout. `count` is how many calls the rule fires on (None:
    no limit). `rate` is the chance that a matching call fires the rule (None: every
    call). `kind` "timeout" delays the response by `delay_seconds`, then returns
    `status`. With `after_commit`, the call changes the state and the client gets
    the error instead of the result, as when a response is lost. `reason` sets the
    Google error reason, and `body` replaces the whole error body.

    `kind` "rate_limit" enforces a rate as the service would: a token bucket of
    `burst` calls refilled at `per_second`; a matching call that finds it empty
    gets `status` (429) with `retry_after` (default 1 s). Rejected calls take no token.
    Give such a rule `count` None, or it stops limiting after `count` rejections.
    """

    service: str | None = None
    method: str | None = None
    path_regex: str | None = None
    status: int | list[int] | None = None
    count: int | None = 1
    rate: float | None = None
    retry_after: float | None = None
    body: dict[str, Any] | None = None
    after_commit: bool = False
    kind: str = "error"
    delay_seconds: float = 65.0
    reason: str | None = None
    message: str | None = None
    per_second: float | None = None
    burst: int = 1
    fired: int = 0
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _tokens: float = field(default=0.0, repr=False, compare=False)
    _refilled_at: float | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"invalid fault kind {self.kind!r}; use one of {FAULT_KINDS}")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"invalid fault rate {self.rate}; expected 0..1")
        if self.kind == "rate_limit":
            if self.per_second is None or self.per_second <= 0 or self.burst < 1:
                raise ValueError(
                    "a rate_limit rule needs per_second > 0 and burst >= 1, "
                    f"not per_second={self.per_second}, burst={self.burst}"
                )
            if self.retry_after is None:
                self.retry_after = 1
            self._tokens = float(self.burst)
        self._pattern = re.compile(self.path_regex) if self.path_regex else None

    def take_token(self, now: float) -> bool:
        """Take a token of a rate_limit rule's bucket; False when the call is over the rate."""
        if self._refilled_at is not None:
            elapsed = now - self._refilled_at
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.per_second)
        self._refilled_at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FaultRule":
        allowed = {name for name in cls.__dataclass_fields__ if not name.startswith("_")}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault rule fields {sorted(unknown)}; use {sorted(allowed)}")
        return cls(**data)

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if not key.startswith("_")}

    def matches(self, service: str, method: str, path: str) -> bool:
        if self.count is not None and self.fired >= self.count:
            return False
        if self.service is not None and self.service != service:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._pattern is None or self._pattern.search(path) is not None


@dataclass(frozen=True)
class Fault:
    """A fault drawn for one call."""

    rule: FaultRule
    status: int


class FaultInjector:
    """Thread-safe set of fault rules; the first matching rule that fires wins."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int | None = None) -> None:
        self._rules = list(rules or [])
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._released = threading.Event()

    @classmethod
    def none(cls) -> "FaultInjector":
        return cls()

    @classmethod
    def by_rate(
        cls,
        rate: float,
        statuses: tuple[int, ...] = (429, 500, 503),
        service: str | None = None,
        seed: int | None = None,
        retry_after: float | None = 1,
    ) -> "FaultInjector":
        """Fail `rate` of the calls (0..1) with a status drawn from `statuses`."""
        rule = FaultRule(
            service=service,
            status=list(statuses),
            count=None,
            rate=rate,
            retry_after=retry_after,
        )
        return cls([rule], seed=seed)

    async def hold(self, seconds: float) -> None:
        """Hold a call for a timeout fault, or until `release_held()` (server shutdown)."""
        deadline = time.monotonic() + seconds
        while not self._released.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, HOLD_POLL_SECONDS))

    def release_held(self) -> None:
        self._released.set()

    def add(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.as_json() for rule in self._rules]

    def draw(self, service: str, method: str, path: str) -> Fault | None:
        """Return the fault to inject on this call, if any, and count it as fired."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(service, method, path):
                    continue
                if rule.kind == "rate_limit":
                    if rule.take_token(time.monotonic()):
                        continue
                elif rule.rate is not None and self._random.random() >= rule.rate:
                    continue
                rule.fired += 1
                if isinstance(rule.status, list):
                    status = self._random.choice(rule.status)
                elif rule.status is not None:
                    status = rule.status
                else:
                    status = 504 if rule.kind == "timeout" else 429
                log.info(
                    "emulator.fault.injected",
                    service=service,
                    method=method,
                    path=path,
                    status=status,
                    kind=rule.kind,
                    after_commit=rule.after_commit,
                )
                return Fault(rule, status)
        return None
