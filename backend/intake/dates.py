"""Event dates, times and lengths as clients type them, in French or English."""

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from backend.intake.problems import Problem
from backend.intake.text import fold

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3, "mar": 3,
    "avril": 4, "avr": 4, "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juin": 6, "june": 6, "jun": 6,
    "juillet": 7, "juil": 7, "july": 7, "jul": 7,
    "aout": 8, "august": 8, "aug": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip

# Weekday names mapped to date.weekday() numbers (Monday is 0).
WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5,
    "dimanche": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
    "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_ENGLISH_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Longest alternatives first, so "juillet" is not read as "juil" followed by "let".
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(WEEKDAYS)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
_DAY_MONTH_WORDS = re.compile(
    rf"^(?:(?P<weekday>{_WEEKDAY}),?\s+)?(?:le\s+)?(?P<day>\d{{1,2}})(?:er|st|nd|rd|th)?"
    rf"\s+(?P<month>{_MONTH})\.?(?:,?\s+(?P<year>\d{{4}}))?$"
)
_MONTH_DAY_WORDS = re.compile(
    rf"^(?:(?P<weekday>{_WEEKDAY}),?\s+)?(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})"
    rf"(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?$"
)

_CLOCK_TIME = re.compile(r"^(\d{1,2})\s*(?:h|:|\.|heures?)\s*(\d{2})?$")
_TWELVE_HOUR_TIME = re.compile(r"^(\d{1,2})(?:\s*[:h.]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)$")
_NAMED_TIMES = {"midi": time(12, 0), "noon": time(12, 0), "minuit": time(0, 0)}

# Event lengths: "5", "4.5", "4,5", "5h", "4h30", "5 heures".
_HOURS = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:h|heures?|hours?)?\s*(\d{2})?$")
MAX_EVENT_HOURS = Decimal(48)


def parse_event_date(raw: str | None, submitted_on: date) -> tuple[date | None, list[Problem]]:
    """Read an event date such as "2027-06-14", "21/09/27" or "samedi 14 juin 2027".

    A date without a year is taken as its next occurrence on or after `submitted_on`
    and flagged. A date before `submitted_on`, or a weekday that does not match the
    date, is flagged too. An unreadable date gives None and a problem.
    """
    if raw is None or not raw.strip():
        return None, [_date_problem("date_missing", "event date not given")]
    text = raw.strip()
    folded = " ".join(fold(text).split())
    parsed = _parse_numeric_date(folded)
    if parsed is None:
        parsed = _parse_worded_date(folded, submitted_on)
    if parsed is None:
        message = f'event date not understood: "{text}"'
        return None, [_date_problem("date_not_understood", message)]

    event_date, weekday, year_given = parsed
    problems = []
    if not year_given:
        message = f'year not given: assumed {event_date.year} for "{text}"'
        problems.append(_date_problem("date_year_assumed", message))
    if weekday is not None and weekday != event_date.weekday():
        day_name = _ENGLISH_WEEKDAYS[event_date.weekday()]
        message = (
            f'event date "{text}" names the wrong weekday: {event_date:%d/%m/%Y} is a {day_name}'
        )
        problems.append(_date_problem("date_weekday_mismatch", message))
    if event_date < submitted_on:
        message = (
            f"event date {event_date:%d/%m/%Y} is before the submission date "
            f"{submitted_on:%d/%m/%Y}"
        )
        problems.append(_date_problem("date_in_past", message))
    return event_date, problems


def _parse_numeric_date(text: str) -> tuple[date, None, bool] | None:
    if found := _ISO_DATE.match(text) or _YEAR_FIRST.match(text):
        year, month, day = (int(part) for part in found.groups())
    elif found := _DAY_FIRST.match(text):
        day, month, year = (int(part) for part in found.groups())
        if len(found[3]) == 2:
            year += 2000
    else:
        return None
    event_date = _make_date(year, month, day)
    return (event_date, None, True) if event_date else None


def _parse_worded_date(text: str, submitted_on: date) -> tuple[date, int | None, bool] | None:
    found = _DAY_MONTH_WORDS.match(text) or _MONTH_DAY_WORDS.match(text)
    if found is None:
        return None
    day, month = int(found["day"]), MONTHS[found["month"]]
    weekday = WEEKDAYS[found["weekday"]] if found["weekday"] else None
    if found["year"]:
        event_date = _make_date(int(found["year"]), month, day)
        return (event_date, weekday, True) if event_date else None
    # No year: the first occurrence on or after the submission date. 29 February may
    # be up to 8 years away, hence the loop.
    for year in range(submitted_on.year, submitted_on.year + 9):
        event_date = _make_date(year, month, day)
        if event_date and event_date >= submitted_on:
            return event_date, weekday, False
    return None


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_event_time(raw: str | None) -> tuple[time | None, list[Problem]]:
    """Read a start time such as "19h30", "19h", "19:30", "7:30 pm" or "midi".

    An empty value gives None without a problem: the event is then all-day. An
    unreadable value gives None and a problem.
    """
    if raw is None or not raw.strip():
        return None, []
    text = raw.strip()
    folded = " ".join(fold(text).split())
    start = _parse_time(folded)
    if start is None:
        message = f'event time not understood: "{text}": planned as all-day'
        return None, [Problem(code="time_not_understood", message=message, field="event_time")]
    return start, []


def _parse_time(text: str) -> time | None:
    if text in _NAMED_TIMES:
        return _NAMED_TIMES[text]
    if found := _CLOCK_TIME.match(text):
        return _make_time(int(found[1]), int(found[2] or 0))
    if found := _TWELVE_HOUR_TIME.match(text):
        hour, minute = int(found[1]), int(found[2] or 0)
        if not 1 <= hour <= 12:
            return None
        is_pm = found[3].startswith("p")
        return _make_time(hour % 12 + (12 if is_pm else 0), minute)
    return None


def _make_time(hour: int, minute: int) -> time | None:
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return time(hour, minute)
    return None


def parse_event_hours(
    raw: str | int | float | None, default: Decimal
) -> tuple[Decimal, list[Problem]]:
    """Read an event length in hours ("5", "4,5", "4h30"), or return `default` if empty.

    A value that cannot be read, or is not between 0 and MAX_EVENT_HOURS, gives
    `default` and a problem.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default, []
    text = str(raw).strip()
    hours = _parse_hours(" ".join(fold(text).split()))
    if hours is None or not 0 < hours <= MAX_EVENT_HOURS:
        message = f'event length not understood: "{text}": assumed {default} hours'
        return default, [Problem(code="hours_not_understood", message=message, field="hours")]
    return hours, []


def _parse_hours(text: str) -> Decimal | None:
    found = _HOURS.match(text)
    if found is None:
        return None
    try:
        hours = Decimal(found[1].replace(",", "."))
    except InvalidOperation:
        return None
    if found[2]:
        minutes = int(found[2])
        if minutes > 59 or hours != hours.to_integral_value():
            return None
        hours += (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    return hours


def parse_submitted_at(
    raw: str | None, timezone: ZoneInfo, received_at: datetime
) -> tuple[datetime, list[Problem]]:
    """Read the form's ISO 8601 submission time, or use `received_at` if absent.

    A time without an offset is read in `timezone`. An unreadable value gives
    `received_at` and a problem.
    """
    if raw is None or not raw.strip():
        return received_at, []
    try:
        submitted_at = datetime.fromisoformat(raw.strip())
    except ValueError:
        message = f'submission time not understood: "{raw.strip()}": used the time received'
        return received_at, [
            Problem(code="submitted_at_not_understood", message=message, field="submitted_at")
        ]
    if submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=timezone)
    return submitted_at, []


def _date_problem(code: str, message: str) -> Problem:
    return Problem(code=code, message=message, field="event_date")
