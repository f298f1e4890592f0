"""Rate limiters (in-process and Redis) and the emulator's rate-limit mode."""

import asyncio

import pytest
from pipeline.helpers import run_payload, sample
from pydantic import SecretStr

from backend.emulator.faults import FaultInjector, FaultRule
from backend.integrations.rate_limit import (
    LocalRateLimiter,
    Rate,
    RedisRateLimiter,
    rates_from_settings,
)
from backend.runtime import open_runtime

THREE_PER_SECOND = {"notion": Rate(per_second=3.0, burst=3)}


def test_local_limiter_spaces_calls_after_burst():
    limiter = LocalRateLimiter(THREE_PER_SECOND)

    waits = [limiter.reserve("notion", now=100.0) for _ in range(6)]

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_local_limiter_refills_over_time():
    limiter = LocalRateLimiter(THREE_PER_SECOND)
    for _ in range(3):
        limiter.reserve("notion", now=100.0)

    wait = limiter.reserve("notion", now=101.0)

    assert wait == 0.0


def test_local_limiter_leaves_other_services_free():
    limiter = LocalRateLimiter(THREE_PER_SECOND)

    waits = [limiter.reserve("gmail", now=100.0) for _ in range(10)]

    assert waits == [0.0] * 10


async def test_redis_limiters_share_one_schedule(broker_url):
    first = RedisRateLimiter(broker_url, THREE_PER_SECOND)
    second = RedisRateLimiter(broker_url, THREE_PER_SECOND)
    try:
        waits = []
        for limiter in (first, second, first, second, first, second):
            waits.append(await limiter.reserve("notion"))
    finally:
        await first.aclose()
        await second.aclose()

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([1 / 3, 2 / 3, 1.0], abs=0.05)


def test_emulator_rate_limit_rejects_over_rate():
    rule = FaultRule(service="notion", kind="rate_limit", per_second=3, burst=3, count=None)
    injector = FaultInjector([rule])

    faults = [injector.draw("notion", "POST", "/v1/pages") for _ in range(5)]

    assert faults[:3] == [None, None, None]
    assert [fault.status for fault in faults[3:]] == [429, 429]
    assert rule.retry_after == 1
    assert injector.draw("drive", "POST", "/drive/v3/files") is None


def test_emulator_rate_limit_needs_rate():
    with pytest.raises(ValueError, match="per_second"):
        FaultRule(kind="rate_limit", count=None)


async def test_limiter_keeps_pipeline_under_notion_rate(db, settings, emulator):
    # The emulator allows a slightly larger burst: requests may reach it closer together
    # than the limiter sent them.
    emulator.faults.add(
        [FaultRule(service="notion", kind="rate_limit", per_second=10, burst=5, count=None)]
    )
    limited = settings.model_copy(update={"notion_requests_per_second": 10.0, "notion_burst": 1})

    async with open_runtime(limited) as runtime:
        results = await asyncio.gather(
            *(run_payload(runtime, sample("wedding-lyon", submission_id=f"rate-{n}"))
              for n in range(3))
        )

    assert [result["status"] for result in results] == ["succeeded"] * 3
    statuses = emulator.stats.snapshot()["statuses"]
    assert statuses.get("notion 429", 0) == 0
    assert statuses.get("notion 200", 0) > 20


def test_notion_rate_default_depends_on_target(settings):
    real = settings.model_copy(update={"notion_token": SecretStr("secret_x")})
    explicit = settings.model_copy(update={"notion_requests_per_second": 5.0})

    assert "notion" not in rates_from_settings(settings)
    assert rates_from_settings(real)["notion"] == Rate(3.0, 1)
    assert rates_from_settings(explicit)["notion"] == Rate(5.0, 1)
