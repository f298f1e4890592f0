"""The intake pipeline end to end: real SDKs over HTTP to the emulator, real PostgreSQL."""

import asyncio
import json

from sqlalchemy import text

from backend.emulator import bootstrap
from backend.emulator.faults import FaultRule
from backend.graph.submissions import accept_submission
from backend.integrations.workspace_schema import QUOTE_LINE_ROWS

from .helpers import WorkspaceCounts, counts, relation_ids, run_payload, sample


async def test_run_creates_each_object_once(runtime, emulator):
    result = await run_payload(runtime, sample("wedding-lyon"))

    assert result["status"] == "succeeded"
    assert counts(emulator) == WorkspaceCounts(1, 1, 4, 1, 1, 1)
    store = emulator.store
    client = store.notion_pages(bootstrap.CLIENTS_DATA_SOURCE_ID)[0]
    prestation = store.notion_pages(bootstrap.PRESTATIONS_DATA_SOURCE_ID)[0]
    assert relation_ids(prestation, "Client") == [client["id"]]
    for line in store.notion_pages(bootstrap.QUOTE_LINES_DATA_SOURCE_ID):
        assert relation_ids(line, "Prestation") == [prestation["id"]]
    assert result["client"]["created"] is True
    assert result["prestation"]["name"] == "Mariage – Claire Martin – 14/06/2027"


async def test_run_fills_sheet_lines_and_totals(runtime, emulator):
    result = await run_payload(runtime, sample("wedding-lyon"))

    rows = emulator.store.sheet_values(result["sheet"]["id"])
    flat = [cell for row in rows for cell in row]
    assert ["Cocktail dînatoire 12 pièces", 80, 24, 10, 1920] in rows
    assert ["Serveur / maître d'hôtel", 20, 35, 20, 700] in rows
    assert "Total TTC" in flat
    assert 4676 in flat
    assert "Claire Martin" in flat
    spreadsheet = emulator.store.get("spreadsheet", result["sheet"]["id"])
    assert spreadsheet["title"] == "Devis – Mariage – Claire Martin – 14/06/2027"
    assert QUOTE_LINE_ROWS >= 4


async def test_second_run_creates_nothing(runtime, emulator):
    first = await run_payload(runtime, sample("wedding-lyon"))
    before = counts(emulator)

    second = await run_payload(runtime, sample("wedding-lyon"))

    assert second["run_id"] == first["run_id"]
    assert counts(emulator) == before
    assert second["nothing_new"] is True
    assert second["client"]["created"] is False
    assert second["prestation"]["created"] is False
    assert second["email"]["id"] == first["email"]["id"]
    assert second["sheet"]["id"] == first["sheet"]["id"]


async def test_client_reused_when_email_case_differs(runtime, emulator):
    await run_payload(runtime, sample("wedding-lyon"))
    other = sample(
        "seminar-french-formats",
        submission_id="site-2027-0099",
        email="  CLAIRE.Martin@Example.FR ",
        name="Claire Martin",
    )

    result = await run_payload(runtime, other)

    assert result["client"]["created"] is False
    assert counts(emulator).clients == 1
    assert counts(emulator).prestations == 2


async def test_calendar_failure_still_sends_email(runtime, emulator):
    emulator.faults.add([FaultRule(service="calendar", method="POST", status=500, count=None)])

    result = await run_payload(runtime, sample("wedding-lyon"))

    assert result["status"] == "partial"
    assert [error["step"] for error in result["errors"]] == ["create_calendar_event"]
    assert result["errors"][0]["retryable"] is True
    assert counts(emulator).events == 0
    [message] = emulator.store.sent_messages()
    assert "l'événement d'agenda est manquant" in message.text
    assert counts(emulator).quote_lines == 4


async def test_lost_create_response_makes_no_duplicate(runtime, emulator):
    # Notion applies the create, then the answer is lost: the retry must find the page.
    emulator.faults.add(
        [FaultRule(service="notion", method="POST", path_regex="^/v1/pages$", status=502,
                   count=2, after_commit=True)]
    )
    emulator.faults.add(
        [FaultRule(service="gmail", method="POST", path_regex="send$", status=503,
                   count=1, after_commit=True)]
    )

    result = await run_payload(runtime, sample("wedding-lyon"))

    assert result["status"] == "succeeded"
    assert counts(emulator) == WorkspaceCounts(1, 1, 4, 1, 1, 1)


async def test_review_status_and_problems_reach_notion(runtime, emulator):
    result = await run_payload(runtime, sample("unknown-option-range"))

    prestation = emulator.store.notion_pages(bootstrap.PRESTATIONS_DATA_SOURCE_ID)[0]
    assert prestation["properties"]["Statut"]["name"] == "À vérifier"
    assert result["problems"] == [
        "guests given as a range (100-120): priced for 120",
        "option not in catalog: DJ et sonorisation",
    ]
    [message] = emulator.store.sent_messages()
    assert message.subject.startswith("[À vérifier]")
    assert "option not in catalog: DJ et sonorisation" in message.text


async def test_all_day_event_for_inquiry_without_time(runtime, emulator):
    await run_payload(runtime, sample("birthday-no-time"))

    [event] = emulator.store.calendar_events()
    assert event["start"] == {"date": "2027-05-08"}
    assert event["end"] == {"date": "2027-05-09"}


async def test_no_contact_is_processed_and_reported(runtime, emulator):
    payload = sample("wedding-lyon", submission_id="site-2027-0100", email="", phone="")

    result = await run_payload(runtime, payload)

    assert result["status"] == "succeeded"
    assert "no email and no phone: the client cannot be reached" in result["problems"]
    assert counts(emulator).prestations == 1
    assert counts(emulator).emails == 1


async def test_full_date_is_flagged_with_other_names(runtime, emulator):
    for number in (201, 202):
        await run_payload(runtime, sample("wedding-lyon", submission_id=f"site-{number}"))

    result = await run_payload(runtime, sample("wedding-lyon", submission_id="site-203"))

    [problem] = [p for p in result["problems"] if "maximum" in p]
    assert problem.startswith("14/06/2027 already has 2 prestation(s), the maximum of 2 a day")
    assert result["prestation"]["status"] == "À vérifier"


async def test_empty_pool_copies_template_on_demand(runtime, emulator):
    async with runtime.db.session() as session:
        await session.execute(text("DELETE FROM template_pool"))
        await session.commit()

    result = await run_payload(runtime, sample("wedding-lyon"))

    assert result["status"] == "succeeded"
    assert result["sheet"]["id"] != bootstrap.TEMPLATE_SPREADSHEET_ID
    rows = emulator.store.sheet_values(result["sheet"]["id"])
    assert ["Pièce montée", 80, 6.5, 10, 520] in rows


async def test_same_run_executed_twice_at_once(runtime, emulator):
    raw = json.dumps(sample("wedding-lyon")).encode()
    accepted = await accept_submission(
        runtime.db, runtime.catalog, raw_body=raw, content_type="application/json"
    )

    results = await asyncio.gather(
        runtime.runner.execute(str(accepted.run_id)),
        runtime.runner.execute(str(accepted.run_id)),
    )

    assert [result["status"] for result in results] == ["succeeded", "succeeded"]
    assert counts(emulator) == WorkspaceCounts(1, 1, 4, 1, 1, 1)


async def test_nul_character_in_name_is_processed(runtime, emulator):
    result = await run_payload(runtime, sample("wedding-lyon", name="Jean\u0000Dupont"))

    assert result["status"] == "succeeded"
    assert result["client"]["name"] == "Jean Dupont"
