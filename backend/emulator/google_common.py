"""Helpers shared by the Google routes: body parsing, base URL and route prefixes."""

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from backend.emulator.discovery import validate_body
from backend.emulator.errors import GoogleError
from backend.emulator.middleware import parse_json
from backend.emulator.store import Store


def store_of(request: Request) -> Store:
    return request.app.state.store


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def google_body(request: Request, api: str, method_id: str) -> dict[str, Any]:
    """Parse a JSON body and validate it against the API's discovery document."""
    body = parse_json(await request.body(), "google")
    if not isinstance(body, dict):
        raise GoogleError(400, "Invalid JSON payload received. Expected an object.")
    validate_body(api, method_id, body)
    return body


def routes_under(
    prefixes: tuple[str, ...],
    endpoints: list[tuple[str, Callable[..., Any], list[str]]],
) -> list[Route]:
    """Register each `(path, endpoint, methods)` under every prefix."""
    return [
        Route(prefix + path, endpoint, methods=methods)
        for prefix in prefixes
        for path, endpoint, methods in endpoints
    ]
