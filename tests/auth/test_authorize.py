"""`deme auth google`: the installed-app flow against the emulator, and runs resumed after it."""

import threading
import urllib.request
import webbrowser
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from sqlalchemy import update

from backend.db.models import Run, RunStatus
from backend.graph.submissions import accept_submission
from backend.integrations.google_auth import TokenStore
from backend.runtime import open_runtime
from backend.setup.authorize import authorize

from .google_helpers import authorized_user_file, installed_client_file, real_google_settings

pytestmark = pytest.mark.usefixtures("db")


class ConsentingBrowser(webbrowser.BaseBrowser):
    """Stands in for the person: "opens" the consent page and is redirected with a code."""

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        query = parse_qs(urlparse(url).query)
        redirect = query["redirect_uri"][0]
        answer = urlencode({"code": "consent-code", "state": query["state"][0]})
        threading.Thread(target=lambda: urllib.request.urlopen(f"{redirect}?{answer}")).start()
        return True


@pytest.fixture
def consenting_browser():
    previous = list(webbrowser._tryorder or [])
    webbrowser.register("deme-consent", None, ConsentingBrowser("deme-consent"), preferred=True)
    yield
    webbrowser._tryorder = previous


async def test_installed_app_flow_stores_refresh_token(
    settings, emulator, tmp_path, consenting_browser, monkeypatch
):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    google_settings = real_google_settings(settings, installed_client_file(tmp_path, emulator))

    result = authorize(google_settings, prompt_message="")

    stored = TokenStore.from_settings(google_settings).load()
    assert result.kind == "authorized_user"
    assert stored.info["refresh_token"].startswith("emulator-rt-")
    assert stored.generation == 1
    assert stored.revoked is None


async def test_client_file_without_consent_parks_runs(settings, emulator, tmp_path):
    google_settings = real_google_settings(settings, installed_client_file(tmp_path, emulator))
    from pipeline.helpers import run_payload, sample

    async with open_runtime(google_settings) as runtime:
        result = await run_payload(runtime, sample("wedding-lyon"))

    assert result["status"] == "needs_reauth"
    assert "deme auth google" in result["errors"][0]["message"]


async def test_auth_requeues_waiting_runs(settings, emulator, tmp_path, db):
    google_settings = real_google_settings(settings, authorized_user_file(tmp_path, emulator))
    async with open_runtime(google_settings) as runtime:
        accepted = await accept_submission(
            runtime.db, runtime.catalog, raw_body=b'{"submission_id": "parked", "name": "A"}',
            content_type="application/json",
        )
    async with db.session() as session:
        await session.execute(
            update(Run).where(Run.id == accepted.run_id).values(status=RunStatus.NEEDS_REAUTH)
        )
        await session.commit()

    result = authorize(google_settings)

    async with db.session() as session:
        run = await session.get(Run, accepted.run_id)
    assert result.runs_requeued == [str(accepted.run_id)]
    assert run.status == RunStatus.QUEUED
