"""GET /runs filters and pages, attempts per step, and POST /runs/{id}/retry."""

import json
import uuid

from pipeline.helpers import counts, sample

from backend.emulator.faults import FaultRule

from .helpers import count_rows, staff_headers, wait_for_run

JSON_HEADERS = {"Content-Type": "application/json"}


async def post_sample(client, submission_id: str, **changes) -> str:
    payload = sample("wedding-lyon", submission_id=submission_id, **changes)
    response = await client.post(
        "/webhooks/form", content=json.dumps(payload).encode(), headers=JSON_HEADERS
    )
    assert response.status_code == 200, response.text
    return response.json()["run_id"]


async def test_list_filters_by_status_and_email(client, emulator):
    emulator.faults.add([FaultRule(service="calendar", method="POST", status=400)])
    partial_id = await post_sample(client, "list-1", email="alice@example.fr")
    await wait_for_run(client, partial_id)
    done_id = await post_sample(client, "list-2", email="bob@example.fr")
    await wait_for_run(client, done_id)

    by_status = await client.get("/runs", params={"status": "partial"}, headers=staff_headers())
    by_email = await client.get(
        "/runs", params={"client_email": "BOB@example.fr"}, headers=staff_headers()
    )
    everything = await client.get("/runs", headers=staff_headers())

    assert by_status.status_code == 200, by_status.text
    assert [run["id"] for run in by_status.json()["runs"]] == [partial_id]
    assert [run["id"] for run in by_email.json()["runs"]] == [done_id]
    assert [run["id"] for run in everything.json()["runs"]] == [done_id, partial_id]
    [partial] = by_status.json()["runs"]
    assert partial["error"]["step"] == "create_calendar_event"
    assert partial["error"]["retryable"] is False
    assert partial["client_email"] == "alice@example.fr"


async def test_list_pages_with_cursor(client):
    run_ids = [await post_sample(client, f"page-{number}") for number in range(3)]
    for run_id in run_ids:
        await wait_for_run(client, run_id)

    first = (await client.get("/runs", params={"limit": 2}, headers=staff_headers())).json()
    second = (
        await client.get(
            "/runs", params={"limit": 2, "cursor": first["next_cursor"]}, headers=staff_headers()
        )
    ).json()

    assert [run["id"] for run in first["runs"]] == run_ids[:0:-1]
    assert [run["id"] for run in second["runs"]] == run_ids[:1]
    assert second["next_cursor"] is None


async def test_list_rejects_bad_cursor(client):
    response = await client.get("/runs", params={"cursor": "nope"}, headers=staff_headers())

    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


async def test_list_filters_by_date(client):
    run_id = await post_sample(client, "date-1")
    await wait_for_run(client, run_id)

    past = await client.get(
        "/runs", params={"created_to": "2020-01-01"}, headers=staff_headers()
    )
    recent = await client.get(
        "/runs", params={"created_from": "2020-01-01"}, headers=staff_headers()
    )

    assert past.json()["runs"] == []
    assert [run["id"] for run in recent.json()["runs"]] == [run_id]


async def test_list_without_token_unauthorized(client):
    response = await client.get("/runs")

    assert response.status_code == 401


async def test_retry_completes_failed_run_once(client, db, emulator):
    # The first pages.create (the client) fails on every attempt the policy allows.
    emulator.faults.add(
        [FaultRule(service="notion", method="POST", path_regex="^/v1/pages$", status=503, count=3)]
    )
    run_id = await post_sample(client, "retry-1")
    failed = await wait_for_run(client, run_id)
    assert failed["status"] == "failed"
    assert failed["error"]["step"] == "upsert_client"
    assert failed["error"]["retryable"] is True

    response = await client.post(f"/runs/{run_id}/retry", headers=staff_headers())

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    run = await wait_for_run(client, run_id)
    assert run["status"] == "succeeded", run["error"]
    assert run["attempts"] == 2
    assert run["step_attempts"]["upsert_client"] == 2
    assert run["step_attempts"]["validate"] == 2
    found = counts(emulator)
    assert found.clients == 1
    assert found.prestations == 1
    assert found.quote_lines == 4
    assert found.events == 1
    assert found.emails == 1
    assert await count_rows(db, "runs") == 1


async def test_retry_partial_run_adds_only_missing(client, emulator):
    emulator.faults.add([FaultRule(service="calendar", method="POST", status=400)])
    run_id = await post_sample(client, "retry-2")
    partial = await wait_for_run(client, run_id)
    assert partial["status"] == "partial"
    before = counts(emulator)
    assert before.events == 0

    response = await client.post(f"/runs/{run_id}/retry", headers=staff_headers())

    assert response.status_code == 202, response.text
    run = await wait_for_run(client, run_id)
    assert run["status"] == "succeeded", run["error"]
    after = counts(emulator)
    assert after.events == 1
    assert after.clients == before.clients
    assert after.prestations == before.prestations
    assert after.quote_lines == before.quote_lines
    assert after.emails == before.emails


async def test_retry_succeeded_run_conflicts(client):
    run_id = await post_sample(client, "retry-3")
    await wait_for_run(client, run_id)

    response = await client.post(f"/runs/{run_id}/retry", headers=staff_headers())

    assert response.status_code == 409
    assert "succeeded" in response.json()["detail"]


async def test_retry_unknown_run_not_found(client):
    response = await client.post(f"/runs/{uuid.uuid4()}/retry", headers=staff_headers())

    assert response.status_code == 404
