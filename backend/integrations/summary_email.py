"""The summary email sent to the business inbox for each inquiry (French, text + HTML)."""

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape


@dataclass(frozen=True)
class EmailLine:
    label: str
    quantity: str
    unit_price: str
    vat_rate: str
    total_ht: str


@dataclass(frozen=True)
class SummaryEmail:
    """What the email says; amounts are display strings already."""

    prestation_name: str
    needs_review: bool
    client_name: str
    client_email: str | None
    client_phone: str | None
    client_status: str  # "nouveau client" or "client existant"
    event_when: str
    event_place: str
    guests: str
    message: str
    lines: list[EmailLine]
    total_ht: str
    vat_by_rate: dict[str, str]
    total_ttc: str
    problems: list[str]
    links: dict[str, str]  # label -> URL
    missing: list[str] = field(default_factory=list)  # steps that failed, in plain French


def message_id_for(submission_id: str, domain: str) -> str:
    """Return a Message-ID derived from the submission, so a resend can be detected."""
    digest = hashlib.sha256(submission_id.encode("utf-8")).hexdigest()[:32]
    return f"<deme-{digest}@{domain}>"


def subject_for(summary: SummaryEmail) -> str:
    prefix = "[À vérifier] " if summary.needs_review else ""
    return f"{prefix}Nouvelle demande : {summary.prestation_name}"


def compose(
    summary: SummaryEmail,
    *,
    sender_name: str,
    sender_email: str,
    recipients: list[str],
    message_id: str,
    sent_at: datetime,
) -> EmailMessage:
    """Build the multipart message; the email package encodes accented headers (RFC 2047)."""
    message = EmailMessage()
    message["Subject"] = subject_for(summary)
    message["From"] = Address(display_name=sender_name, addr_spec=sender_email)
    message["To"] = ", ".join(recipients)
    if summary.client_email:
        message["Reply-To"] = Address(
            display_name=summary.client_name, addr_spec=summary.client_email
        )
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(sent_at)
    message.set_content(_text_body(summary))
    message.add_alternative(_html_body(summary), subtype="html")
    return message


def encode_for_gmail(message: EmailMessage) -> str:
    """Return the base64url form Gmail's messages.send takes in `raw`."""
    return base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")


def _text_body(summary: SummaryEmail) -> str:
    parts = [
        f"Nouvelle demande : {summary.prestation_name}",
        "",
        f"Client : {summary.client_name} ({summary.client_status})",
        f"Email : {summary.client_email or 'non renseigné'}",
        f"Téléphone : {summary.client_phone or 'non renseigné'}",
        "",
        f"Date : {summary.event_when}",
        f"Lieu : {summary.event_place or 'non renseigné'}",
        f"Convives : {summary.guests}",
        "",
        "Devis :",
    ]
    for line in summary.lines:
        parts.append(
            f"  - {line.label} : {line.quantity} × {line.unit_price} € HT "
            f"(TVA {line.vat_rate} %) = {line.total_ht} € HT"
        )
    parts.append(f"Total HT : {summary.total_ht} €")
    for rate, amount in summary.vat_by_rate.items():
        parts.append(f"TVA {rate} % : {amount} €")
    parts.append(f"Total TTC : {summary.total_ttc} €")
    if summary.problems:
        parts += ["", "Points à vérifier :"] + [f"  - {problem}" for problem in summary.problems]
    if summary.missing:
        parts += ["", "Étapes en échec :"] + [f"  - {item}" for item in summary.missing]
    if summary.message:
        parts += ["", "Message du client :", summary.message]
    if summary.links:
        parts += ["", "Liens :"] + [f"  - {label} : {url}" for label, url in summary.links.items()]
    return "\n".join(parts) + "\n"


def _html_body(summary: SummaryEmail) -> str:
    rows = "".join(
        f"<tr><td>{escape(line.label)}</td><td>{escape(line.quantity)}</td>"
        f"<td>{escape(line.unit_price)} €</td><td>{escape(line.vat_rate)} %</td>"
        f"<td>{escape(line.total_ht)} €</td></tr>"
        for line in summary.lines
    )
    vat_rows = "".join(
        f"<tr><td colspan='4'>TVA {escape(rate)} %</td><td>{escape(amount)} €</td></tr>"
        for rate, amount in summary.vat_by_rate.items()
    )

    def bullet_list(title: str, items: list[str]) -> str:
        if not items:
            return ""
        bullets = "".join(f"<li>{escape(item)}</li>" for item in items)
        return f"<h3>{escape(title)}</h3><ul>{bullets}</ul>"

    links = "".join(
        f"<li><a href='{escape(url, quote=True)}'>{escape(label)}</a></li>"
        for label, url in summary.links.items()
    )
    message = (
        f"<h3>Message du client</h3><blockquote>{escape(summary.message)}</blockquote>"
        if summary.message
        else ""
    )
    return (
        "<html><body>"
        f"<h2>{escape(subject_for(summary))}</h2>"
        f"<p><b>Client :</b> {escape(summary.client_name)} ({escape(summary.client_status)})<br>"
        f"<b>Email :</b> {escape(summary.client_email or 'non renseigné')}<br>"
        f"<b>Téléphone :</b> {escape(summary.client_phone or 'non renseigné')}</p>"
        f"<p><b>Date :</b> {escape(summary.event_when)}<br>"
        f"<b>Lieu :</b> {escape(summary.event_place or 'non renseigné')}<br>"
        f"<b>Convives :</b> {escape(summary.guests)}</p>"
        "<table border='1' cellpadding='4' cellspacing='0'>"
        "<tr><th>Désignation</th><th>Quantité</th><th>Prix unitaire HT</th><th>TVA</th>"
        "<th>Total HT</th></tr>"
        f"{rows}<tr><td colspan='4'><b>Total HT</b></td><td>{escape(summary.total_ht)} €</td></tr>"
        f"{vat_rows}<tr><td colspan='4'><b>Total TTC</b></td>"
        f"<td><b>{escape(summary.total_ttc)} €</b></td></tr></table>"
        f"{bullet_list('Points à vérifier', summary.problems)}"
        f"{bullet_list('Étapes en échec', summary.missing)}"
        f"{message}"
        f"<h3>Liens</h3><ul>{links}</ul>"
        "</body></html>"
    )
