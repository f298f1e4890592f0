"""Elementor Pro forms: URL-encoded (or JSON) bodies from the Webhook action, unsigned.

Source: Elementor Pro `modules/forms/actions/webhook.php` and `classes/form-record.php`.
The default body maps field labels to values and merges the metadata rows (date, time,
page URL…) by their titles, so those titles are metadata, never answers: a field
titled "Date" is overwritten by Elementor itself before sending, and only the
"Advanced Data" body keeps it, under `fields`. Elementor sends no id, so submissions are
deduplicated by content; a secret is checked as the URL's `token` query parameter.
"""

from typing import Any

from backend.intake.providers.base import (
    Answer,
    Delivery,
    Provider,
    ProviderSubmission,
    text_or_none,
)
from backend.intake.providers.wordpress import WORDPRESS_MEDIA_TYPES, decode_wordpress_body
from backend.intake.text import match_key

# NOTE: the French titles are inferred from Elementor's translations, not captured.
_META_TITLES = frozenset(
    match_key(title)
    for title in (
        "Date", "Time", "Page URL", "User Agent", "Remote IP", "Powered by",
        "Heure", "URL de la page", "Agent utilisateur", "IP distante", "Propulsé par",
        "form_id", "form_name",
    )
)  # fmt: skip


def parse(delivery: Delivery) -> ProviderSubmission:
    body = decode_wordpress_body(delivery, "Elementor")
    if isinstance(body.get("fields"), dict):
        return _parse_advanced(body)

    answers = []
    metadata = {}
    for title, value in body.items():
        if match_key(title) in _META_TITLES:
            metadata[title] = value
        else:
            answers.append(Answer(title, title, value))
    return ProviderSubmission(
        answers=answers,
        submission_id=None,
        form_ref=text_or_none(body.get("form_name")) or text_or_none(body.get("form_id")),
        metadata=metadata,
    )


def _parse_advanced(body: dict[str, Any]) -> ProviderSubmission:
    answers = []
    for field_id, field in body["fields"].items():
        if not isinstance(field, dict):
            continue
        value = field.get("raw_value", field.get("value"))
        key = str(field.get("id") or field_id)
        answers.append(Answer(key, str(field.get("title") or ""), value))
    form = body.get("form") if isinstance(body.get("form"), dict) else {}
    return ProviderSubmission(
        answers=answers,
        submission_id=None,
        form_ref=text_or_none(form.get("name")) or text_or_none(form.get("id")),
        metadata={"meta": body.get("meta")},
    )


PROVIDER = Provider(
    name="elementor",
    title="Elementor",
    media_types=WORDPRESS_MEDIA_TYPES,
    parse=parse,
    verify=None,
    deduplicate_by_content=True,
)
