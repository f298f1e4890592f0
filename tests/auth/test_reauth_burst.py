"""A refresh token revoked while runs are in flight: runs wait in needs_reauth, then resume."""

import asyncio
import json
import time

import pytest
from sqlalchemy import select

from backend.db.models import Run, RunStatus
from backend.emulator import bootstrap
from backend.emulator.latency import LatencyProfile
from backend.emulator.oauth import issue_refresh_token, revoke_refresh_token
from backend.graph.submissions import accept_submission
from backend.integrations.google_auth import TokenStore
from backend.jobs.direct import DirectWorker
from backend.runtime import open_runtime
from backend.setup.pool import refill, source_of

from .google_helpers import CLIENT_ID, CLIENT_SECRET, authorized_user_file, real_google_settings

BURST = 20
RESUME_TIMEOUT_SECONDS = 120


def _inquiry(index: int) -> bytes:
    payload = {
        "submission_id": f"burst-{index:02d}",
        "name": f"Client Rafale {index}",
        "email": f"rafale{index}@example.fr",
        "phone": "06 00 00 00 01",
        "event_type": "Anniversaire",
        "event_date": f"2027-07-{index + 1:02d}",
        "event_time": "19:00",
        "address": "12 rue des Lilas, 69003 Lyon",
        "guests": "30",
        "options": ["Cocktail dînatoire 12 pièces"],
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


async def _statuses(runtime) -> dict[str, int]:
    async with runtime.db.session() as session:
        rows = (await session.execute(select(Run.status))).scalars().all()
    counts: dict[str, int] = {}
    for status in rows:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


async def _wait_for(runtime, status: RunStatus) -> dict[str, int]:
    deadline = time.monotonic() + RESUME_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        statuses = await _statuses(runtime)
        if statuses.get(status, 0) >= BURST:
            return statuses
        await asyncio.sleep(0.1)
    return await _statuses(runtime)


@pytest.mark.usefixtures("db")
async def test_revoked_token_mid_burst_then_reauth(settings, emulator, tmp_path):
    credentials_file = authorized_user_file(tmp_path, emulator)
    google_settings = real_google_settings(
        settings,
        credentials_file,
        template_pool_target=10,
        template_pool_low_water=0,
        notion_requests_per_second=1000.0,
        notion_burst=1000,
    )
    first_refresh_token = json.loads(credentials_file.read_text())["refresh_token"]
    async with open_runtime(google_settings) as runtime:
        await refill(source_of(runtime.workspace), runtime.db, target=10)
        # A first Google call, so the revoked refresh token has live access tokens.
        await runtime.workspace.google.get_file(bootstrap.TEMPLATE_SPREADSHEET_ID)
        emulator.latency.update(LatencyProfile.parse('{"notion": 40}'))
        run_ids = []
        for index in range(BURST):
            accepted = await accept_submission(
                runtime.db, runtime.catalog, raw_body=_inquiry(index),
                content_type="application/json",
            )
            run_ids.append(str(accepted.run_id))

        worker = DirectWorker(runtime, concurrency=4)
        await worker.start()
        try:
            await asyncio.sleep(0.02)
            revoke_refresh_token(emulator.store, first_refresh_token)
            waiting = await _wait_for(runtime, RunStatus.NEEDS_REAUTH)
            parked_counts = {
                "events": len(emulator.store.calendar_events()),
                "emails": len(emulator.store.sent_messages()),
                "prestations": len(
                    emulator.store.notion_pages(bootstrap.PRESTATIONS_DATA_SOURCE_ID)
                ),
            }
            async with runtime.db.session() as session:
                errors = (await session.execute(select(Run.error))).scalars().all()
            emulator.latency.update(LatencyProfile.none())

            requeued = TokenStore.from_settings(google_settings).replace({
                "type": "authorized_user",
                "refresh_token": issue_refresh_token(emulator.store),
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "token_uri": f"{emulator.url}/token",
                "scopes": [],
            })
            worker.notify()
            finished = await _wait_for(runtime, RunStatus.SUCCEEDED)
        finally:
            await worker.stop()

    assert waiting == {RunStatus.NEEDS_REAUTH: BURST}
    assert all("deme auth google" in error["message"] for error in errors)
    assert parked_counts == {"events": 0, "emails": 0, "prestations": BURST}
    assert sorted(requeued) == sorted(run_ids)
    assert finished == {RunStatus.SUCCEEDED: BURST}
    store = emulator.store
    assert len(store.notion_pages(bootstrap.PRESTATIONS_DATA_SOURCE_ID)) == BURST
    assert len(store.notion_pages(bootstrap.CLIENTS_DATA_SOURCE_ID)) == BURST
    assert len(store.calendar_events()) == BURST
    assert len(store.sent_messages()) == BURST
    quote_titles = [
        doc["title"] for doc in store.documents("spreadsheet") if doc["title"].startswith("Devis –")
    ]
    assert len(quote_titles) == BURST
