"""Text of a prestation for search, and the normalisation shared by index and queries.

PostgreSQL's `unaccent` extension is optional (the embedded server does not ship it), so
accents are stripped here, in Python, before `to_tsvector('french', …)` and before every
query: "Hélène" and "helene" give the same lexemes whichever server runs.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
FRENCH_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

_WORD = re.compile(r"[a-z0-9]+(?:@[a-z0-9.-]+)?")

# Words that carry no meaning for search, in both languages staff type queries in.
STOPWORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les leur
    lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se
    ses son sur ta te tes toi ton tu un une vos votre vous y d l j m n s t c qu est sont
    etait avait ont ai as avons quel quelle quels quelles
    the an and or of to in on at for with by from is are was were be been did do does we
    you they he she it its our their his her what which who whom whose that this these those
    show find me my any all some about how much many
    """.split()
)


def unaccent(text: str) -> str:
    """Return `text` without diacritics ("Hélène Bœuf" → "Helene Boeuf")."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise(text: str) -> str:
    """Lower-case and unaccent, as both the index and the queries see text."""
    return unaccent(text).lower()


def words(text: str) -> list[str]:
    """Split normalised text into words, keeping email addresses whole."""
    return _WORD.findall(normalise(text).replace("'", " ").replace("’", " "))


def content_words(text: str) -> list[str]:
    """Return the words of `text` that are not stop words."""
    return [word for word in words(text) if word not in STOPWORDS]


def season_of(day: date) -> str:
    """Return the French meteorological season of a date (winter is December–February)."""
    return ("hiver", "printemps", "été", "automne")[(day.month % 12) // 3]


def date_in_words(day: date) -> str:
    """Write a date the way people search for it: "samedi 14 juin 2027, été 2027"."""
    weekday = FRENCH_WEEKDAYS[day.weekday()]
    month = FRENCH_MONTHS[day.month - 1]
    return f"{weekday} {day.day} {month} {day.year}, {season_of(day)} {day.year}"


@dataclass(frozen=True)
class SearchDocument:
    """The searchable text of one prestation, in parts weighted for full-text ranking.

    `title` (name, client) weighs most, `details` (type, date, place, guests, options)
    next, `free_text` (client message, staff notes) least.
    """

    title: str
    details: str
    free_text: str

    @property
    def text(self) -> str:
        return "\n".join(part for part in (self.title, self.details, self.free_text) if part)


def prestation_document(row: Any) -> SearchDocument:
    """Build the searchable text of a `prestations` row (ORM object or mapping)."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name, None)

    title = [get("name"), get("client_name"), get("client_email")]
    details = [get("event_type")]
    event_date = get("event_date")
    details.append(date_in_words(event_date) if event_date else "date à confirmer")
    details.append(get("address"))
    guests = get("guests")
    if guests:
        details.append(f"{guests} personnes")
    details.extend(_option_labels(get("options") or []))
    free_text = [get("message"), get("notes")]
    return SearchDocument(
        title=_join(title), details=_join(details), free_text=_join(free_text)
    )


def _option_labels(options: list[Any]) -> list[str]:
    labels = []
    for option in options:
        if isinstance(option, dict):
            label = option.get("label") or option.get("name") or option.get("text")
            labels.append(str(label) if label else "")
        else:
            labels.append(str(option))
    return labels


def _join(parts: list[Any]) -> str:
    return " · ".join(str(part) for part in parts if part)
