"""Gmail v1 routes: users.messages send, get and list (with search), users.getProfile."""

import base64
import binascii
import secrets
import shlex
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.emulator.errors import GoogleError, bad_request
from backend.emulator.google_common import google_body, routes_under, store_of
from backend.emulator.store import Store

log = structlog.get_logger(__name__)

API = "gmail.v1"
LIST_MAX_RESULTS = 500
SNIPPET_CHARS = 200


def _mailbox(store: Store, user_id: str) -> str:
    """Return the mailbox address for `me` or an address the emulator holds; else 403."""
    mailboxes = [doc["email"] for doc in store.documents("gmail_mailbox")]
    if user_id == "me" and mailboxes:
        return mailboxes[0]
    if user_id in mailboxes:
        return user_id
    raise GoogleError(403, f"Delegation denied for {user_id}", reason="forbidden", domain="global")


def _decode_raw(raw: Any) -> bytes:
    if not isinstance(raw, str) or not raw:
        raise GoogleError(
            400,
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
            reason="invalidArgument",
        )
    try:
        # Gmail documents base64url; standard base64 characters are accepted too.
        text = raw.strip().rstrip("=").replace("+", "-").replace("/", "_")
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as error:
        raise bad_request(
            f"Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for "
            f'"{raw[:40]}"'
        ) from error


def _part_text(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    return str(part.get_content())


def _thread_of(store: Store, message: EmailMessage, thread_id: Any) -> str | None:
    stored = store.documents("gmail_message")
    if isinstance(thread_id, str) and any(doc["threadId"] == thread_id for doc in stored):
        return thread_id
    references = f"{message.get('In-Reply-To', '')} {message.get('References', '')}".split()
    for doc in stored:
        if doc["message_id"] in references:
            return doc["threadId"]
    return None


async def messages_send(request: Request) -> Response:
    body = await google_body(request, API, "users.messages.send")
    store = store_of(request)
    mailbox = _mailbox(store, request.path_params["userId"])
    data = _decode_raw(body.get("raw"))
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    if not any(message.get(name) for name in ("To", "Cc", "Bcc")):
        raise GoogleError(400, "Recipient address required", reason="invalidArgument")
    # Gmail fills in a missing From and Message-ID before it sends.
    completed = False
    if not message.get("From"):
        message["From"] = mailbox
        completed = True
    if not message.get("Message-ID"):
        message["Message-ID"] = make_msgid(domain="mail.gmail.com")
        completed = True
    if completed:
        data = message.as_bytes()

    text = _part_text(message, "plain")
    html = _part_text(message, "html")
    message_id = str(message["Message-ID"]).strip()
    with store.transaction():
        new_id = secrets.token_hex(8)
        thread_id = _thread_of(store, message, body.get("threadId")) or new_id
        recipients = " ".join(str(message.get(name, "")) for name in ("To", "Cc", "Bcc"))
        labels = ["SENT"] + (["INBOX", "UNREAD"] if mailbox in recipients else [])
        doc = {
            "id": new_id,
            "threadId": thread_id,
            "labelIds": labels,
            "mailbox": mailbox,
            "message_id": message_id,
            "subject": str(message.get("Subject", "")),
            "from": str(message.get("From", "")),
            "to": str(message.get("To", "")),
            "cc": str(message.get("Cc", "")),
            "bcc": str(message.get("Bcc", "")),
            "text": text,
            "html": html,
            "snippet": " ".join((text or html).split())[:SNIPPET_CHARS],
            "internalDate": str(int(time.time() * 1000)),
            "sizeEstimate": len(data),
            "raw": base64.urlsafe_b64encode(data).decode(),
        }
        store.put("gmail_message", new_id, doc, parent=mailbox)
    log.info(
        "emulator.gmail.message_sent",
        gmail_id=new_id,
        message_id=message_id,
        recipients=len(recipients.split(",")),
    )
    return JSONResponse({"id": new_id, "threadId": thread_id, "labelIds": labels})


def _headers(message: EmailMessage, only: list[str] | None = None) -> list[dict[str, str]]:
    wanted = {name.lower() for name in only} if only else None
    return [
        {"name": name, "value": str(value)}
        for name, value in message.items()
        if wanted is None or name.lower() in wanted
    ]


def _payload(part: EmailMessage, part_id: str = "") -> dict[str, Any]:
    payload: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": _headers(part),
    }
    if part.is_multipart():
        payload["body"] = {"size": 0}
        children = list(part.iter_parts())
        payload["parts"] = [
            _payload(child, f"{part_id}.{index}" if part_id else str(index))
            for index, child in enumerate(children)
            if isinstance(child, EmailMessage)
        ]
    else:
        content = part.get_payload(decode=True) or b""
        payload["body"] = {
            "size": len(content),
            "data": base64.urlsafe_b64encode(content).decode(),
        }
    return payload


def render_message(doc: dict[str, Any], format_: str, metadata_headers: list[str]) -> dict:
    """Return a Message resource in the `minimal`, `metadata`, `full` or `raw` format."""
    result: dict[str, Any] = {
        "id": doc["id"],
        "threadId": doc["threadId"],
        "labelIds": doc["labelIds"],
        "snippet": doc["snippet"],
        "sizeEstimate": doc["sizeEstimate"],
        "internalDate": doc["internalDate"],
        "historyId": doc["internalDate"],
    }
    if format_ == "raw":
        result["raw"] = doc["raw"]
        return result
    if format_ == "minimal":
        return result
    raw = base64.urlsafe_b64decode(doc["raw"])
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    if format_ == "metadata":
        result["payload"] = {
            "mimeType": message.get_content_type(),
            "headers": _headers(message, metadata_headers or None),
        }
    else:
        result["payload"] = _payload(message)
    return result


async def messages_get(request: Request) -> Response:
    store = store_of(request)
    mailbox = _mailbox(store, request.path_params["userId"])
    format_ = request.query_params.get("format", "full")
    if format_ not in ("minimal", "metadata", "full", "raw"):
        raise bad_request(f"Invalid format: {format_}; use minimal, metadata, full or raw.")
    doc = store.get("gmail_message", request.path_params["id"])
    if doc is None or doc.get("mailbox") != mailbox:
        raise GoogleError(404, "Requested entity was not found.", reason="notFound")
    headers = request.query_params.getlist("metadataHeaders")
    return JSONResponse(render_message(doc, format_, headers))


def _term_matches(doc: dict[str, Any], key: str, value: str) -> bool:
    folded = value.casefold()
    if key == "rfc822msgid":
        return doc["message_id"].strip("<>") == value.strip("<>")
    if key in ("to", "from", "cc", "bcc", "subject"):
        return folded in doc[key].casefold()
    if key in ("in", "label"):
        return folded.upper() in doc["labelIds"]
    text = " ".join(doc[field] for field in ("subject", "from", "to", "text"))
    return folded in text.casefold()


def _search(docs: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """Filter messages by a Gmail search; unknown operators are matched as free text."""
    try:
        terms = shlex.split(query)
    except ValueError as error:
        raise bad_request(f"Invalid search query: {query}") from error
    parsed = []
    for term in terms:
        key, sep, value = term.partition(":")
        parsed.append((key.lower(), value) if sep and value else ("", term))
    return [doc for doc in docs if all(_term_matches(doc, key, value) for key, value in parsed)]


async def messages_list(request: Request) -> Response:
    store = store_of(request)
    mailbox = _mailbox(store, request.path_params["userId"])
    params = request.query_params
    docs = list(reversed(store.documents("gmail_message", parent=mailbox)))
    docs = _search(docs, params.get("q", ""))
    for label in params.getlist("labelIds"):
        docs = [doc for doc in docs if label in doc["labelIds"]]
    limit = min(int(params.get("maxResults", "100")), LIST_MAX_RESULTS)
    offset = int(params.get("pageToken", "0"))
    chunk = docs[offset : offset + limit]
    result: dict[str, Any] = {"resultSizeEstimate": len(docs)}
    if chunk:
        result["messages"] = [{"id": doc["id"], "threadId": doc["threadId"]} for doc in chunk]
    if offset + limit < len(docs):
        result["nextPageToken"] = str(offset + limit)
    return JSONResponse(result)


async def users_get_profile(request: Request) -> Response:
    store = store_of(request)
    mailbox = _mailbox(store, request.path_params["userId"])
    docs = store.documents("gmail_message", parent=mailbox)
    return JSONResponse(
        {
            "emailAddress": mailbox,
            "messagesTotal": len(docs),
            "threadsTotal": len({doc["threadId"] for doc in docs}),
            "historyId": str(int(time.time() * 1000)),
        }
    )


# Gmail's discovery paths start with `gmail/v1/`, so a client whose endpoint is
# `<emulator>/gmail/v1/` calls `/gmail/v1/gmail/v1/users/...`; Google's own layout is
# served too.
ROUTES = routes_under(
    ("/gmail/v1/gmail/v1/users/{userId}", "/gmail/v1/users/{userId}"),
    [
        ("/profile", users_get_profile, ["GET"]),
        ("/messages", messages_list, ["GET"]),
        ("/messages/send", messages_send, ["POST"]),
        ("/messages/{id}", messages_get, ["GET"]),
    ],
)
