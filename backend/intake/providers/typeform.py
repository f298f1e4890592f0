"""Typeform: JSON signed with `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`.

Sources: https://www.typeform.com/developers/webhooks/secure-your-webhooks/ and the
example payload page. Answers are matched to questions by `field.ref`, stable across
edits of the question's title. Unanswered questions send no answer object.
"""

from typing import Any

from backend.intake.providers.base import (
    Answer,
    Delivery,
    NotAnInquiryError,
    Provider,
    ProviderSubmission,
    require_list,
    require_object,
    text_or_none,
)
from backend.intake.providers.bodies import JSON_TYPES, decode_json_object
from backend.intake.providers.signatures import check_equal, hmac_base64, require_header

SIGNATURE_HEADER = "typeform-signature"


def verify(delivery: Delivery, secret: bytes, now: float) -> None:
    received = require_header(delivery, SIGNATURE_HEADER)
    expected = "sha256=" + hmac_base64(secret, delivery.raw_body)
    check_equal(received, expected, SIGNATURE_HEADER)


def parse(delivery: Delivery) -> ProviderSubmission:
    event = decode_json_object(delivery)
    if event.get("event_type") != "form_response":
        # form_response_partial is sent for unfinished forms: not an inquiry yet.
        raise NotAnInquiryError(f"Typeform event {event.get('event_type')!r} is not form_response")
    response = require_object(event.get("form_response"), "Typeform form_response")
    definition = response.get("definition") if isinstance(response.get("definition"), dict) else {}
    titles = {
        field.get("id"): str(field.get("title") or "")
        for field in definition.get("fields") or []
        if isinstance(field, dict)
    }

    answers = []
    for item in require_list(response.get("answers"), "Typeform form_response.answers"):
        answer = require_object(item, "Typeform answer")
        field = answer.get("field") if isinstance(answer.get("field"), dict) else {}
        key = str(field.get("ref") or field.get("id") or "")
        answers.append(Answer(key, titles.get(field.get("id"), ""), _value(answer)))
    for name in ("hidden", "variables"):
        if response.get(name):
            answers.append(Answer(name, name, response[name]))

    return ProviderSubmission(
        answers=answers,
        submission_id=text_or_none(response.get("token")),
        submitted_at=text_or_none(response.get("submitted_at")),
        form_ref=text_or_none(response.get("form_id")),
    )


def _value(answer: dict[str, Any]) -> Any:
    kind = answer.get("type")
    value = answer.get(kind) if isinstance(kind, str) else None
    if kind == "choice" and isinstance(value, dict):
        return value.get("label") or value.get("other")
    if kind == "choices" and isinstance(value, dict):
        labels = list(value.get("labels") or [])
        if value.get("other"):
            labels.append(value["other"])
        return labels
    if kind == "payment":
        return None
    return value


PROVIDER = Provider(
    name="typeform",
    title="Typeform",
    media_types=JSON_TYPES,
    parse=parse,
    verify=verify,
    headers_kept=(SIGNATURE_HEADER,),
)
