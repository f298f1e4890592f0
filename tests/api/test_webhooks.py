"""POST /webhooks/form over HTTP: the run it queues, redeliveries and rejected bodies."""

import asyncio
import json

from pipeline.helpers import INQUIRIES, counts, sample

from backend.graph.builder import STEP_ORDER
from backend.intake.validation import STATUS_TO_REVIEW

from .helpers import MAX_BODY_BYTES, count_rows, wait_for_run

WEDDING_BODY = (INQUIRIES / "wedding-lyon.json").read_bytes()
JSON_HEADERS = {"Content-Type": "application/json"}


async def post_form(client, body: bytes):
    return await client.post("/webhooks/form", content=body, headers=JSON_HEADERS)


async def test_form_run_succeeds_with_links(client):
    response = await post_form(client, WEDDING_BODY)

    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["duplicate"] is False
    assert accepted["submission_id"] == "site-2027-0001"
    run = await wait_for_run(client, accepted["run_id"])
    assert run["status"] == "succeeded", run["error"]
    assert run["id"] == accepted["run_id"]
    assert sorted(step["name"] for step in run["steps"]) == sorted(STEP_ORDER)
    for step in run["steps"]:
        assert step["status"] == "succeeded", step
        assert isinstance(step["duration_ms"], int), step
        assert step["duration_ms"] >= 0, step
    result = run["result"]
    assert result["prestation"]["url"]
    assert result["sheet"]["url"]
    assert result["event"]["url"]
    assert "email_eml" not in result


async def test_redelivery_returns_same_run(client, db, emulator):
    first = (await post_form(client, WEDDING_BODY)).json()
    await wait_for_run(client, first["run_id"])

    response = await post_form(client, WEDDING_BODY)

    assert response.status_code == 200, response.text
    again = response.json()
    assert again["run_id"] == first["run_id"]
    assert again["duplicate"] is True
    run = await wait_for_run(client, again["run_id"])
    assert run["status"] == "succeeded"
    assert counts(emulator).prestations == 1
    assert await count_rows(db, "submissions") == 1
    assert await count_rows(db, "runs") == 1


async def test_concurrent_deliveries_share_one_run(client, db, emulator):
    responses = await asyncio.gather(*(post_form(client, WEDDING_BODY) for _ in range(20)))

    assert [response.status_code for response in responses] == [200] * 20
    bodies = [response.json() for response in responses]
    run_ids = {body["run_id"] for body in bodies}
    assert len(run_ids) == 1
    assert sum(1 for body in bodies if not body["duplicate"]) == 1
    run = await wait_for_run(client, run_ids.pop())
    assert run["status"] == "succeeded", run["error"]
    found = counts(emulator)
    assert found.clients == 1
    assert found.prestations == 1
    assert found.quote_lines == 4
    assert found.events == 1
    assert found.emails == 1
    assert await count_rows(db, "submissions") == 1
    assert await count_rows(db, "runs") == 1


async def test_body_not_json_rejected(client, db):
    response = await post_form(client, b"not json")

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert await count_rows(db, "submissions") == 0
    assert await count_rows(db, "runs") == 0


async def test_json_array_rejected(client, db):
    response = await post_form(client, b"[1,2]")

    assert response.status_code == 400
    assert "object" in response.json()["detail"]
    assert await count_rows(db, "submissions") == 0
    assert await count_rows(db, "runs") == 0


async def test_body_too_large_rejected(client, db):
    payload = sample("wedding-lyon", message="x" * MAX_BODY_BYTES)
    body = json.dumps(payload).encode()
    assert len(body) > MAX_BODY_BYTES

    response = await post_form(client, body)

    assert response.status_code == 413
    assert str(MAX_BODY_BYTES) in response.json()["detail"]
    assert await count_rows(db, "submissions") == 0
    assert await count_rows(db, "runs") == 0


async def test_unusable_values_flagged_for_review(client, emulator):
    payload = sample(
        "wedding-lyon",
        submission_id="site-2027-0500",
        guests="beaucoup",
        options=["Cocktail dînatoire 12 pièces", "Feu d'artifice"],
    )

    response = await post_form(client, json.dumps(payload).encode())

    assert response.status_code == 200, response.text
    run = await wait_for_run(client, response.json()["run_id"])
    assert run["status"] == "succeeded", run["result"]["errors"]
    result = run["result"]
    assert result["prestation"]["status"] == STATUS_TO_REVIEW
    assert 'guests not understood: "beaucoup"' in result["problems"]
    assert "option not in catalog: Feu d'artifice" in result["problems"]
    [message] = emulator.store.sent_messages()
    assert "option not in catalog: Feu d'artifice" in message.text
    assert counts(emulator).events == 1


async def test_unusable_date_skips_only_calendar(client, emulator):
    # Without a date no calendar event can exist, so that branch fails and the run is
    # partial. Everything else is created, and the email lists each problem.
    payload = sample(
        "wedding-lyon",
        submission_id="site-2027-0501",
        guests="beaucoup",
        options=["Cocktail dînatoire 12 pièces", "Feu d'artifice"],
        event_date="le mois prochain",
    )

    response = await post_form(client, json.dumps(payload).encode())

    assert response.status_code == 200, response.text
    run = await wait_for_run(client, response.json()["run_id"])
    result = run["result"]
    assert run["status"] == "partial"
    assert [error["step"] for error in result["errors"]] == ["create_calendar_event"]
    assert result["prestation"]["status"] == STATUS_TO_REVIEW
    expected_problems = [
        'guests not understood: "beaucoup"',
        'event date not understood: "le mois prochain"',
        "option not in catalog: Feu d'artifice",
    ]
    for problem in expected_problems:
        assert problem in result["problems"]
    [message] = emulator.store.sent_messages()
    for problem in expected_problems:
        assert problem in message.text
    found = counts(emulator)
    assert found.prestations == 1
    assert found.events == 0
