"""Gmail routes through google-api-python-client over HTTP."""

import base64
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from googleapiclient.errors import HttpError

from backend.emulator import RunningEmulator


@pytest.fixture(scope="module")
def gmail(google):
    return google("gmail", "v1")


def quote_email(message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "Devis prestation – réception à Lyon"
    message["From"] = "Traiteur deme <contact@traiteur.example>"
    message["To"] = '"Amélie Dubois-Nguyen" <amelie@exemple.fr>'
    message["Message-ID"] = message_id
    message.set_content("Bonjour Amélie,\nvoici votre devis.")
    message.add_alternative("<p>Bonjour Amélie,<br>voici votre <b>devis</b>.</p>", subtype="html")
    return message


def encode(message: EmailMessage) -> str:
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def test_send_decodes_message(gmail, emulator: RunningEmulator):
    message_id = make_msgid(domain="deme.test")

    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": encode(quote_email(message_id))})
        .execute()
    )

    stored = next(item for item in emulator.store.sent_messages() if item.id == sent["id"])
    assert sent["labelIds"] == ["SENT"]
    assert sent["threadId"] == sent["id"]
    assert stored.subject == "Devis prestation – réception à Lyon"
    assert "Amélie Dubois-Nguyen" in stored.to
    assert "<amelie@exemple.fr>" in stored.to
    assert stored.message_id == message_id
    assert stored.text.startswith("Bonjour Amélie,")
    assert "<b>devis</b>" in stored.html
    assert b"Subject: Devis prestation =?utf-8?" in stored.as_eml()


def test_list_by_rfc822msgid(gmail):
    message_id = make_msgid(domain="deme.test")
    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": encode(quote_email(message_id))})
        .execute()
    )

    found = gmail.users().messages().list(userId="me", q=f"rfc822msgid:{message_id}").execute()
    bare = (
        gmail.users()
        .messages()
        .list(userId="me", q=f"rfc822msgid:{message_id.strip('<>')}")
        .execute()
    )
    missing = (
        gmail.users()
        .messages()
        .list(userId="me", q=f"rfc822msgid:<{uuid.uuid4()}@deme.test>")
        .execute()
    )

    assert found["messages"] == [{"id": sent["id"], "threadId": sent["threadId"]}]
    assert bare["messages"] == found["messages"]
    assert missing == {"resultSizeEstimate": 0}


def test_list_by_to_and_subject(gmail):
    tag = uuid.uuid4().hex[:10]
    message = quote_email(make_msgid(domain="deme.test"))
    message.replace_header("Subject", f"Devis {tag}")
    message.replace_header("To", f"client-{tag}@exemple.fr")
    gmail.users().messages().send(userId="me", body={"raw": encode(message)}).execute()

    by_to = gmail.users().messages().list(userId="me", q=f"to:client-{tag}@exemple.fr").execute()
    by_subject = gmail.users().messages().list(userId="me", q=f'subject:"Devis {tag}"').execute()

    assert by_to["resultSizeEstimate"] == 1
    assert by_subject["resultSizeEstimate"] == 1


def test_get_formats(gmail):
    message_id = make_msgid(domain="deme.test")
    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": encode(quote_email(message_id))})
        .execute()
    )

    full = gmail.users().messages().get(userId="me", id=sent["id"]).execute()
    metadata = (
        gmail.users()
        .messages()
        .get(userId="me", id=sent["id"], format="metadata", metadataHeaders=["Subject"])
        .execute()
    )
    raw = gmail.users().messages().get(userId="me", id=sent["id"], format="raw").execute()

    assert full["payload"]["mimeType"] == "multipart/alternative"
    assert [part["mimeType"] for part in full["payload"]["parts"]] == ["text/plain", "text/html"]
    assert metadata["payload"]["headers"] == [
        {"name": "Subject", "value": "Devis prestation – réception à Lyon"}
    ]
    assert base64.urlsafe_b64decode(raw["raw"]).startswith(b"Subject:")


def test_send_without_message_id_gets_one(gmail, emulator: RunningEmulator):
    message = EmailMessage()
    message["To"] = "amelie@exemple.fr"
    message["Subject"] = "Sans identifiant"
    message.set_content("x")

    sent = gmail.users().messages().send(userId="me", body={"raw": encode(message)}).execute()

    stored = next(item for item in emulator.store.sent_messages() if item.id == sent["id"])
    assert stored.message_id.endswith("@mail.gmail.com>")
    assert stored.sender == "contact@traiteur.example"
    assert b"Message-ID:" in stored.as_eml()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "'raw' RFC822 payload message string"),
        ({"raw": "%%%"}, "Base64 decoding failed"),
        (
            {"raw": base64.urlsafe_b64encode(b"Subject: x\r\n\r\nno recipient").decode()},
            "Recipient address required",
        ),
    ],
)
def test_send_invalid_raw_400(gmail, body: dict, fragment: str):
    with pytest.raises(HttpError) as raised:
        gmail.users().messages().send(userId="me", body=body).execute()

    assert raised.value.resp.status == 400
    assert fragment in str(raised.value)


def test_other_user_403(gmail):
    with pytest.raises(HttpError) as raised:
        gmail.users().messages().list(userId="someone@else.example").execute()

    assert raised.value.resp.status == 403
