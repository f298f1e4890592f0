"""Send the summary email once per submission, even across crashes and reruns.

The Message-ID is derived from the submission. Before each send attempt, Gmail is
searched for it (`rfc822msgid:`), so a message sent just before a crash or a lost
response is found, not sent again.
"""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from backend.integrations import summary_email
from backend.integrations.workspace import Workspace

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class EmailRecord:
    """A sent message and whether this call sent it."""

    message_id: str
    rfc822_message_id: str
    recipients: list[str]
    subject: str
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def send_summary(
    workspace: Workspace, *, submission_id: str, summary: summary_email.SummaryEmail
) -> tuple[EmailRecord, bytes]:
    """Send the summary to the business inbox unless Gmail already has it.

    Returns the record and the message as sent (RFC 2822 bytes); for a message found
    in Gmail, the bytes are Gmail's copy, not a recomposed one.
    """
    domain = workspace.business_email.rpartition("@")[2] or "deme.local"
    rfc822_id = summary_email.message_id_for(submission_id, domain)
    recipients = [workspace.business_email]
    message = summary_email.compose(
        summary,
        sender_name=workspace.business_name,
        sender_email=workspace.business_email,
        recipients=recipients,
        message_id=rfc822_id,
        sent_at=datetime.now(UTC),
    )
    subject = summary_email.subject_for(summary)

    gmail_id, created = await workspace.google.send_message_once(
        summary_email.encode_for_gmail(message), rfc822_message_id=rfc822_id
    )
    record = EmailRecord(gmail_id, rfc822_id, recipients, subject, created=created)
    if created:
        log.info("email.sent", gmail_message_id=gmail_id)
        return record, message.as_bytes()
    log.info("email.found", gmail_message_id=gmail_id)
    return record, await workspace.google.get_raw_message(gmail_id)
