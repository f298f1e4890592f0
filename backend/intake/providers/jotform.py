"""Jotform: multipart/form-data with the answers as a JSON string in `rawRequest`, unsigned.

Sources: captured webhook requests and n8n's JotForm trigger node. Answers are keyed
`q<N>_<uniqueName>`, where the unique name is derived from the question's label
("q3_nombreDinvites"), so the mapping matches the unique name. Jotform signs nothing:
a secret is checked as the URL's `token` query parameter.
"""

import re
from typing import Any

from backend.intake.providers.base import (
    Answer,
    Delivery,
    Provider,
    ProviderSubmission,
    text_or_none,
)
from backend.intake.providers.bodies import MULTIPART, URLENCODED, decode_form, parse_json_text

_ANSWER_KEY = re.compile(r"^q\d+_(.+)$")


def parse(delivery: Delivery) -> ProviderSubmission:
    fields = decode_form(delivery)
    raw_request = parse_json_text(fields.get("rawRequest"), "Jotform field rawRequest")
    answers = []
    for key, value in raw_request.items():
        found = _ANSWER_KEY.match(key)
        if found is None:
            continue  # slug, path, event_id and other request data
        answers.append(Answer(found[1], found[1], _value(value)))
    return ProviderSubmission(
        answers=answers,
        submission_id=text_or_none(fields.get("submissionID")),
        form_ref=text_or_none(fields.get("formID")),
        metadata={"form_title": fields.get("formTitle")},
    )


def _value(value: Any) -> Any:
    """Flatten Jotform's compound answers (name, phone, address, time, date) to text."""
    if not isinstance(value, dict):
        return value
    if "first" in value or "last" in value:
        return " ".join(str(value.get(part) or "") for part in ("first", "middle", "last")).strip()
    if "full" in value:
        return value["full"]
    if "area" in value and "phone" in value:
        return f"{value['area']} {value['phone']}".strip()
    if "addr_line1" in value:
        parts = ("addr_line1", "addr_line2", "postal", "city", "state", "country")
        return ", ".join(str(value[part]) for part in parts if value.get(part))
    if "timeInput" in value or "hourSelect" in value:
        return _time(value)
    if {"day", "month", "year"} <= value.keys():
        # NOTE: the {month, day, year} shape of date questions is inferred, not captured.
        return f"{value['year']}-{value['month']}-{value['day']}"
    if "date" in value:
        # Appointment questions: "YYYY-MM-DD HH:MM"; the date part is the event date.
        return str(value["date"]).split(" ", 1)[0]
    return value


def _time(value: dict[str, Any]) -> str:
    if value.get("timeInput"):
        text = str(value["timeInput"])
    else:
        text = f"{value.get('hourSelect') or ''}:{value.get('minuteSelect') or '00'}"
    ampm = str(value.get("ampm") or "").strip()
    return f"{text} {ampm}".strip()


PROVIDER = Provider(
    name="jotform",
    title="Jotform",
    media_types=frozenset({MULTIPART, URLENCODED}),
    parse=parse,
    verify=None,
)
