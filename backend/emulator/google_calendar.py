"""Calendar v3 routes: events insert, get, patch, update, delete and list."""

import html
import re
import secrets
import time
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from backend.emulator.clock import iso_millis
from backend.emulator.errors import GoogleError, bad_request
from backend.emulator.google_common import base_url, google_body, routes_under, store_of
from backend.emulator.store import Store

log = structlog.get_logger(__name__)

API = "calendar.v3"
# Client-supplied event ids: base32hex digits (lowercase a-v and 0-9), 5 to 1024 long.
EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
LIST_MAX_RESULTS = 2500


def _calendar(store: Store, calendar_id: str) -> dict[str, Any]:
    calendar = store.get("calendar", calendar_id)
    if calendar is None:
        raise GoogleError(404, "Not Found", reason="notFound")
    return calendar


def _key(calendar: dict[str, Any], event_id: str) -> str:
    return f"{calendar['id']}/{event_id}"


def _etag() -> str:
    return f'"{time.time_ns() // 1000}"'


def html_link(base: str, event_id: str) -> str:
    return f"{base}/calendar/event?eid={event_id}"


def render_event(event: dict[str, Any], base: str) -> dict[str, Any]:
    return {**event, "htmlLink": html_link(base, event["id"])}


def _moment(value: Any, label: str, calendar_zone: str) -> tuple[str, datetime]:
    """Return ("date" or "dateTime", start of the moment in UTC); raise 400 like Calendar."""
    if not isinstance(value, dict) or not (value.get("date") or value.get("dateTime")):
        raise bad_request(f"Missing {label} time.")
    zone_name = value.get("timeZone")
    zone = None
    if zone_name:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise bad_request(f"Invalid time zone definition for {label} time.") from error
    if value.get("dateTime"):
        try:
            moment = datetime.fromisoformat(value["dateTime"])
        except ValueError as error:
            raise bad_request(f"Invalid {label} time.") from error
        if moment.tzinfo is None:
            if zone is None:
                raise bad_request(f"Missing time zone definition for {label} time.")
            moment = moment.replace(tzinfo=zone)
        return "dateTime", moment.astimezone(UTC)
    try:
        day = date.fromisoformat(value["date"])
    except ValueError as error:
        raise bad_request(f"Invalid {label} time.") from error
    local = datetime(day.year, day.month, day.day, tzinfo=zone or ZoneInfo(calendar_zone))
    return "date", local.astimezone(UTC)


def _check_times(event: dict[str, Any], calendar: dict[str, Any]) -> None:
    start_kind, start = _moment(event.get("start"), "start", calendar["timeZone"])
    end_kind, end = _moment(event.get("end"), "end", calendar["timeZone"])
    if start_kind != end_kind:
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    if end < start or (start_kind == "date" and end == start):
        raise GoogleError(400, "The specified time range is empty.", reason="timeRangeEmpty")


def _new_event_id() -> str:
    return "".join(secrets.choice(BASE32HEX) for _ in range(26))


async def events_insert(request: Request) -> Response:
    body = await google_body(request, API, "events.insert")
    store = store_of(request)
    event_id = body.get("id") or _new_event_id()
    if not isinstance(event_id, str) or not EVENT_ID.match(event_id):
        raise GoogleError(400, "Invalid resource id value.", reason="invalid")
    with store.transaction():
        calendar = _calendar(store, request.path_params["calendarId"])
        if store.get("calendar_event", _key(calendar, event_id)) is not None:
            raise GoogleError(409, "The requested identifier already exists.", reason="duplicate")
        _check_times(body, calendar)
        stamp = iso_millis()
        owner = {"email": calendar["id"], "self": True}
        event = {
            "kind": "calendar#event",
            "etag": _etag(),
            **body,
            "id": event_id,
            "status": body.get("status") or "confirmed",
            "created": stamp,
            "updated": stamp,
            "creator": owner,
            "organizer": {**owner, "displayName": calendar.get("summary")},
            "iCalUID": body.get("iCalUID") or f"{event_id}@google.com",
            "sequence": body.get("sequence", 0),
            "reminders": body.get("reminders") or {"useDefault": True},
            "eventType": body.get("eventType") or "default",
        }
        store.put("calendar_event", _key(calendar, event_id), {"event": event}, calendar["id"])
    log.info("emulator.calendar.event_inserted", calendar_id=calendar["id"], event_id=event_id)
    return JSONResponse(render_event(event, base_url(request)))


def _stored_event(store: Store, calendar: dict[str, Any], event_id: str) -> dict[str, Any]:
    doc = store.get("calendar_event", _key(calendar, event_id))
    if doc is None:
        raise GoogleError(404, "Not Found", reason="notFound")
    return doc["event"]


async def events_get(request: Request) -> Response:
    store = store_of(request)
    calendar = _calendar(store, request.path_params["calendarId"])
    event = _stored_event(store, calendar, request.path_params["eventId"])
    return JSONResponse(render_event(event, base_url(request)))


async def _change(request: Request, method_id: str, replace: bool) -> Response:
    body = await google_body(request, API, method_id)
    store = store_of(request)
    event_id = request.path_params["eventId"]
    with store.transaction():
        calendar = _calendar(store, request.path_params["calendarId"])
        event = _stored_event(store, calendar, event_id)
        kept = {
            key: event[key]
            for key in ("kind", "id", "created", "creator", "organizer", "iCalUID", "eventType")
        }
        changed = {**kept, **body} if replace else {**event, **body}
        changed["id"] = event_id
        _check_times(changed, calendar)
        changed["status"] = body.get("status") or (
            "confirmed" if replace else event.get("status", "confirmed")
        )
        changed["sequence"] = event.get("sequence", 0) + 1
        changed["updated"] = iso_millis()
        changed["etag"] = _etag()
        store.put("calendar_event", _key(calendar, event_id), {"event": changed}, calendar["id"])
    log.info("emulator.calendar.event_changed", event_id=event_id, method=method_id)
    return JSONResponse(render_event(changed, base_url(request)))


async def events_patch(request: Request) -> Response:
    return await _change(request, "events.patch", replace=False)


async def events_update(request: Request) -> Response:
    return await _change(request, "events.update", replace=True)


async def events_delete(request: Request) -> Response:
    store = store_of(request)
    event_id = request.path_params["eventId"]
    with store.transaction():
        calendar = _calendar(store, request.path_params["calendarId"])
        event = _stored_event(store, calendar, event_id)
        if event.get("status") == "cancelled":
            raise GoogleError(410, "Resource has been deleted", reason="deleted")
        # A deleted event keeps its id (status cancelled), so inserting it again gives 409.
        event.update(status="cancelled", updated=iso_millis(), etag=_etag())
        store.put("calendar_event", _key(calendar, event_id), {"event": event}, calendar["id"])
    log.info("emulator.calendar.event_deleted", event_id=event_id)
    return Response(status_code=204)


def _bound(request: Request, name: str) -> datetime | None:
    text = request.query_params.get(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise bad_request(f"Invalid value for {name}: {text}; expected RFC3339.") from error
    if moment.tzinfo is None:
        raise bad_request(f"Invalid value for {name}: {text}; a time zone offset is required.")
    return moment


def _matches_text(event: dict[str, Any], query: str) -> bool:
    haystack = " ".join(
        str(event.get(key, "")) for key in ("summary", "description", "location")
    ).casefold()
    return all(word in haystack for word in query.casefold().split())


async def events_list(request: Request) -> Response:
    store = store_of(request)
    calendar = _calendar(store, request.path_params["calendarId"])
    params = request.query_params
    time_min = _bound(request, "timeMin")
    time_max = _bound(request, "timeMax")
    show_deleted = params.get("showDeleted") == "true"
    private = [item.partition("=") for item in params.getlist("privateExtendedProperty")]

    selected = []
    for doc in store.documents("calendar_event", parent=calendar["id"]):
        event = doc["event"]
        if event.get("status") == "cancelled" and not show_deleted:
            continue
        _, start = _moment(event["start"], "start", calendar["timeZone"])
        _, end = _moment(event["end"], "end", calendar["timeZone"])
        if time_min is not None and end <= time_min:
            continue
        if time_max is not None and start >= time_max:
            continue
        if params.get("q") and not _matches_text(event, params["q"]):
            continue
        if params.get("iCalUID") and event.get("iCalUID") != params["iCalUID"]:
            continue
        stored_private = event.get("extendedProperties", {}).get("private", {})
        if any(stored_private.get(key) != value for key, _, value in private):
            continue
        selected.append((start, event))

    selected.sort(key=lambda item: item[0])
    limit = min(int(params.get("maxResults", LIST_MAX_RESULTS)), LIST_MAX_RESULTS)
    offset = int(params.get("pageToken", "0"))
    chunk = selected[offset : offset + limit]
    base = base_url(request)
    result: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": _etag(),
        "summary": calendar.get("summary"),
        "updated": iso_millis(),
        "timeZone": calendar["timeZone"],
        "accessRole": "owner",
        "defaultReminders": [],
        "items": [render_event(event, base) for _, event in chunk],
    }
    if offset + limit < len(selected):
        result["nextPageToken"] = str(offset + limit)
    return JSONResponse(result)


async def event_view(request: Request) -> Response:
    """Serve a small HTML view of an event, for a person following `htmlLink`."""
    event_id = request.query_params.get("eid", "")
    for doc in store_of(request).documents("calendar_event"):
        event = doc["event"]
        if event["id"] == event_id:
            start = event["start"].get("dateTime") or event["start"].get("date")
            end = event["end"].get("dateTime") or event["end"].get("date")
            fields = [
                ("Début", start),
                ("Fin", end),
                ("Lieu", event.get("location", "")),
                ("Statut", event.get("status", "")),
                ("Description", event.get("description", "")),
            ]
            rows = "".join(
                f"<tr><th>{name}</th><td>{html.escape(str(value))}</td></tr>"
                for name, value in fields
            )
            title = html.escape(event.get("summary", "(sans titre)"))
            return HTMLResponse(
                f"<!doctype html><meta charset=utf-8><h1>{title}</h1><table>{rows}</table>"
            )
    return HTMLResponse("<h1>Event not found</h1>", status_code=404)


ROUTES = [
    *routes_under(
        ("/calendar/v3/calendars/{calendarId}/events",),
        [
            ("", events_list, ["GET"]),
            ("", events_insert, ["POST"]),
            ("/{eventId}", events_get, ["GET"]),
            ("/{eventId}", events_patch, ["PATCH"]),
            ("/{eventId}", events_update, ["PUT"]),
            ("/{eventId}", events_delete, ["DELETE"]),
        ],
    ),
    Route("/calendar/event", event_view, methods=["GET"]),
]
