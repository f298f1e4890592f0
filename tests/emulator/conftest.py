"""Fixtures: one in-memory emulator per session, reached through the official SDKs."""

from collections.abc import AsyncIterator, Iterator

import pytest
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
