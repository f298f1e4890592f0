"""Form providers: each form builder's payload, signature and submission id.

`PROVIDERS` lists every provider by the name used in `POST /webhooks/{provider}`.
`read_form` turns a stored or incoming delivery into the generic form dict that
`validate_inquiry` reads, so the webhook and the pipeline read a body the same way.
"""

from collections.abc import Mapping

from backend.intake.errors import InvalidPayloadError
from backend.intake.providers import (
    contact_form_7,
    elementor,
    fillout,
    formspree,
    framer,
    generic,
    google_forms,
    jotform,
    netlify,
    tally,
    typeform,
    webflow,
    wpforms,
)
from backend.intake.providers.base import (
    Answer,
    Delivery,
    NotAnInquiryError,
    Provider,
    ProviderSubmission,
    SignatureError,
    UnsupportedContentTypeError,
)
from backend.intake.providers.mapping import FieldMapping, FormMappings, build_form
from backend.intake.validation import without_unstorable_characters

PROVIDERS: dict[str, Provider] = {
    module.PROVIDER.name: module.PROVIDER
    for module in (
        generic, tally, typeform, webflow, framer, fillout, jotform, wpforms,
        contact_form_7, elementor, formspree, netlify, google_forms,
    )
}  # fmt: skip

# Key under which the stored headers keep the webhook URL's form segment.
FORM_HEADER = "x-deme-form"


def get_provider(name: str) -> Provider:
    """Return the provider called `name`; raises KeyError listing the known names."""
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise KeyError(f"unknown form provider {name!r}: expected one of {known}") from None


def read_delivery(
    provider: Provider, delivery: Delivery, mapping: FieldMapping
) -> tuple[ProviderSubmission, dict]:
    """Parse a delivery and map its answers; return the submission and its form dict.

    Raises InvalidPayloadError for a body that cannot be read, NotAnInquiryError for a
    valid delivery without a finished inquiry.
    """
    submission = provider.parse(delivery)
    if submission.form is not None:
        return submission, submission.form
    form = build_form(
        submission.answers,
        mapping,
        submission_id=submission.submission_id,
        submitted_at=submission.submitted_at,
    )
    return submission, form


def read_stored_form(
    *,
    provider: str,
    raw_body: bytes,
    content_type: str,
    headers: Mapping[str, str],
    mappings: FormMappings,
) -> dict:
    """Return the generic form dict of a stored submission (its row's columns).

    The pipeline calls this in place of `parse_payload(raw_body)`, so a Jotform body or
    a Tally event becomes the same dict the webhook validated when it stored it.
    """
    lowered = {name.lower(): str(value) for name, value in headers.items()}
    delivery = Delivery(raw_body=raw_body, content_type=content_type, headers=lowered)
    mapping = mappings.for_form(provider, lowered.get(FORM_HEADER))
    try:
        _submission, form = read_delivery(get_provider(provider), delivery, mapping)
    except NotAnInquiryError as error:
        raise InvalidPayloadError(str(error)) from error
    return without_unstorable_characters(form)


__all__ = [
    "FORM_HEADER",
    "PROVIDERS",
    "Answer",
    "Delivery",
    "FieldMapping",
    "FormMappings",
    "NotAnInquiryError",
    "Provider",
    "ProviderSubmission",
    "SignatureError",
    "UnsupportedContentTypeError",
    "get_provider",
    "read_delivery",
    "read_stored_form",
]
