"""Pool refill under concurrency, rate limits and a low pool; claims never share a sheet."""

import asyncio
import json

import pytest

from backend.db import pool as pool_store
from backend.db import runs as run_store
from backend.emulator import FaultRule
from backend.emulator.latency import LatencyProfile
from backend.graph.submissions import accept_submission
from backend.integrations.quote_sheet import take_sheet
from backend.runtime import open_runtime
from backend.setup.pool import refill, refill_if_low, source_of
from backend.setup.run_hooks import top_up_pool

pytestmark = pytest.mark.usefixtures("db")

CLAIMS = 30


async def _available(runtime) -> int:
    async with runtime.db.session() as session:
        return (await pool_store.pool_status(session)).available


@pytest.fixture
async def empty_pool_runtime(settings):
    """A runtime on the emulator whose pool starts empty (no refill on start)."""
    async with open_runtime(settings.model_copy(update={"template_pool_target": 0})) as runtime:
        yield runtime


async def test_concurrent_refills_fill_exactly_target(empty_pool_runtime, emulator):
    runtime = empty_pool_runtime
    emulator.latency.update(LatencyProfile.parse('{"drive": 20}'))
    source = source_of(runtime.workspace)

    outcomes = await asyncio.gather(
        refill(source, runtime.db, target=10), refill(source, runtime.db, target=10)
    )

    assert sorted(outcome.added for outcome in outcomes) == [0, 10]
    assert await _available(runtime) == 10


async def test_claims_beyond_pool_copy_on_demand(empty_pool_runtime, emulator):
    runtime = empty_pool_runtime
    await refill(source_of(runtime.workspace), runtime.db, target=10)
    runs = []
    for index in range(CLAIMS):
        body = json.dumps({"submission_id": f"claim-{index}", "name": "Léa", "email":
                           f"lea{index}@example.fr"}).encode()
        runs.append(await accept_submission(
            runtime.db, runtime.catalog, raw_body=body, content_type="application/json"
        ))

    async with runtime.db.session() as session:
        refs = [
            str((await run_store.get_run(session, run_id=run.run_id)).submission_id)
            for run in runs
        ]

    sheets = await asyncio.gather(*[
        take_sheet(
            runtime.workspace, runtime.db, run_id=str(run.run_id),
            submission_key=f"form:claim-{index}", submission_ref=refs[index],
            title=f"Devis – claim {index}",
        )
        for index, run in enumerate(runs)
    ])

    assert sum(sheet.from_pool for sheet in sheets) == 10
    assert sum(not sheet.from_pool for sheet in sheets) == CLAIMS - 10
    assert len({sheet.sheet_id for sheet in sheets}) == CLAIMS
    assert await _available(runtime) == 0


async def test_refill_backs_off_on_rate_limit(empty_pool_runtime, emulator):
    runtime = empty_pool_runtime
    emulator.faults.add([
        FaultRule(service="drive", path_regex="/copy$", status=403,
                  reason="userRateLimitExceeded", count=4),
    ])

    outcome = await refill(
        source_of(runtime.workspace), runtime.db, target=3, backoff_base_seconds=0.01
    )

    assert outcome.error is None
    assert outcome.added == 3


async def test_refill_stops_when_rate_limit_persists(empty_pool_runtime, emulator):
    runtime = empty_pool_runtime
    emulator.faults.add([
        FaultRule(service="drive", path_regex="/copy$", status=429, count=None),
    ])

    outcome = await refill(
        source_of(runtime.workspace), runtime.db, target=3, backoff_base_seconds=0.01
    )

    assert outcome.added == 0
    assert "stopped after 0 of 3 copies" in outcome.error


async def test_low_pool_triggers_refill(empty_pool_runtime):
    runtime = empty_pool_runtime
    source = source_of(runtime.workspace)

    task = await refill_if_low(source, runtime.db, target=4, low=2)
    await task

    assert await _available(runtime) == 4
    assert await refill_if_low(source, runtime.db, target=4, low=2) is None


async def test_top_up_skipped_with_emulated_google(empty_pool_runtime):
    assert await top_up_pool(empty_pool_runtime.runner.context) is None
