"""Fixtures: one in-memory emulator per session, reached through the official SDKs."""

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httplib2
import pytest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from notion_client import AsyncClient

from backend.emulator import RunningEmulator, start_emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator() as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_left(emulator: RunningEmulator) -> Iterator[None]:
    yield
    emulator.faults.clear()


@pytest.fixture
async def notion(emulator: RunningEmulator) -> AsyncIterator[AsyncClient]:
    client = AsyncClient(auth="emulator-token", base_url=emulator.url, retry=False)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def google(emulator: RunningEmulator) -> Callable[[str, str], Any]:
    """Build a Google API client (drive v3, sheets v4...) that calls the emulator."""

    def build_client(name: str, version: str) -> Any:
        credentials = Credentials(token="emulator-token")
        http = AuthorizedHttp(credentials, http=httplib2.Http(timeout=10))
        return build(
            name,
            version,
            static_discovery=True,
            client_options={"api_endpoint": f"{emulator.url}/{name}/{version}/"},
            http=http,
        )

    return build_client
