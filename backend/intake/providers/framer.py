"""Framer forms: flat JSON signed with `Framer-Signature: sha256=<hex HMAC of body ‖ id>`.

Source: https://www.framer.com/help/articles/framer-form-webhook-setup . The submission
id comes only in the `Framer-Webhook-Submission-Id` header and is appended to the body
before signing.
"""

from backend.intake.providers.base import Answer, Delivery, Provider, ProviderSubmission
from backend.intake.providers.bodies import JSON_TYPES, decode_json_object
from backend.intake.providers.signatures import check_equal, hmac_hex, require_header

SIGNATURE_HEADER = "framer-signature"
SUBMISSION_ID_HEADER = "framer-webhook-submission-id"


def verify(delivery: Delivery, secret: bytes, now: float) -> None:
    received = require_header(delivery, SIGNATURE_HEADER)
    submission_id = require_header(delivery, SUBMISSION_ID_HEADER)
    expected = "sha256=" + hmac_hex(secret, delivery.raw_body + submission_id.encode("utf-8"))
    check_equal(received, expected, SIGNATURE_HEADER)


def parse(delivery: Delivery) -> ProviderSubmission:
    data = decode_json_object(delivery)
    # NOTE: Framer does not document how dates, checkboxes and multi-selects are encoded;
    # strings and lists of strings are assumed.
    answers = [Answer(str(name), str(name), value) for name, value in data.items()]
    return ProviderSubmission(
        answers=answers,
        submission_id=(delivery.header(SUBMISSION_ID_HEADER) or "").strip() or None,
    )


PROVIDER = Provider(
    name="framer",
    title="Framer",
    media_types=JSON_TYPES,
    parse=parse,
    verify=verify,
    headers_kept=(SIGNATURE_HEADER, SUBMISSION_ID_HEADER),
)
