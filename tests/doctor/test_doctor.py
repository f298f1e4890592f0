"""`deme doctor` on the emulator: Google credentials, template, pool, JSON output."""

import json

import httpx
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from backend.app import create_app
from backend.cli import app as cli_app
from backend.db.models import Run, RunStatus
from backend.doctor import exit_code, run_doctor
from backend.emulator import bootstrap
from backend.emulator.oauth import revoke_refresh_token
from backend.graph.submissions import accept_submission
from backend.integrations.google_auth import REAUTH_FIX

pytestmark = pytest.mark.usefixtures("db", "restore_logging")

def _by_name(checks) -> dict:
    return {check.name: check for check in checks}


@pytest.fixture
def google_settings(settings, emulator, tmp_path):
    from auth.google_helpers import authorized_user_file, real_google_settings

    return real_google_settings(settings, authorized_user_file(tmp_path, emulator))


async def test_doctor_passes_on_emulator(settings):
    checks = await run_doctor(settings)

    assert exit_code(checks) == 0
    assert {check.status for check in checks} <= {"ok", "warn", "skip"}


async def test_doctor_shows_reauth_fix(google_settings, emulator):
    info = json.loads(google_settings.google_credentials_file.read_text())
    revoke_refresh_token(emulator.store, info["refresh_token"])

    checks = _by_name(await run_doctor(google_settings))

    assert checks["google credentials"].status == "fail"
    assert "invalid_grant" in checks["google credentials"].detail
    assert checks["google credentials"].fix == REAUTH_FIX


async def test_doctor_names_missing_named_range(settings, emulator):
    spreadsheet = emulator.store.get("spreadsheet", bootstrap.TEMPLATE_SPREADSHEET_ID)
    spreadsheet["namedRanges"] = [
        item for item in spreadsheet["namedRanges"] if item["name"] != "client_email"
    ]
    emulator.store.put("spreadsheet", bootstrap.TEMPLATE_SPREADSHEET_ID, spreadsheet)

    checks = await run_doctor(settings)

    template = _by_name(checks)["quote template"]
    assert template.status == "fail"
    assert "client_email" in template.detail
    assert exit_code(checks) == 1


async def test_doctor_warns_on_low_pool(settings):
    checks = _by_name(await run_doctor(settings))

    assert checks["template pool"].status == "warn"
    assert "deme pool refill" in checks["template pool"].fix


def test_doctor_json_output(settings, monkeypatch):
    for name, value in {
        "DATA_DIR": str(settings.data_dir),
        "EMULATOR_URL": settings.emulator_url,
        "TEMPLATE_POOL_TARGET": "0",
    }.items():
        monkeypatch.setenv(name, value)
    from backend.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["doctor", "--json"])
    finally:
        get_settings.cache_clear()

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert document["ok"] is True
    assert [check["name"] for check in document["checks"]][:2] == ["database", "pgvector"]


async def test_health_reports_needs_reauth(google_settings, db):
    app = create_app(google_settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        accepted = await accept_submission(
            runtime.db, runtime.catalog, raw_body=b'{"submission_id": "h1", "name": "A"}',
            content_type="application/json",
        )
        await app.state.worker.stop()
        async with db.session() as session:
            await session.execute(
                update(Run).where(Run.id == accepted.run_id)
                .values(status=RunStatus.NEEDS_REAUTH)
            )
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "needs_reauth"
    assert body["google_auth"]["runs_waiting"] == 1
    assert body["google_auth"]["fix"] == REAUTH_FIX
