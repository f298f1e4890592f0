"""ASGI middleware in front of every API route: auth, latency, faults, stats and logging."""

import asyncio
import json
import math
import time
from collections.abc import Callable
from typing import Any

import structlog
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.emulator.errors import GoogleError, NotionError, new_request_id
from backend.emulator.faults import Fault, FaultInjector
from backend.emulator.latency import LatencyProfile
from backend.emulator.oauth import access_token_revoked
from backend.emulator.stats import EmulatorStats

log = structlog.get_logger(__name__)

# Path prefixes of each service. Sheets and Gmail are served both at Google's own
# paths (`/v4/...`, `/gmail/v1/...`) and under `/sheets/v4/` and `/gmail/v1/`,
# because the discovery paths of those two APIs repeat the version after the endpoint.
SERVICE_PREFIXES = (
    ("/v1/", "notion"),
    ("/drive/v3/", "drive"),
    ("/sheets/v4/", "sheets"),
    ("/v4/spreadsheets", "sheets"),
    ("/calendar/v3/", "calendar"),
    ("/gmail/v1/", "gmail"),
    ("/token", "oauth"),
    ("/revoke", "oauth"),
    ("/oauth2/", "oauth"),
)

GOOGLE_SERVICES = frozenset({"drive", "sheets", "calendar", "gmail"})


def service_for_path(path: str) -> str | None:
    """Return the emulated service a path belongs to (None for inspection and HTML views)."""
    for prefix, service in SERVICE_PREFIXES:
        if path.startswith(prefix):
            return service
    return None


def _bearer(headers: Headers) -> str:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def check_auth(service: str, headers: Headers) -> Response | None:
    """Return the error response for a call without the headers the real API requires."""
    if service == "notion":
        if not _bearer(headers):
            return NotionError(401, "unauthorized", "API token is invalid.").response()
        if not headers.get("notion-version"):
            return NotionError(
                400,
                "missing_version",
                "Notion-Version header failed validation: Notion-Version header should be "
                "defined, instead was `undefined`.",
            ).response()
    elif service in GOOGLE_SERVICES and not _bearer(headers):
        return GoogleError(
            401,
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential.",
            reason="required",
            location="Authorization",
            location_type="header",
        ).response()
    return None


def _revoked_token(scope: Scope, service: str, headers: Headers) -> Response | None:
    """Return 401 for an access token whose refresh token was revoked, as Google does."""
    app = scope.get("app")
    store = getattr(getattr(app, "state", None), "store", None)
    if service not in GOOGLE_SERVICES or store is None:
        return None
    if not access_token_revoked(store, _bearer(headers)):
        return None
    return GoogleError(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
        reason="authError",
        location="Authorization",
        location_type="header",
    ).response()


def _retry_after_header(seconds: float) -> str:
    # HTTP allows only whole seconds; notion-client and googleapiclient parse an integer.
    return str(int(math.ceil(seconds)))


def fault_response(service: str, fault: Fault) -> Response:
    rule = fault.rule
    headers = {}
    if rule.retry_after is not None:
        headers["Retry-After"] = _retry_after_header(rule.retry_after)
    if rule.body is not None:
        return JSONResponse(rule.body, status_code=fault.status, headers=headers)
    if service == "notion":
        return NotionError(fault.status, message=rule.message, headers=headers).response()
    if service == "oauth":
        body = {
            "error": "invalid_grant",
            "error_description": rule.message or "Token has been expired or revoked.",
        }
        return JSONResponse(body, status_code=fault.status, headers=headers)
    error = GoogleError(fault.status, rule.message, reason=rule.reason, headers=headers)
    return error.response()


class EmulatorMiddleware:
    """Apply auth checks, latency and faults before a call reaches its route, then count it."""

    def __init__(
        self,
        app: ASGIApp,
        latency: LatencyProfile,
        faults: FaultInjector,
        stats: EmulatorStats,
    ) -> None:
        self.app = app
        self.latency = latency
        self.faults = faults
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        service = service_for_path(scope["path"])
        if service is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        path = scope["path"]
        scope.setdefault("state", {})["request_id"] = new_request_id()
        latency_ms = 0.0
        fault: Fault | None = None

        def record(status: int) -> None:
            # Runs before the last body chunk goes out, so a client that reads the
            # response already finds its call in the stats.
            operation = _operation_name(scope)
            duration_ms = (time.perf_counter() - started) * 1000.0
            self.stats.record(
                service,
                operation,
                method,
                path,
                status,
                duration_ms,
                latency_ms=latency_ms,
                fault=fault is not None,
            )
            log.debug(
                "emulator.request",
                service=service,
                operation=operation,
                method=method,
                path=path,
                status=status,
                duration_ms=round(duration_ms, 1),
            )

        outcome = _Outcome(send, on_complete=record)
        headers = Headers(scope=scope)
        denied = check_auth(service, headers) or _revoked_token(scope, service, headers)
        if denied is not None:
            await denied(scope, receive, outcome.send)
            return
        delay = self.latency.delay_seconds(service)
        if delay > 0:
            latency_ms = delay * 1000.0
            self.stats.add_latency(service, latency_ms)
            await asyncio.sleep(delay)
        fault = self.faults.draw(service, method, path)
        await self._answer(scope, receive, outcome, service, fault)

    async def _answer(
        self, scope: Scope, receive: Receive, outcome: "_Outcome", service: str, fault: Fault | None
    ) -> None:
        if fault is None:
            await self.app(scope, receive, outcome.send)
            return
        if fault.rule.kind == "timeout":
            await self.faults.hold(fault.rule.delay_seconds)
        if not fault.rule.after_commit:
            await fault_response(service, fault)(scope, receive, outcome.send)
            return
        # The call changes the state and the client gets the fault instead of the result.
        # A call that failed by itself changed nothing, so its real error goes out.
        buffered = _Outcome(None)
        await self.app(scope, receive, buffered.send)
        if buffered.status >= 400:
            await buffered.replay(outcome.send)
        else:
            await fault_response(service, fault)(scope, receive, outcome.send)


class _Outcome:
    """Capture the status of a response, and optionally buffer its messages."""

    def __init__(self, send: Send | None, on_complete: Callable[[int], None] | None = None) -> None:
        self._send = send
        self._on_complete = on_complete
        self.status = 500
        self.messages: list[Message] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        last = message["type"] == "http.response.body" and not message.get("more_body", False)
        if last and self._on_complete is not None:
            self._on_complete(self.status)
        if self._send is None:
            self.messages.append(message)
        else:
            await self._send(message)

    async def replay(self, send: Send) -> None:
        for message in self.messages:
            await send(message)


def _operation_name(scope: Scope) -> str:
    endpoint: Any = scope.get("endpoint")
    return getattr(endpoint, "__name__", "unknown")


def parse_json(request_body: bytes, service: str) -> Any:
    """Parse a JSON request body, raising the service's invalid-JSON error."""
    if not request_body:
        return {}
    try:
        return json.loads(request_body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        if service == "notion":
            raise NotionError(400, "invalid_json", "Error parsing JSON body.") from error
        raise GoogleError(
            400, f"Invalid JSON payload received. {error.msg}.", reason="parseError"
        ) from error
