"""Google credentials: stored encrypted, refreshed once, revocation remembered, 401 retried."""

import asyncio

import pytest
from google.auth.transport.requests import Request
from sqlalchemy import text

from backend.emulator import FaultRule
from backend.emulator.oauth import revoke_refresh_token
from backend.errors import ExternalServiceError
from backend.integrations.google_auth import TokenStore
from backend.setup.google import open_google_gateway

from .google_helpers import authorized_user_file, real_google_settings

pytestmark = pytest.mark.usefixtures("db")


def _token_calls(emulator) -> int:
    return sum(1 for record in emulator.stats.log() if record.service == "oauth")


@pytest.fixture
def google_settings(settings, emulator, tmp_path):
    return real_google_settings(settings, authorized_user_file(tmp_path, emulator))


async def _stored_blob(db) -> bytes:
    async with db.engine.connect() as connection:
        return await connection.scalar(text("SELECT encrypted_credentials FROM oauth_tokens"))


async def test_refreshed_token_stored_encrypted(db, google_settings, emulator, tmp_path):
    store = TokenStore.from_settings(google_settings)
    store.replace({"type": "authorized_user", "refresh_token": "emulator-rt-secret-value",
                   "client_id": "c", "client_secret": "s",
                   "token_uri": f"{emulator.url}/token", "scopes": []})
    google = open_google_gateway(google_settings)

    await google.get_file(google_settings.google_template_spreadsheet_id)

    blob = await _stored_blob(db)
    assert b"emulator-rt-secret-value" not in blob
    stored = store.load()
    assert stored.info["refresh_token"] == "emulator-rt-secret-value"
    assert stored.info["token"].startswith("emulator-at-")


async def test_restart_reuses_stored_access_token(db, google_settings, emulator):
    store = TokenStore.from_settings(google_settings)
    store.replace({"type": "authorized_user", "refresh_token": "emulator-rt-kept",
                   "client_id": "c", "client_secret": "s",
                   "token_uri": f"{emulator.url}/token", "scopes": []})
    first = open_google_gateway(google_settings)
    await first.get_file(google_settings.google_template_spreadsheet_id)

    restarted = open_google_gateway(google_settings)
    credentials = restarted._credentials
    await asyncio.to_thread(credentials.refresh, Request())

    assert credentials.token == store.load().info["token"]


async def test_unauthorized_forces_one_refresh_and_retry(google_settings, emulator):
    google = open_google_gateway(google_settings)
    await google.get_file(google_settings.google_template_spreadsheet_id)
    before = _token_calls(emulator)
    emulator.faults.add([FaultRule(service="drive", status=401, count=1, reason="authError")])

    file = await google.get_file(google_settings.google_template_spreadsheet_id)

    assert file["id"] == google_settings.google_template_spreadsheet_id
    assert _token_calls(emulator) == before + 1


async def test_second_unauthorized_is_not_retried_again(google_settings, emulator):
    google = open_google_gateway(google_settings)
    await google.get_file(google_settings.google_template_spreadsheet_id)
    emulator.faults.add([FaultRule(service="drive", status=401, count=2, reason="authError")])

    with pytest.raises(ExternalServiceError) as raised:
        await google.get_file(google_settings.google_template_spreadsheet_id)

    assert raised.value.status == 401


async def test_revoked_refresh_token_remembered(google_settings, emulator, tmp_path):
    google = open_google_gateway(google_settings)
    await google.get_file(google_settings.google_template_spreadsheet_id)
    credentials = google._credentials
    revoke_refresh_token(emulator.store, credentials._inner.refresh_token)

    with pytest.raises(ExternalServiceError) as first:
        await google.get_file(google_settings.google_template_spreadsheet_id)
    calls_after_first = _token_calls(emulator)
    with pytest.raises(ExternalServiceError):
        await google.get_file(google_settings.google_template_spreadsheet_id)

    assert first.value.code == "invalid_grant"
    assert "deme auth google" in str(first.value)
    assert credentials.needs_reauth
    assert _token_calls(emulator) == calls_after_first
