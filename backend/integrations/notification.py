"""Send the summary email once per submission, even across crashes and reruns.

The Message-ID is derived from the submission. Before sending, Gmail is searched for
it (`rfc822msgid:`), so a message sent just before a crash is found, not sent again.
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

    existing = await workspace.google.find_message_ids(f"rfc822msgid:{rfc822_id}")
    if existing:
        log.info("email.found", gmail_message_id=existing[0])
        sent_bytes = await workspace.google.get_raw_message(existing[0])
        record = EmailRecord(existing[0], rfc822_id, recipients, subject, created=False)
        return record, sent_bytes

    sent = await workspace.google.send_message(summary_email.encode_for_gmail(message))
    log.info("email.sent", gmail_message_id=sent["id"])
    record = EmailRecord(sent["id"], rfc822_id, recipients, subject, created=True)
    return record, message.as_bytes()
