"""Clients in Notion: find one by email (or phone), create it when absent, fill gaps."""

from dataclasses import asdict, dataclass
from typing import Any

import structlog

from backend.integrations import notion_properties as props
from backend.integrations.locks import KeyLock
from backend.integrations.workspace import Workspace

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ClientRecord:
    """A client page and whether this call created it."""

    page_id: str
    url: str
    name: str
    email: str | None
    phone: str | None
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lookup_filter(email: str | None, phone: str | None, submission_id: str) -> tuple[str, dict]:
    """Return the identity key and Notion filter used to find the client."""
    if email:
        return f"email:{email}", props.text_equals("Email", "email", email)
    if phone:
        return f"phone:{phone}", props.text_equals("Téléphone", "phone_number", phone)
    # No way to recognise a returning client: one client page per submission.
    return f"submission:{submission_id}", props.text_equals(
        "Soumission", "rich_text", submission_id
    )


async def find_or_create_client(
    workspace: Workspace,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    address: str | None,
    submission_id: str,
    lock: KeyLock,
) -> ClientRecord:
    """Return the client with this email (or phone), creating or completing its page.

    Emails are stored lower-case, so an exact `equals` filter finds a client whatever
    case the form used. The lock keeps two concurrent runs from creating the same client.
    """
    key, query_filter = _lookup_filter(email, phone, submission_id)
    properties = {
        "Nom": props.title(name),
        "Email": props.email(email),
        "Téléphone": props.phone(phone),
        "Adresse": props.rich_text(address),
        "Soumission": props.rich_text(submission_id),
    }

    async def find() -> dict[str, Any] | None:
        return await workspace.notion.find_one(workspace.clients_data_source_id, query_filter)

    async with lock(f"client:{key}"):
        page, created = await workspace.notion.create_page_once(
            workspace.clients_data_source_id, properties, find=find
        )
        if not created:
            await _fill_missing_fields(workspace, page, phone=phone, address=address)
    log.info("client.created" if created else "client.found", client_page_id=page["id"])
    return _record(page, created=created)


async def _fill_missing_fields(
    workspace: Workspace, page: dict[str, Any], *, phone: str | None, address: str | None
) -> None:
    updates: dict[str, Any] = {}
    if phone and not props.read_value(page, "Téléphone"):
        updates["Téléphone"] = props.phone(phone)
    if address and not props.read_plain_text(page, "Adresse"):
        updates["Adresse"] = props.rich_text(address)
    if updates:
        await workspace.notion.update_page(page["id"], updates)
        log.info("client.completed", client_page_id=page["id"], fields=sorted(updates))


def _record(page: dict[str, Any], *, created: bool) -> ClientRecord:
    return ClientRecord(
        page_id=page["id"],
        url=page.get("url", ""),
        name=props.read_plain_text(page, "Nom"),
        email=props.read_value(page, "Email"),
        phone=props.read_value(page, "Téléphone"),
        created=created,
    )
