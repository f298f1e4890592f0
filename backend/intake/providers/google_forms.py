"""Google Forms through deme's Apps Script relay (`docs/google-forms-relay.gs`).

Google Forms has no webhook. The relay, installed as an "On form submit" trigger, posts
one of two JSON bodies, both with `submittedAt` in ISO 8601:

- form-bound trigger: `{formId, responseId, respondentEmail, answers: [{title, value}]}`;
- sheet-bound trigger: `{spreadsheetId, sheetName, row, namedValues: {title: [text]}}`,
  texts formatted with the sheet's locale ("14/06/2027", "19:30:00").

It signs with `X-Gforms-Signature: t=<unix>,v1=<base64 HMAC-SHA256(secret, "<t>." +
body)>`, a convention of deme's, checked with a 300 s tolerance. The id is the
response id, or the spreadsheet, sheet and row, so two triggers relaying the same
response store it once.
"""

from typing import Any

from backend.intake.errors import InvalidPayloadError
from backend.intake.providers.base import (
    Answer,
    Delivery,
    Provider,
    ProviderSubmission,
    require_object,
    text_or_none,
)
from backend.intake.providers.bodies import JSON_TYPES, decode_json_object
from backend.intake.providers.signatures import (
    check_equal,
    check_fresh,
    hmac_base64,
    parse_timestamped,
    require_header,
)
from backend.intake.text import match_key

SIGNATURE_HEADER = "x-gforms-signature"
# Titles of the timestamp column a linked sheet adds, in French and English.
_TIMESTAMP_TITLES = frozenset({match_key("Horodateur"), match_key("Timestamp")})


def verify(delivery: Delivery, secret: bytes, now: float) -> None:
    value = require_header(delivery, SIGNATURE_HEADER)
    timestamp, received = parse_timestamped(value, SIGNATURE_HEADER, "v1")
    check_fresh(timestamp, now, SIGNATURE_HEADER)
    expected = hmac_base64(secret, timestamp.encode("ascii") + b"." + delivery.raw_body)
    check_equal(received, expected, SIGNATURE_HEADER)


def parse(delivery: Delivery) -> ProviderSubmission:
    body = decode_json_object(delivery)
    if isinstance(body.get("answers"), list):
        answers = [_form_answer(item) for item in body["answers"]]
        submission_id = text_or_none(body.get("responseId"))
        form_ref = text_or_none(body.get("formId"))
    elif isinstance(body.get("namedValues"), dict):
        answers = _sheet_answers(body["namedValues"])
        submission_id = _row_id(body)
        form_ref = text_or_none(body.get("spreadsheetId"))
    else:
        raise InvalidPayloadError(
            "Google Forms relay body must hold 'answers' (form trigger) or "
            "'namedValues' (sheet trigger): update docs/google-forms-relay.gs"
        )
    respondent = text_or_none(body.get("respondentEmail"))
    if respondent:
        answers.append(Answer("respondent email", "E-mail", respondent))
    return ProviderSubmission(
        answers=answers,
        submission_id=submission_id,
        submitted_at=text_or_none(body.get("submittedAt")),
        form_ref=form_ref,
    )


def _form_answer(item: Any) -> Answer:
    answer = require_object(item, "Google Forms answer")
    title = str(answer.get("title") or "")
    return Answer(title, title, answer.get("value"))


def _sheet_answers(named_values: dict[str, Any]) -> list[Answer]:
    answers = []
    for title, values in named_values.items():
        if match_key(title) in _TIMESTAMP_TITLES:
            continue
        if isinstance(values, list):
            value: Any = ", ".join(str(item) for item in values if item not in (None, ""))
        else:
            value = values
        answers.append(Answer(title, title, value))
    return answers


def _row_id(body: dict[str, Any]) -> str | None:
    spreadsheet = text_or_none(body.get("spreadsheetId"))
    row = text_or_none(body.get("row"))
    if not spreadsheet or not row:
        return None
    return f"{spreadsheet}:{body.get('sheetName') or ''}:{row}"


PROVIDER = Provider(
    name="google-forms",
    title="Google Forms (Apps Script relay)",
    media_types=JSON_TYPES,
    parse=parse,
    verify=verify,
    headers_kept=(SIGNATURE_HEADER,),
)
