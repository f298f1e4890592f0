"""Fixtures for API tests: the FastAPI app with its lifespan running, called in process."""

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from backend.app import create_app
from backend.config import Settings
from backend.db.session import Database

from .helpers import API_TOKEN, MAX_BODY_BYTES


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"api_token": SecretStr(API_TOKEN), "max_body_bytes": MAX_BODY_BYTES}
    )


@pytest.fixture
async def client(db: Database, api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client of an app whose lifespan (runtime and in-process worker) is running."""
    app = create_app(api_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
