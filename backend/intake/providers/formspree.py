"""Formspree webhooks: `{form, keys, submission}` signed with `t=<unix>,v1=<hex HMAC>`.

Formspree's help centre documents the webhook plugin; the signature scheme (hex
HMAC-SHA256 of the timestamp, a dot and the body, 300 s tolerance) is what several
independent receivers implement. No submission id is sent: submissions are
deduplicated by content. Keys starting with "_" (`_date`) are metadata.
"""

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
    hmac_hex,
    parse_timestamped,
    require_header,
)

SIGNATURE_HEADER = "formspree-signature"


def verify(delivery: Delivery, secret: bytes, now: float) -> None:
    value = require_header(delivery, SIGNATURE_HEADER)
    timestamp, received = parse_timestamped(value, SIGNATURE_HEADER, "v1")
    check_fresh(timestamp, now, SIGNATURE_HEADER)
    expected = hmac_hex(secret, timestamp.encode("ascii") + b"." + delivery.raw_body)
    check_equal(received, expected, SIGNATURE_HEADER)


def parse(delivery: Delivery) -> ProviderSubmission:
    body = decode_json_object(delivery)
    submission = require_object(body.get("submission"), "Formspree submission")
    answers = [
        Answer(str(key), str(key), value)
        for key, value in submission.items()
        if not str(key).startswith("_")
    ]
    return ProviderSubmission(
        answers=answers,
        submission_id=None,
        submitted_at=text_or_none(submission.get("_date")),
        form_ref=text_or_none(body.get("form")),
    )


PROVIDER = Provider(
    name="formspree",
    title="Formspree",
    media_types=JSON_TYPES,
    parse=parse,
    verify=verify,
    headers_kept=(SIGNATURE_HEADER,),
    deduplicate_by_content=True,
)
