"""The web form's payload, the normalised inquiry built from it, and the event's time slot."""

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.intake.catalog import MatchMethod

# Separators between options when a form sends them as one string.
_OPTION_SEPARATORS = re.compile(r"[,;\n]+")


class FormPayload(BaseModel):
    """The flat JSON object a caterer's website form posts, as loosely as it comes.

    Every field is optional, so that no business problem rejects a submission. Numbers
    sent in text fields become text, and keys not listed here are kept in
    `model_extra`. `options` may be a list or one string separated by commas,
    semicolons or line breaks.
    """

    model_config = ConfigDict(extra="allow")

    submission_id: str | None = None
    submitted_at: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    event_type: str | None = None
    event_date: str | None = None
    event_time: str | None = None
    address: str | None = None
    guests: int | float | str | None = None
    options: list[str] = Field(default_factory=list)
    message: str | None = None
    hours: str | None = None  # event length in hours, when the form has such a field

    @field_validator(
        "submission_id", "submitted_at", "name", "email", "phone", "event_type",
        "event_date", "event_time", "address", "message", "hours",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _as_text(cls, value: Any) -> str | None:
        return None if value is None else _to_text(value)

    @field_validator("guests", mode="before")
    @classmethod
    def _as_number_or_text(cls, value: Any) -> int | float | str | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return _to_text(value)

    @field_validator("options", mode="before")
    @classmethod
    def _as_option_list(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            texts = _OPTION_SEPARATORS.split(value)
        elif isinstance(value, list):
            texts = [_to_text(option) for option in value if option is not None]
        else:
            texts = [_to_text(value)]
        return [text.strip() for text in texts if text.strip()]


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class RequestedOption(BaseModel):
    """An option the client asked for, with the catalog item it matched."""

    text: str  # as typed, trimmed and with spaces collapsed
    item_id: str | None  # None when nothing in the catalog matches
    quantity: int | None = None  # quantity written with the option ("x 4")
    match: MatchMethod | None = None  # how the item was found (see Catalog.match)


class Inquiry(BaseModel):
    """A client's inquiry with every field normalised, where None marks an unknown value."""

    submission_id: str
    submitted_at: datetime
    client_name: str
    email: str | None
    phone: str | None  # E.164, such as "+33600000001"
    event_type: str  # one of the catalog's event types
    event_date: date | None
    event_time: time | None  # None for an all-day event
    address: str | None
    guests: int | None
    guests_is_estimate: bool = False
    options: list[RequestedOption] = Field(default_factory=list)
    message: str | None = None
    hours: Decimal  # event length in hours of elapsed time
    extra: dict[str, Any] = Field(default_factory=dict)  # form keys deme does not read


class EventSlot(BaseModel):
    """When the event takes place, in the shape Google Calendar expects.

    A timed event has aware datetimes in the caterer's time zone. An all-day event has
    dates, and `end` is the day after the event because the end is exclusive.
    """

    start: datetime | date
    end: datetime | date
    all_day: bool

    @field_validator("start", "end", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: Any) -> Any:
        # Pydantic would read "2027-05-08" as midnight, so a date-only string stays a date.
        if isinstance(value, str) and "T" not in value and " " not in value.strip():
            return date.fromisoformat(value.strip())
        return value

    @classmethod
    def for_event(
        cls, event_date: date, event_time: time | None, hours: Decimal, timezone: str
    ) -> "EventSlot":
        """Build the slot of an event starting at `event_time`, or all-day if None.

        A timed event lasts `hours` of elapsed time. The end is computed in UTC, so an
        event across a daylight-saving change ends at the right local time. A start
        inside the spring-forward gap (02:30 on the last Sunday of March in Paris) is
        moved forward by the gap, as the wall clock would be.
        """
        if event_time is None:
            return cls(start=event_date, end=event_date + timedelta(days=1), all_day=True)
        zone = ZoneInfo(timezone)
        start_local = datetime.combine(event_date, event_time, tzinfo=zone)
        start_utc = start_local.astimezone(UTC)
        minutes = (hours * 60).to_integral_value(rounding=ROUND_HALF_UP)
        length = timedelta(minutes=int(minutes))
        return cls(
            start=start_utc.astimezone(zone),
            end=(start_utc + length).astimezone(zone),
            all_day=False,
        )
