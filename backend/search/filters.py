"""Structured filters read from a search query, in French or English.

"mariages de plus de 100 personnes en juin 2027" becomes event type Mariage, guests > 100
and the dates of June 2027; the words left ("mariages") go to the text rankings.
Relative phrases ("last autumn", "l'automne dernier") count from the `today` given.
Seasons are meteorological: spring is March–May, summer June–August, autumn
September–November, winter December–February.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import BaseModel, Field

from backend.integrations.workspace_schema import (
    STATUS_CANCELLED,
    STATUS_CONFIRMED,
    STATUS_NEW,
    STATUS_QUOTE_SENT,
    STATUS_TO_REVIEW,
)
from backend.search.text import normalise


class SearchFilters(BaseModel):
    """Conditions every result meets; unset fields do not filter."""

    date_from: date | None = None
    date_to: date | None = None
    months: list[int] = Field(default_factory=list, description="Months 1–12 of any year")
    guests_min: int | None = Field(None, ge=0)
    guests_max: int | None = Field(None, ge=0)
    event_types: list[str] = Field(default_factory=list)
    statuses: list[str] = Field(default_factory=list)
    client_email: str | None = None

    def is_empty(self) -> bool:
        return self == SearchFilters()

    def merged_with(self, other: "SearchFilters | None") -> "SearchFilters":
        """Return these filters with every field set in `other` taking precedence."""
        if other is None:
            return self
        return self.model_copy(update=other.model_dump(exclude_unset=True, exclude_none=True))


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into the words to rank by and the filters found in it."""

    text: str
    filters: SearchFilters
    # What each filter was read from, for the result's reason ("juin 2027", "> 100 guests").
    labels: tuple[str, ...] = field(default=())


MONTHS = {
    "janvier": 1, "january": 1, "fevrier": 2, "february": 2, "mars": 3, "march": 3,
    "avril": 4, "april": 4, "mai": 5, "may": 5, "juin": 6, "june": 6, "juillet": 7,
    "july": 7, "aout": 8, "august": 8, "septembre": 9, "september": 9, "octobre": 10,
    "october": 10, "novembre": 11, "november": 11, "decembre": 12, "december": 12,
}
SEASONS = {
    "printemps": "spring", "spring": "spring", "ete": "summer", "summer": "summer",
    "automne": "autumn", "autumn": "autumn", "fall": "autumn", "hiver": "winter",
    "winter": "winter",
}
# First month of each season; winter starts in December of the year before its
# January–February ("winter 2027" is December 2026 to February 2027).
SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}

EVENT_TYPES = (
    (r"mariages?|weddings?|noces?|marriages?", "Mariage"),
    (r"anniversaires?|birthdays?", "Anniversaire"),
    (r"baptemes?|baptisms?|christenings?", "Baptême"),
    (r"seminaires?|seminars?", "Séminaire"),
    (r"soirees? d entreprise|company part(?:y|ies)|corporate (?:evening|party|parties)",
     "Soirée d'entreprise"),
    (r"repas de famille|family (?:meal|lunch|dinner)s?", "Repas de famille"),
    (r"cocktails?(?! dinatoire)", "Cocktail"),
)
STATUSES = (
    (r"a verifier|to review|to check|needs? review", STATUS_TO_REVIEW),
    (r"confirmee?s?|confirmed", STATUS_CONFIRMED),
    (r"annulee?s?|cancell?ed", STATUS_CANCELLED),
    (r"devis envoyes?|quotes? sent", STATUS_QUOTE_SENT),
    (r"nouvelles? demandes?|new (?:inquiry|inquiries|requests?)", STATUS_NEW),
)

_GUEST_WORDS = r"(?:personnes?|pers|invites?|convives?|guests?|people|persons|couverts?|pax)"
_MORE = r"(?:plus de|more than|over|above|au moins|at least|minimum|min|>=?|superieure? a)"
_LESS = r"(?:moins de|less than|fewer than|under|below|au plus|at most|maximum|max|<=?)"
_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
_SEASON_WORDS = "|".join(SEASONS)
_LAST = r"(?:dernier|derniere|passee?|precedente?)"
_NEXT = r"(?:prochaine?|suivante?)"


def parse_query(query: str, *, today: date) -> ParsedQuery:
    """Find filters in `query` and return them with the words left to rank by."""
    text = " " + _clean(query) + " "
    filters = SearchFilters()
    labels: list[str] = []

    for parse in (_parse_email, _parse_guests, _parse_dates, _parse_statuses):
        text, filters, found = parse(text, filters, today)
        labels.extend(found)
    filters, found = _parse_event_types(text, filters)
    labels.extend(found)

    return ParsedQuery(text=" ".join(text.split()), filters=filters, labels=tuple(labels))


def _clean(query: str) -> str:
    text = normalise(query)
    return re.sub(r"[’'\"`,;:!?()\[\]]", " ", text)


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end() :]


_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")


def _parse_email(
    text: str, filters: SearchFilters, today: date
) -> tuple[str, SearchFilters, list[str]]:
    match = _EMAIL.search(text)
    if match is None:
        return text, filters, []
    email = match.group(0)
    return text, filters.model_copy(update={"client_email": email}), [email]


_GUESTS_BETWEEN = re.compile(
    rf"\b(?:entre|between|de|from)\s+(\d+)\s+(?:et|and|a|to|-)\s+(\d+)\s*{_GUEST_WORDS}\b"
)
_GUESTS_MORE = re.compile(rf"(?:\b|(?<=\s)){_MORE}\s*(\d+)\s*{_GUEST_WORDS}?\b")
_GUESTS_LESS = re.compile(rf"(?:\b|(?<=\s)){_LESS}\s*(\d+)\s*{_GUEST_WORDS}?\b")
_GUESTS_PLUS = re.compile(
    rf"\b(\d+)\s*\+\s*{_GUEST_WORDS}\b|\b(\d+)\s*{_GUEST_WORDS}\s+(?:ou plus|or more|\+)"
)


def _parse_guests(
    text: str, filters: SearchFilters, today: date
) -> tuple[str, SearchFilters, list[str]]:
    labels = []
    if match := _GUESTS_BETWEEN.search(text):
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        filters = filters.model_copy(update={"guests_min": low, "guests_max": high})
        return _cut(text, match), filters, [f"{low}–{high} guests"]
    if match := _GUESTS_PLUS.search(text):
        number = int(match.group(1) or match.group(2))
        filters = filters.model_copy(update={"guests_min": number})
        return _cut(text, match), filters, [f"≥ {number} guests"]
    if (match := _GUESTS_MORE.search(text)) and _mentions_guests(text, match):
        number = int(match.group(1))
        inclusive = re.search(r"au moins|at least|minimum|min|>=|superieure? a", match.group(0))
        low = number if inclusive else number + 1
        filters = filters.model_copy(update={"guests_min": low})
        text = _cut(text, match)
        labels.append(f"≥ {low} guests")
    if (match := _GUESTS_LESS.search(text)) and _mentions_guests(text, match):
        number = int(match.group(1))
        inclusive = re.search(r"au plus|at most|maximum|max|<=", match.group(0))
        high = number if inclusive else number - 1
        filters = filters.model_copy(update={"guests_max": high})
        text = _cut(text, match)
        labels.append(f"≤ {high} guests")
    return text, filters, labels


def _mentions_guests(text: str, match: re.Match[str]) -> bool:
    # "plus de 100" counts guests only next to a guest word, or when no euro sign follows.
    if re.search(_GUEST_WORDS, match.group(0)):
        return True
    after = text[match.end() : match.end() + 6]
    return not re.match(r"\s*(?:€|eur\b|euros?\b|k\b)", after)


def _parse_dates(
    text: str, filters: SearchFilters, today: date
) -> tuple[str, SearchFilters, list[str]]:
    for pattern, resolve in _DATE_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        resolved = resolve(match, today)
        if resolved is None:
            continue
        update, label = resolved
        return _cut(text, match), filters.model_copy(update=update), [label]
    return text, filters, []


def _month_range(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _season_range(season: str, year: int) -> tuple[date, date]:
    """Return the dates of `season` whose last month falls in `year`."""
    start_month = SEASON_START[season]
    start_year = year - 1 if season == "winter" else year
    first, _ = _month_range(start_year, start_month)
    end_year, end_month = (year, 2) if season == "winter" else (year, start_month + 2)
    _, last = _month_range(end_year, end_month)
    return first, last


def _season_label_year(day: date) -> tuple[str, int]:
    season = ("winter", "spring", "summer", "autumn")[(day.month % 12) // 3]
    year = day.year + 1 if day.month == 12 else day.year
    return season, year


def _range(first: date, last: date, label: str) -> tuple[dict[str, object], str]:
    return {"date_from": first, "date_to": last}, label


def _resolve_month_year(match: re.Match[str], today: date) -> tuple[dict[str, object], str]:
    month = MONTHS[match.group("month")]
    year = int(match.group("year"))
    first, last = _month_range(year, month)
    return _range(first, last, f"{first:%B %Y}")


def _resolve_season_year(match: re.Match[str], today: date) -> tuple[dict[str, object], str]:
    season = SEASONS[match.group("season")]
    first, last = _season_range(season, int(match.group("year")))
    return _range(first, last, f"{season} {match.group('year')}")


def _resolve_relative_season(
    match: re.Match[str], today: date
) -> tuple[dict[str, object], str] | None:
    season = SEASONS[_first_group(match, "season", "season2", "season3")]
    direction = _direction(match.group(0))
    current_season, current_year = _season_label_year(today)
    # "this summer" is the summer of today's year, or the season under way when it is
    # today's; "last" and "next" step from there to the nearest one before or after today.
    year = current_year if season == current_season else today.year
    first, last = _season_range(season, year)
    if direction == "last":
        while last >= today or (season == current_season and year == current_year):
            year -= 1
            first, last = _season_range(season, year)
    elif direction == "next":
        while first <= today:
            year += 1
            first, last = _season_range(season, year)
    word = {"last": "last ", "next": "next ", "this": "this "}[direction]
    return _range(first, last, f"{word}{season}")


def _resolve_relative_month_or_year(
    match: re.Match[str], today: date
) -> tuple[dict[str, object], str]:
    unit = _first_group(match, "unit", "unit2", "unit3")
    direction = _direction(match.group(0))
    step = {"last": -1, "next": 1, "this": 0}[direction]
    if unit in {"mois", "month"}:
        index = today.year * 12 + today.month - 1 + step
        first, last = _month_range(index // 12, index % 12 + 1)
        return _range(first, last, f"{first:%B %Y}")
    year = today.year + step
    return _range(date(year, 1, 1), date(year, 12, 31), str(year))


def _resolve_month(match: re.Match[str], today: date) -> tuple[dict[str, object], str]:
    month = MONTHS[match.group("month")]
    return {"months": [month]}, date(2000, month, 1).strftime("%B")


def _resolve_season(match: re.Match[str], today: date) -> tuple[dict[str, object], str]:
    season = SEASONS[match.group("season")]
    start = SEASON_START[season]
    months = [(start + offset - 1) % 12 + 1 for offset in range(3)]
    return {"months": months}, season


def _resolve_year(match: re.Match[str], today: date) -> tuple[dict[str, object], str]:
    year = int(match.group("year"))
    return _range(date(year, 1, 1), date(year, 12, 31), str(year))


def _direction(phrase: str) -> str:
    if re.search(rf"\b(?:last|previous|past|{_LAST})\b", phrase):
        return "last"
    if re.search(rf"\b(?:next|coming|{_NEXT})\b", phrase):
        return "next"
    return "this"


_DATE_PATTERNS = (
    (
        re.compile(
            rf"\b(?:en |in |de |du mois de )?(?P<month>{_MONTH_WORDS})\s+(?P<year>20\d\d)\b"
        ),
        _resolve_month_year,
    ),
    (
        re.compile(
            rf"\b(?:en |in |l |a l |au |cet |cette )?(?P<season>{_SEASON_WORDS})\s+"
            rf"(?P<year>20\d\d)\b"
        ),
        _resolve_season_year,
    ),
    (
        re.compile(
            rf"\b(?:(?:last|previous|past|next|coming|this)\s+(?P<season>{_SEASON_WORDS})"
            rf"|(?:l |a l |au |cet |cette |le |ce )?(?P<season2>{_SEASON_WORDS})\s+"
            rf"(?:{_LAST}|{_NEXT}))\b"
            rf"|\b(?:cet |cette |ce )(?P<season3>{_SEASON_WORDS})\b"
        ),
        _resolve_relative_season,
    ),
    (
        re.compile(
            rf"\b(?:(?:last|previous|past|next|coming|this)\s+(?P<unit>month|year)"
            rf"|(?:le |l |cette |ce )?(?P<unit2>mois|annee)\s+(?:{_LAST}|{_NEXT})"
            rf"|(?:ce |cette )(?P<unit3>mois|annee))\b"
        ),
        _resolve_relative_month_or_year,
    ),
    (re.compile(rf"\b(?:en |in |au mois de |during )?(?P<month>{_MONTH_WORDS})\b(?! \d)"),
     _resolve_month),
    (re.compile(rf"\b(?:en |in |l |a l |au |during )?(?P<season>{_SEASON_WORDS})\b"),
     _resolve_season),
    (re.compile(r"\b(?:en |in |during )?(?P<year>20\d\d)\b"), _resolve_year),
)


def _first_group(match: re.Match[str], *names: str) -> str:
    return next(match.group(name) for name in names if match.group(name) is not None)


def _parse_statuses(
    text: str, filters: SearchFilters, today: date
) -> tuple[str, SearchFilters, list[str]]:
    statuses: list[str] = []
    for pattern, status in STATUSES:
        match = re.search(rf"\b(?:{pattern})\b", text)
        if match:
            statuses.append(status)
            text = _cut(text, match)
    if not statuses:
        return text, filters, []
    return text, filters.model_copy(update={"statuses": statuses}), statuses


def _parse_event_types(text: str, filters: SearchFilters) -> tuple[SearchFilters, list[str]]:
    # Event type words stay in the text too: they also help the text rankings.
    types = [name for pattern, name in EVENT_TYPES if re.search(rf"\b(?:{pattern})\b", text)]
    if not types:
        return filters, []
    return filters.model_copy(update={"event_types": types}), types

