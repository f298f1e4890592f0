"""Calendar events: one per submission, with an id derived from it.

Google Calendar accepts a client-chosen event id (base32hex: 0-9 and a-v, 5 to 1024
characters) and answers 409 when it already exists, so a re-executed step finds its
event instead of creating a second one.
"""

import hashlib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import structlog

from backend.errors import ExternalServiceError
from backend.integrations.workspace import Workspace

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class EventRecord:
    """A calendar event and whether this call created it."""

    event_id: str
    url: str
    start: str
    end: str
    all_day: bool
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def event_id_for(submission_id: str) -> str:
    """Return a valid Calendar event id for the submission (hex digits are base32hex)."""
    return "deme" + hashlib.sha256(submission_id.encode("utf-8")).hexdigest()[:40]


def _when(value: datetime | date, timezone: str) -> dict[str, str]:
    if isinstance(value, datetime):
        return {"dateTime": value.isoformat(), "timeZone": timezone}
    return {"date": value.isoformat()}


async def create_event(
    workspace: Workspace,
    *,
    submission_id: str,
    summary: str,
    description: str,
    location: str | None,
    start: datetime | date,
    end: datetime | date,
) -> EventRecord:
    """Insert the event, or return the one an earlier execution inserted."""
    event_id = event_id_for(submission_id)
    body: dict[str, Any] = {
        "id": event_id,
        "summary": summary,
        "description": description,
        "start": _when(start, workspace.timezone),
        "end": _when(end, workspace.timezone),
    }
    if location:
        body["location"] = location
    try:
        event = await workspace.google.insert_event(workspace.calendar_id, body)
        created = True
        log.info("calendar_event.created", event_id=event_id)
    except ExternalServiceError as exc:
        if exc.status != 409:
            raise
        event = await workspace.google.get_event(workspace.calendar_id, event_id)
        created = False
        log.info("calendar_event.found", event_id=event_id, event_status=event.get("status"))
    return EventRecord(
        event_id=event["id"],
        url=event.get("htmlLink", ""),
        start=start.isoformat(),
        end=end.isoformat(),
        all_day=not isinstance(start, datetime),
        created=created,
    )
