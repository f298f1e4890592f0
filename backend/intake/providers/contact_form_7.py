"""Contact Form 7 through the "CF7 to Webhook" plugin: JSON keyed by CF7 tag names, unsigned.

Source: mariovalney/cf7-to-zapier `modules/cf7/class-module-cf7.php`. Tag names such as
"your-email" or "date-123" are the keys; the numeric suffix CF7 adds to generated tags
is dropped for matching ("date-123" matches "date"). Special mail tags (`_date`,
`_remote_ip`…) are submission metadata, never answers. CF7 sends no id, so submissions
are deduplicated by content; a secret is checked as the URL's `token` query parameter.
"""

import re

from backend.intake.providers.base import Answer, Delivery, Provider, ProviderSubmission
from backend.intake.providers.wordpress import WORDPRESS_MEDIA_TYPES, decode_wordpress_body

_GENERATED_SUFFIX = re.compile(r"-\d+$")


def parse(delivery: Delivery) -> ProviderSubmission:
    body = decode_wordpress_body(delivery, "Contact Form 7")
    answers = []
    metadata = {}
    for key, value in body.items():
        if key.startswith("_"):
            metadata[key] = value
            continue
        answers.append(Answer(_GENERATED_SUFFIX.sub("", key), key, value))
    return ProviderSubmission(answers=answers, submission_id=None, metadata=metadata)


PROVIDER = Provider(
    name="contact-form-7",
    title="Contact Form 7",
    media_types=WORDPRESS_MEDIA_TYPES,
    parse=parse,
    verify=None,
    deduplicate_by_content=True,
)
