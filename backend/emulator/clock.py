"""Timestamps in the formats the emulated APIs return."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso_millis(moment: datetime | None = None) -> str:
    """Return an RFC 3339 UTC time with milliseconds, like `2026-06-12T17:00:00.000Z`."""
    moment = moment or now()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )
