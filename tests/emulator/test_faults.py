"""Fault injection and latency, seen through the SDKs and the inspection endpoints."""

import json
import time
import uuid

import googleapiclient.http
import httpx
import pytest
from googleapiclient.errors import HttpError
from notion_client import APIResponseError, AsyncClient
from notion_client.client import RetryOptions
from notion_client.errors import RequestTimeoutError

from backend.emulator import (
    CLIENTS_DATA_SOURCE_ID,
    TEMPLATE_SPREADSHEET_ID,
    FaultInjector,
    FaultRule,
    LatencyProfile,
    RunningEmulator,
    start_emulator,
)


def client_names(emulator: RunningEmulator) -> list[str]:
    pages = emulator.store.notion_pages(CLIENTS_DATA_SOURCE_ID)
    return [page["properties"]["Nom"][0]["plain_text"] for page in pages]


def client_page(name: str) -> dict:
    return {
        "parent": {"data_source_id": CLIENTS_DATA_SOURCE_ID},
        "properties": {"Nom": {"title": [{"text": {"content": name}}]}},
    }


async def test_scripted_429_then_success(emulator: RunningEmulator):
    async with httpx.AsyncClient() as http:
        posted = await http.post(
            f"{emulator.url}/_emulator/faults",
            json={
                "service": "notion",
                "method": "POST",
                "path_regex": "/query$",
                "status": 429,
                "count": 1,
                "retry_after": 0,
            },
        )
    emulator.stats.reset()
    notion = AsyncClient(
        auth="t", base_url=emulator.url, retry=RetryOptions(max_retries=2, initial_retry_delay_ms=1)
    )

    result = await notion.data_sources.query(data_source_id=CLIENTS_DATA_SOURCE_ID, page_size=1)
    await notion.aclose()

    assert posted.status_code == 200
    assert result["object"] == "list"
    statuses = [record.status for record in emulator.stats.log()]
    assert statuses == [429, 200]


async def test_fault_body_and_retry_after_header(emulator: RunningEmulator):
    emulator.faults.add([FaultRule(service="notion", status=429, retry_after=7, count=1)])
    headers = {"Authorization": "Bearer t", "Notion-Version": "2025-09-03"}
    url = f"{emulator.url}/v1/data_sources/{CLIENTS_DATA_SOURCE_ID}"

    async with httpx.AsyncClient() as http:
        limited = await http.get(url, headers=headers)
        passed = await http.get(url, headers=headers)

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json()["object"] == "error"
    assert limited.json()["code"] == "rate_limited"
    assert passed.status_code == 200


async def test_fault_raises_api_error(notion: AsyncClient, emulator: RunningEmulator):
    emulator.faults.add([FaultRule(service="notion", status=503, count=1)])

    with pytest.raises(APIResponseError) as raised:
        await notion.pages.create(**client_page("Jamais créé"))

    assert raised.value.code == "service_unavailable"
    assert "Jamais créé" not in client_names(emulator)


async def test_fault_after_commit_keeps_change(notion: AsyncClient, emulator: RunningEmulator):
    emulator.faults.add([FaultRule(service="notion", status=500, after_commit=True, count=1)])

    with pytest.raises(APIResponseError):
        await notion.pages.create(**client_page("Réponse perdue"))

    assert "Réponse perdue" in client_names(emulator)


def test_rate_faults_reproducible_with_seed():
    def draws(seed: int) -> list[int | None]:
        injector = FaultInjector.by_rate(0.3, statuses=(429, 500, 503), seed=seed)
        results = []
        for _ in range(200):
            fault = injector.draw("notion", "POST", "/v1/pages")
            results.append(fault.status if fault else None)
        return results

    first = draws(7)
    again = draws(7)
    other = draws(8)
    failures = sum(status is not None for status in first)

    assert first == again
    assert first != other
    assert 30 <= failures <= 90
    assert {status for status in first if status} == {429, 500, 503}


async def test_rate_faults_over_http_reproducible():
    async def statuses(seed: int) -> list[int]:
        injector = FaultInjector.by_rate(0.5, statuses=(500,), seed=seed)
        with start_emulator(faults=injector) as running:
            notion = AsyncClient(auth="t", base_url=running.url, retry=False)
            for _ in range(12):
                try:
                    await notion.data_sources.retrieve(data_source_id=CLIENTS_DATA_SOURCE_ID)
                except APIResponseError:
                    pass
            await notion.aclose()
            return [record.status for record in running.stats.log()]

    first = await statuses(3)

    assert first == await statuses(3)
    assert 500 in first
    assert 200 in first


async def test_fault_rules_endpoint(emulator: RunningEmulator):
    async with httpx.AsyncClient() as http:
        bad = await http.post(f"{emulator.url}/_emulator/faults", json={"stauts": 500})
        added = await http.post(
            f"{emulator.url}/_emulator/faults", json=[{"service": "gmail", "status": 503}]
        )
        cleared = await http.delete(f"{emulator.url}/_emulator/faults")

    assert bad.status_code == 400
    assert "stauts" in bad.json()["error"]
    assert added.json()["rules"][0]["service"] == "gmail"
    assert cleared.json() == {"rules": []}
    assert emulator.faults.rules() == []


async def test_latency_profile_delays_calls():
    latency = LatencyProfile.parse('{"notion": 50}')
    with start_emulator(latency=latency) as running:
        notion = AsyncClient(auth="t", base_url=running.url, retry=False)
        started = time.perf_counter()
        for _ in range(3):
            await notion.data_sources.retrieve(data_source_id=CLIENTS_DATA_SOURCE_ID)
        elapsed = time.perf_counter() - started
        await notion.aclose()
        async with httpx.AsyncClient() as http:
            stats = (await http.get(f"{running.url}/_emulator/stats")).json()

    assert elapsed >= 0.150
    assert stats["latency_ms_total"]["notion"] == pytest.approx(150.0)
    assert stats["calls"]["notion.data_sources_retrieve"] == 3


def test_latency_profile_parse():
    realistic = LatencyProfile.parse("realistic")
    delays = [realistic.delay_seconds("notion") for _ in range(200)]

    assert LatencyProfile.parse("none").delay_seconds("notion") == 0
    assert 0.25 < sorted(delays)[100] < 0.45
    assert min(delays) != max(delays)
    with pytest.raises(ValueError, match="unknown service"):
        LatencyProfile.parse('{"notoin": 3}')
    with pytest.raises(ValueError, match="invalid latency profile"):
        LatencyProfile.parse("fast")


def test_google_rate_limit_403_then_retry(google, emulator: RunningEmulator, monkeypatch):
    # googleapiclient sleeps up to 2 s before its first retry; skip the wait.
    monkeypatch.setattr(googleapiclient.http.time, "sleep", lambda seconds: None)
    drive = google("drive", "v3")
    emulator.faults.add([FaultRule(service="drive", status=403, count=1)])
    emulator.stats.reset()

    file = drive.files().get(fileId=TEMPLATE_SPREADSHEET_ID).execute(num_retries=1)

    assert file["id"] == TEMPLATE_SPREADSHEET_ID
    assert [record.status for record in emulator.stats.log()] == [403, 200]


def test_google_fault_body_shape(google, emulator: RunningEmulator):
    drive = google("drive", "v3")
    emulator.faults.add(
        [FaultRule(service="drive", status=403, reason="userRateLimitExceeded", retry_after=2)]
    )

    with pytest.raises(HttpError) as raised:
        drive.files().get(fileId=TEMPLATE_SPREADSHEET_ID).execute()

    body = json.loads(raised.value.content)
    assert raised.value.resp.status == 403
    assert raised.value.resp["retry-after"] == "2"
    assert body["error"]["errors"][0]["reason"] == "userRateLimitExceeded"
    assert body["error"]["errors"][0]["domain"] == "usageLimits"
    assert body["error"]["status"] == "PERMISSION_DENIED"


def test_lost_insert_then_409(google, emulator: RunningEmulator):
    calendar = google("calendar", "v3")
    event_id = "lost" + uuid.uuid4().hex
    body = {
        "id": event_id,
        "summary": "Réponse perdue",
        "start": {"date": "2027-07-01"},
        "end": {"date": "2027-07-02"},
    }
    emulator.faults.add(
        [FaultRule(service="calendar", method="POST", status=503, after_commit=True)]
    )

    with pytest.raises(HttpError) as lost:
        calendar.events().insert(calendarId="primary", body=body).execute()
    with pytest.raises(HttpError) as again:
        calendar.events().insert(calendarId="primary", body=body).execute()

    assert lost.value.resp.status == 503
    assert again.value.resp.status == 409
    assert event_id in [event["id"] for event in emulator.store.calendar_events()]


async def test_timeout_fault_holds_call(emulator: RunningEmulator):
    emulator.faults.add([FaultRule(service="notion", kind="timeout", delay_seconds=0.3)])
    notion = AsyncClient(auth="t", base_url=emulator.url, retry=False, timeout_ms=100)

    with pytest.raises(RequestTimeoutError):
        await notion.data_sources.retrieve(data_source_id=CLIENTS_DATA_SOURCE_ID)
    await notion.aclose()


async def test_oauth_invalid_grant(emulator: RunningEmulator):
    emulator.faults.add([FaultRule(service="oauth", status=400)])
    form = {"grant_type": "refresh_token", "refresh_token": "r"}

    async with httpx.AsyncClient() as http:
        refused = await http.post(f"{emulator.url}/token", data=form)
        granted = await http.post(f"{emulator.url}/token", data=form)

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert granted.status_code == 200
    assert granted.json()["access_token"].startswith("emulator-")
