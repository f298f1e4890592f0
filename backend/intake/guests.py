"""Guest counts as clients type them: "80", "45 personnes", "entre 100 et 120", "~50"."""

import re
from typing import NamedTuple

from backend.intake.problems import Problem
from backend.intake.text import fold

# Words that may follow the number ("45 personnes"), matched after folding accents.
_UNIT = r"(?:personnes?|pers\.?|invites?|convives?|adultes?|people|persons?|guests?)?"
_EXACT = re.compile(rf"^(\d+)\s*{_UNIT}$")
_RANGE = re.compile(
    rf"^(?:entre|de|between|from)?\s*(\d+)\s*{_UNIT}\s*(?:-|–|a|et|to|and|/)\s*(\d+)\s*{_UNIT}$"
)
_ESTIMATE = re.compile(
    rf"^(?:environ|env\.?|~|≈|approx\.?|approximativement|about|around|a peu pres|"
    rf"autour de|pres de)\s*(\d+)\s*{_UNIT}$"
)
_TRAILING_ESTIMATE = re.compile(rf"^(\d+)\s*{_UNIT}\s*(?:environ|approx\.?|~)$")


class GuestCount(NamedTuple):
    """A parsed guest count: the number to price for, None when unknown."""

    guests: int | None
    is_estimate: bool
    problems: list[Problem]


# Above this, a count is a typing error rather than an event: it is not priced.
MAX_GUESTS = 5000


def parse_guests(raw: int | float | str | None) -> GuestCount:
    """Read a guest count. A range is priced for its upper bound and flagged.

    Problems, never exceptions, report what cannot be read: a missing value, words
    ("beaucoup"), a count below 1 or above MAX_GUESTS, a range or an approximate count.
    """
    count = _parse(raw)
    if count.guests is not None and count.guests > MAX_GUESTS:
        message = f"guests {count.guests} is more than {MAX_GUESTS}: not priced, check the form"
        return GuestCount(None, False, [_problem("guests_too_many", message)])
    return count


def _parse(raw: int | float | str | None) -> GuestCount:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return GuestCount(None, False, [_problem("guests_missing", "number of guests not given")])
    if isinstance(raw, bool):
        return _not_understood(str(raw).lower())
    if isinstance(raw, float):
        return _exact(int(raw)) if raw.is_integer() else _not_understood(str(raw))
    if isinstance(raw, int):
        return _exact(raw)
    return _parse_text(raw.strip())


def _parse_text(text: str) -> GuestCount:
    folded = " ".join(fold(text).split())
    exact = _EXACT.match(folded)
    if exact:
        return _exact(int(exact[1]))
    estimate = _ESTIMATE.match(folded) or _TRAILING_ESTIMATE.match(folded)
    if estimate:
        guests = int(estimate[1])
        if guests < 1:
            return _not_positive(guests)
        message = f"guests given as an estimate ({text}): priced for {guests}"
        return GuestCount(guests, True, [_problem("guests_estimate", message)])
    bounds = _RANGE.match(folded)
    if bounds:
        low, high = sorted((int(bounds[1]), int(bounds[2])))
        if high < 1:
            return _not_positive(high)
        if low == high:
            return _exact(high)
        message = f"guests given as a range ({low}-{high}): priced for {high}"
        return GuestCount(high, True, [_problem("guests_range", message)])
    if re.fullmatch(r"-\s*\d+", folded):
        return _not_positive(int(folded.replace(" ", "")))
    return _not_understood(text)


def _exact(guests: int) -> GuestCount:
    return GuestCount(guests, False, []) if guests >= 1 else _not_positive(guests)


def _not_positive(guests: int) -> GuestCount:
    message = f"guests must be at least 1, got {guests}"
    return GuestCount(None, False, [_problem("guests_not_positive", message)])


def _not_understood(text: str) -> GuestCount:
    message = f'guests not understood: "{text}"'
    return GuestCount(None, False, [_problem("guests_not_understood", message)])


def _problem(code: str, message: str) -> Problem:
    return Problem(code=code, message=message, field="guests")
