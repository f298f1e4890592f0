"""deme's own JSON format, the format of `examples/inquiries/*.json`, posted to /webhooks/form.

The body already is the generic form dict. It carries no signature scheme of its own:
with a secret set, the sender adds it as the `token` query parameter.
"""

from backend.intake.providers.base import Delivery, Provider, ProviderSubmission, text_or_none
from backend.intake.providers.bodies import JSON_TYPES, decode_json_object


def parse(delivery: Delivery) -> ProviderSubmission:
    form = decode_json_object(delivery)
    return ProviderSubmission(
        answers=[],
        submission_id=(text_or_none(form.get("submission_id")) or "").strip() or None,
        submitted_at=text_or_none(form.get("submitted_at")),
        form=form,
    )


PROVIDER = Provider(
    name="form",
    title="deme's JSON form",
    media_types=JSON_TYPES | {"text/plain"},
    parse=parse,
    verify=None,
    # `deme run` and older senders post without a Content-Type header.
    accepts_missing_content_type=True,
)
