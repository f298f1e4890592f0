"""Which form field means what: per-form mappings from labels and keys to inquiry fields.

A caterer connects a new form without code: the built-in French and English labels
below cover the usual forms, and `FORM_MAPPINGS_PATH` names a JSON file that adds
labels per provider or per form:

    {"tally": {"guests": ["Combien serez-vous ?"]},
     "typeform/mariage": {"event_date": ["date_reception"], "options": ["formules"]}}

Labels are matched after folding case, accents, spacing and punctuation, against the
answer's key (Typeform ref, Jotform unique name, field name) and then its label. For
each inquiry field the configured labels are tried first, in order, then the defaults.
Submission metadata (times, IP, page URL) is never an answer, so a form field titled
"Date" keeps the event date.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from backend.intake.providers.base import Answer
from backend.intake.text import match_key

INQUIRY_FIELDS = (
    "name", "first_name", "last_name", "email", "phone", "event_type", "event_date",
    "event_time", "address", "guests", "options", "message",
)  # fmt: skip

DEFAULT_LABELS: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "nom", "nom complet", "nom et prénom", "nom prénom", "prénom et nom",
        "prénom nom", "votre nom", "full name", "your name", "your-name", "contact name",
    ),
    "first_name": ("prénom", "votre prénom", "first name", "firstname", "given name"),
    "last_name": ("nom de famille", "last name", "lastname", "surname", "family name"),
    "email": (
        "email", "e-mail", "mail", "courriel", "adresse email", "adresse e-mail",
        "adresse mail", "votre email", "votre e-mail", "your email", "your-email",
        "email address",
    ),
    "phone": (
        "phone", "téléphone", "tél", "tel", "portable", "mobile", "numéro de téléphone",
        "votre téléphone", "phone number", "your phone", "your-phone", "telephone number",
    ),
    "event_type": (
        "event_type", "type d'événement", "type d'évènement", "type de prestation",
        "type de réception", "événement", "évènement", "occasion", "event type",
        "type of event", "event",
    ),
    "event_date": (
        "event_date", "date de l'événement", "date de l'évènement", "date de la prestation",
        "date de la réception", "date souhaitée", "date de l'event", "event date",
        "date of the event", "date",
    ),
    "event_time": (
        "event_time", "heure de l'événement", "heure de l'évènement", "heure de début",
        "heure", "horaire", "event time", "start time", "time",
    ),
    "address": (
        "address", "adresse", "adresse de l'événement", "adresse de l'évènement",
        "lieu de l'événement", "lieu de l'évènement", "lieu", "venue", "location",
        "event address",
    ),
    "guests": (
        "guests", "nombre d'invités", "nombre de personnes", "nombre de convives",
        "nombre de couverts", "nombre d'invites", "invités", "convives", "couverts",
        "number of guests", "guest count", "headcount", "participants",
    ),
    "options": (
        "options", "prestations souhaitées", "prestations", "services souhaités",
        "services", "formules", "formule", "menu", "services requested",
        "what would you like",
    ),
    "message": (
        "message", "votre message", "commentaire", "commentaires", "précisions",
        "remarques", "demande", "your message", "your-message", "comments", "notes",
        "details",
    ),
}  # fmt: skip

# Key of the form dict under which answers no inquiry field claims are kept.
OTHER_ANSWERS_KEY = "other_answers"

_OPTION_SEPARATORS = re.compile(r"[,;\n]+")
_SECONDS = re.compile(r"^(\d{1,2}:\d{2}):\d{2}$")


class FormMappingsError(ValueError):
    """The FORM_MAPPINGS_PATH file is missing, not JSON or not in the expected shape."""


@dataclass(frozen=True)
class FieldMapping:
    """Labels per inquiry field, configured ones first, each already folded by `match_key`."""

    labels: dict[str, tuple[str, ...]]

    @classmethod
    def build(cls, *configured: Mapping[str, Iterable[str]]) -> "FieldMapping":
        """Merge configured labels (most specific first) in front of the defaults."""
        labels: dict[str, tuple[str, ...]] = {}
        for field_name in INQUIRY_FIELDS:
            ordered: list[str] = []
            for source in (*configured, DEFAULT_LABELS):
                for label in source.get(field_name, ()):
                    key = match_key(label)
                    if key and key not in ordered:
                        ordered.append(key)
            labels[field_name] = tuple(ordered)
        return cls(labels)


@dataclass(frozen=True)
class FormMappings:
    """The mappings of every configured provider and form, read from FORM_MAPPINGS_PATH."""

    configured: dict[str, dict[str, tuple[str, ...]]]
    # Mappings built by for_form, per provider and configured form (None for the rest).
    _built: dict[tuple[str, str | None], FieldMapping] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def load(cls, path: Path | None) -> "FormMappings":
        """Read the mappings file; None gives the built-in defaults only.

        Raises FormMappingsError naming the file and the fix.
        """
        if path is None:
            return _DEFAULTS_ONLY
        return _load_file(Path(path))

    def for_form(self, provider: str, form: str | None) -> FieldMapping:
        """Return the mapping of `provider/form`, falling back to `provider`, then defaults."""
        # A form segment no mapping names reads like no segment, so the cache stays
        # bounded by the configuration whatever segments callers send.
        if form and f"{provider}/{form}" not in self.configured:
            form = None
        key = (provider, form)
        mapping = self._built.get(key)
        if mapping is None:
            sources = []
            if form:
                sources.append(self.configured[f"{provider}/{form}"])
            sources.append(self.configured.get(provider, {}))
            mapping = self._built[key] = FieldMapping.build(*sources)
        return mapping

    def knows(self, provider: str, form: str) -> bool:
        return f"{provider}/{form}" in self.configured


_DEFAULTS_ONLY = FormMappings({})


@lru_cache(maxsize=8)
def _load_file(path: Path) -> FormMappings:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise FormMappingsError(
            f"form mappings file {path} not found: create it or unset FORM_MAPPINGS_PATH"
        ) from error
    except json.JSONDecodeError as error:
        raise FormMappingsError(f"form mappings file {path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise FormMappingsError(
            f'form mappings file {path} must hold an object such as {{"tally": {{"guests": '
            '["Combien serez-vous ?"]}}'
        )

    configured: dict[str, dict[str, tuple[str, ...]]] = {}
    for source, fields in data.items():
        if not isinstance(fields, dict):
            raise FormMappingsError(f"form mappings file {path}: {source!r} must map fields")
        configured[source] = {}
        for field_name, labels in fields.items():
            if field_name not in INQUIRY_FIELDS:
                expected = ", ".join(INQUIRY_FIELDS)
                raise FormMappingsError(
                    f"form mappings file {path}: {source!r} maps unknown field "
                    f"{field_name!r}: expected one of {expected}"
                )
            if isinstance(labels, str):
                labels = [labels]
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise FormMappingsError(
                    f"form mappings file {path}: {source}.{field_name} must be a list of labels"
                )
            configured[source][field_name] = tuple(labels)
    return FormMappings(configured)


def build_form(
    answers: list[Answer],
    mapping: FieldMapping,
    *,
    submission_id: str | None,
    submitted_at: str | None,
) -> dict[str, Any]:
    """Return the generic form dict `validate_inquiry` reads, from a provider's answers.

    Each inquiry field takes the first non-empty answer matching its labels in order.
    Options collect every matching answer. A separate first name and last name are
    joined into `name`. Answers left unclaimed go under `other_answers` by label.
    """
    claimed: set[int] = set()
    form: dict[str, Any] = {"submission_id": submission_id, "submitted_at": submitted_at}
    for field_name in INQUIRY_FIELDS:
        if field_name == "options":
            continue
        index = _first_match(answers, mapping.labels[field_name], claimed)
        if index is not None:
            claimed.add(index)
            form[field_name] = _field_value(field_name, answers[index].value)

    options: list[str] = []
    for label in mapping.labels["options"]:
        for index, answer in enumerate(answers):
            if index not in claimed and label in _answer_keys(answer):
                claimed.add(index)
                options += _option_texts(answer.value)
    form["options"] = options

    _join_name(form)
    others = {
        answer.label or answer.key: answer.value
        for index, answer in enumerate(answers)
        if index not in claimed and not _is_empty(answer.value)
    }
    if others:
        form[OTHER_ANSWERS_KEY] = others
    return form


def _answer_keys(answer: Answer) -> tuple[str, str]:
    return match_key(answer.key), match_key(answer.label)


def _first_match(answers: list[Answer], labels: tuple[str, ...], claimed: set[int]) -> int | None:
    for label in labels:
        for index, answer in enumerate(answers):
            if index in claimed or _is_empty(answer.value):
                continue
            if label in _answer_keys(answer):
                return index
    return None


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _field_value(field_name: str, value: Any) -> Any:
    if field_name == "phone" and isinstance(value, int) and not isinstance(value, bool):
        # Webflow sends an international number as a JSON number without its "+".
        return f"+{value}"
    if field_name == "guests" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value if not _is_empty(item))
    if not isinstance(value, str):
        return None if isinstance(value, dict) else value
    if field_name == "event_time" and (found := _SECONDS.match(value.strip())):
        return found[1]  # Google Sheets writes times as "19:30:00"
    return value


def _option_texts(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value if not _is_empty(item) and not isinstance(item, bool)]
    if isinstance(value, str):
        # One text answer lists options as FormPayload reads them: "a, b; c".
        return [text.strip() for text in _OPTION_SEPARATORS.split(value) if text.strip()]
    return []


def _join_name(form: dict[str, Any]) -> None:
    first = (form.pop("first_name", None) or "").strip()
    last = (form.pop("last_name", None) or "").strip()
    name = (form.get("name") or "").strip()
    if name and first and first.casefold() not in name.casefold():
        form["name"] = f"{first} {name}"
    elif not name and (first or last):
        form["name"] = f"{first} {last}".strip()
