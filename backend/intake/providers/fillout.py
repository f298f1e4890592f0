"""Fillout API webhooks: one submission as in `GET /forms/{id}/submissions`, unsigned.

Sources: https://www.fillout.com/help/api-reference/create-a-webhook.md and
get-all-submissions.md. Fillout documents no signature, so a secret is checked as the
URL's `token` query parameter.
"""

from backend.intake.providers.base import (
    Answer,
    Delivery,
    Provider,
    ProviderSubmission,
    require_list,
    require_object,
    text_or_none,
)
from backend.intake.providers.bodies import JSON_TYPES, decode_json_object


def parse(delivery: Delivery) -> ProviderSubmission:
    submission = decode_json_object(delivery)
    answers = []
    for item in require_list(submission.get("questions"), "Fillout questions"):
        question = require_object(item, "Fillout question")
        # NOTE: only ShortAnswer, LongAnswer, DatePicker and NumberInput are documented;
        # other types (EmailInput, Checkboxes as a list of texts) are read the same way.
        answers.append(
            Answer(
                str(question.get("id") or ""),
                str(question.get("name") or ""),
                question.get("value"),
            )
        )
    return ProviderSubmission(
        answers=answers,
        submission_id=text_or_none(submission.get("submissionId")),
        submitted_at=text_or_none(submission.get("submissionTime")),
        form_ref=text_or_none(submission.get("formId")),
    )


PROVIDER = Provider(
    name="fillout",
    title="Fillout",
    media_types=JSON_TYPES,
    parse=parse,
    verify=None,
)
