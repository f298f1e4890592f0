"""Celery mode with real `deme worker` processes and Redis: storms, retries, takeovers."""

import asyncio
import json
import os
import signal

import httpx
import pytest
from api.helpers import API_TOKEN, count_rows, staff_headers, wait_for_run
from pipeline.helpers import INQUIRIES, counts, sample
from pydantic import SecretStr

from backend.app import create_app
from backend.emulator.faults import FaultRule

WEDDING_BODY = (INQUIRIES / "wedding-lyon.json").read_bytes()
JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.fixture
async def celery_client(db, settings, broker_url):
    """HTTP client of an app in Celery mode: it only enqueues, `deme worker` executes."""
    app_settings = settings.model_copy(
        update={"api_token": SecretStr(API_TOKEN), "celery_broker_url": SecretStr(broker_url)}
    )
    app = create_app(app_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert app.state.dispatcher.mode == "celery"
            yield http


async def post_form(client, body: bytes):
    return await client.post("/webhooks/form", content=body, headers=JSON_HEADERS)


async def test_celery_storm_creates_everything_once(celery_client, start_workers, db, emulator):
    start_workers(2)

    responses = await asyncio.gather(*(post_form(celery_client, WEDDING_BODY) for _ in range(20)))

    assert [response.status_code for response in responses] == [200] * 20
    run_ids = {response.json()["run_id"] for response in responses}
    assert len(run_ids) == 1
    run = await wait_for_run(celery_client, run_ids.pop())
    assert run["status"] == "succeeded", run["error"]
    found = counts(emulator)
    assert found.clients == 1
    assert found.prestations == 1
    assert found.quote_lines == 4
    assert found.renamed_sheets == 1
    assert found.events == 1
    assert found.emails == 1
    assert await count_rows(db, "runs") == 1


async def test_celery_retry_completes_failed_run(celery_client, start_workers, emulator):
    start_workers(1)
    emulator.faults.add(
        [FaultRule(service="notion", method="POST", path_regex="^/v1/pages$", status=503, count=5)]
    )
    payload = json.dumps(sample("wedding-lyon", submission_id="celery-retry-1")).encode()
    run_id = (await post_form(celery_client, payload)).json()["run_id"]
    failed = await wait_for_run(celery_client, run_id)
    assert failed["status"] == "failed"
    assert failed["error"]["retryable"] is True

    response = await celery_client.post(f"/runs/{run_id}/retry", headers=staff_headers())

    assert response.status_code == 202, response.text
    run = await wait_for_run(celery_client, run_id)
    assert run["status"] == "succeeded", run["error"]
    assert counts(emulator).clients == 1
    assert counts(emulator).prestations == 1


async def test_killed_worker_run_taken_over(celery_client, start_workers, emulator):
    [first] = start_workers(1)
    emulator.latency.update(emulator.latency.parse('{"notion": 300}'))
    payload = json.dumps(sample("wedding-lyon", submission_id="celery-kill-1")).encode()
    run_id = (await post_form(celery_client, payload)).json()["run_id"]
    await wait_for_step(celery_client, run_id, "upsert_client")

    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    emulator.latency.update(emulator.latency.parse("none"))
    start_workers(1)

    run = await wait_for_run(celery_client, run_id)
    assert run["status"] == "succeeded", run["error"]
    found = counts(emulator)
    assert found.clients == 1
    assert found.prestations == 1
    assert found.quote_lines == 4
    assert found.events == 1
    assert found.emails == 1


async def wait_for_step(client, run_id: str, step: str) -> None:
    for _ in range(200):
        run = (await client.get(f"/runs/{run_id}", headers=staff_headers())).json()
        if any(item["name"] == step and item["status"] == "succeeded" for item in run["steps"]):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"step {step} of run {run_id} did not succeed in 10 s")
