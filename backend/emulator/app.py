"""The emulator's ASGI application: Notion and Google routes behind auth, latency and faults."""

from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from backend.config import Settings
from backend.emulator import (
    google_calendar,
    google_drive,
    google_gmail,
    google_sheets,
    google_sheets_batch,
    inspection,
    notion,
    oauth,
)
from backend.emulator.bootstrap import bootstrap
from backend.emulator.errors import GoogleError, NotionError
from backend.emulator.faults import FaultInjector
from backend.emulator.latency import LatencyProfile
from backend.emulator.middleware import GOOGLE_SERVICES, EmulatorMiddleware, service_for_path
from backend.emulator.stats import EmulatorStats
from backend.emulator.store import Store

log = structlog.get_logger(__name__)


def _google_routes() -> list[BaseRoute]:
    return [
        *oauth.ROUTES,
        *google_drive.ROUTES,
        *google_sheets_batch.ROUTES,
        *google_sheets.ROUTES,
        *google_calendar.ROUTES,
        *google_gmail.ROUTES,
    ]


def _request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


async def _notion_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, NotionError)
    return error.response(_request_id(request))


async def _google_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, GoogleError)
    return error.response()


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    service = service_for_path(request.url.path)
    if service == "notion":
        message = f"Invalid request URL: {request.method} {request.url.path}"
        return NotionError(400, "invalid_request_url", message).response(_request_id(request))
    if service in GOOGLE_SERVICES:
        return GoogleError(error.status_code, error.detail).response()
    return PlainTextResponse(error.detail, status_code=error.status_code)


async def _internal_error(request: Request, error: Exception) -> Response:
    log.exception("emulator.internal_error", path=request.url.path, method=request.method)
    service = service_for_path(request.url.path)
    if service == "notion":
        return NotionError(500).response(_request_id(request))
    return GoogleError(500, f"Emulator error: {error}").response()


def create_app(
    store: Store,
    latency: LatencyProfile | None = None,
    faults: FaultInjector | None = None,
    settings: Settings | None = None,
    stats: EmulatorStats | None = None,
) -> Starlette:
    """Build the app over a store, bootstrapping deme's workspace into it if it is empty."""
    latency = latency or LatencyProfile.none()
    faults = faults or FaultInjector.none()
    stats = stats or EmulatorStats()
    bootstrap(store, settings)
    handlers: dict[Any, Any] = {
        NotionError: _notion_error,
        GoogleError: _google_error,
        HTTPException: _http_error,
        Exception: _internal_error,
    }
    app = Starlette(
        routes=[*notion.ROUTES, *_google_routes(), *inspection.ROUTES],
        middleware=[Middleware(EmulatorMiddleware, latency=latency, faults=faults, stats=stats)],
        exception_handlers=handlers,
    )
    app.state.store = store
    app.state.latency = latency
    app.state.faults = faults
    app.state.stats = stats
    app.state.settings = settings or Settings()
    return app
