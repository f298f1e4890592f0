"""`/_emulator/...` routes: what was written, call statistics, faults and latency at run time."""

from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from backend.emulator.faults import FaultRule
from backend.emulator.latency import LatencyProfile
from backend.emulator.store import Store

log = structlog.get_logger(__name__)

STATE_KINDS = (
    "notion_database",
    "notion_data_source",
    "notion_page",
    "drive_file",
    "spreadsheet",
    "calendar_event",
    "gmail_message",
)


def _store(request: Request) -> Store:
    return request.app.state.store


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def state(request: Request) -> Response:
    store = _store(request)
    return JSONResponse({kind: store.count(kind) for kind in STATE_KINDS})


async def stats(request: Request) -> Response:
    return JSONResponse(request.app.state.stats.snapshot())


async def stats_reset(request: Request) -> Response:
    request.app.state.stats.reset()
    return JSONResponse(request.app.state.stats.snapshot())


async def requests_log(request: Request) -> Response:
    limit = int(request.query_params.get("limit", "200"))
    return JSONResponse(request.app.state.stats.log_json(limit))


async def faults_list(request: Request) -> Response:
    return JSONResponse({"rules": request.app.state.faults.rules()})


async def faults_add(request: Request) -> Response:
    """Add rules: one rule object, a list of them, or `{"rules": [...]}`."""
    try:
        body: Any = await request.json()
    except ValueError:
        return _error(400, "invalid JSON body; send a fault rule object or a list of them")
    if isinstance(body, dict) and "rules" in body:
        body = body["rules"]
    items = body if isinstance(body, list) else [body]
    try:
        rules = [FaultRule.from_json(item) for item in items]
    except (TypeError, ValueError) as error:
        log.warning("emulator.faults.invalid_rule", error=str(error))
        return _error(400, f"invalid fault rule: {error}")
    request.app.state.faults.add(rules)
    return JSONResponse({"rules": request.app.state.faults.rules()})


async def faults_clear(request: Request) -> Response:
    request.app.state.faults.clear()
    return JSONResponse({"rules": []})


async def latency_set(request: Request) -> Response:
    """Replace the latency profile: body `"realistic"`, `"none"` or `{"notion": 350, ...}`."""
    body = (await request.body()).decode() or "none"
    try:
        spec = body if body.lstrip().startswith("{") else body.strip().strip('"')
        request.app.state.latency.update(LatencyProfile.parse(spec))
    except ValueError as error:
        return _error(400, str(error))
    return JSONResponse({"latency_ms": request.app.state.latency.per_service_ms})


async def notion_pages(request: Request) -> Response:
    source_id = request.query_params.get("data_source_id")
    trashed = request.query_params.get("include_trashed") == "true"
    return JSONResponse(_store(request).notion_pages(source_id, include_trashed=trashed))


async def sheet_values(request: Request) -> Response:
    spreadsheet_id = request.path_params["spreadsheet_id"]
    tab = request.query_params.get("tab", "Devis")
    try:
        values = _store(request).sheet_values(spreadsheet_id, tab)
    except KeyError as error:
        return _error(404, str(error.args[0]))
    return JSONResponse({"spreadsheetId": spreadsheet_id, "tab": tab, "values": values})


async def sheet_csv(request: Request) -> Response:
    spreadsheet_id = request.path_params["spreadsheet_id"]
    tab = request.query_params.get("tab", "Devis")
    try:
        text = _store(request).sheet_as_csv(spreadsheet_id, tab)
    except KeyError as error:
        return _error(404, str(error.args[0]))
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8")


async def calendar_events(request: Request) -> Response:
    calendar_id = request.query_params.get("calendar_id", "primary")
    cancelled = request.query_params.get("include_cancelled") == "true"
    return JSONResponse(_store(request).calendar_events(calendar_id, cancelled))


async def gmail_messages(request: Request) -> Response:
    messages = _store(request).sent_messages()
    return JSONResponse(
        [
            {
                "id": message.id,
                "threadId": message.thread_id,
                "messageId": message.message_id,
                "subject": message.subject,
                "from": message.sender,
                "to": message.to,
                "cc": message.cc,
                "text": message.text,
                "html": message.html,
            }
            for message in messages
        ]
    )


async def gmail_eml(request: Request) -> Response:
    message_id = request.path_params["message_id"]
    for message in _store(request).sent_messages():
        if message.id == message_id:
            return Response(message.as_eml(), media_type="message/rfc822")
    return _error(404, f"no sent message {message_id!r}")


ROUTES = [
    Route("/_emulator/health", health, methods=["GET"]),
    Route("/_emulator/state", state, methods=["GET"]),
    Route("/_emulator/stats", stats, methods=["GET"]),
    Route("/_emulator/stats", stats_reset, methods=["DELETE"]),
    Route("/_emulator/requests", requests_log, methods=["GET"]),
    Route("/_emulator/faults", faults_list, methods=["GET"]),
    Route("/_emulator/faults", faults_add, methods=["POST"]),
    Route("/_emulator/faults", faults_clear, methods=["DELETE"]),
    Route("/_emulator/latency", latency_set, methods=["PUT"]),
    Route("/_emulator/notion/pages", notion_pages, methods=["GET"]),
    Route("/_emulator/sheets/{spreadsheet_id}/values", sheet_values, methods=["GET"]),
    Route("/_emulator/sheets/{spreadsheet_id}/csv", sheet_csv, methods=["GET"]),
    Route("/_emulator/calendar/events", calendar_events, methods=["GET"]),
    Route("/_emulator/gmail/messages", gmail_messages, methods=["GET"]),
    Route("/_emulator/gmail/messages/{message_id}.eml", gmail_eml, methods=["GET"]),
]
