"""How a validated inquiry is shown to people: email, calendar text, quote sheet values."""

from datetime import date, datetime
from decimal import Decimal

from backend.graph.state import IntakeState
from backend.intake.validation import ValidatedInquiry
from backend.integrations.quote_sheet_content import QuoteSheetContent, SheetLine
from backend.integrations.summary_email import EmailLine, SummaryEmail

FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
FRENCH_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

STEP_LABELS = {
    "upsert_client": "la fiche client Notion n'a pas pu être créée",
    "create_prestation": "la prestation Notion n'a pas pu être créée",
    "create_quote_lines": "les lignes de devis Notion n'ont pas pu être créées",
    "fill_quote_sheet": "le devis (Google Sheets) n'a pas pu être préparé",
    "create_calendar_event": "l'événement d'agenda est manquant",
}


def french_date(day: date) -> str:
    return f"{FRENCH_WEEKDAYS[day.weekday()]} {day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def euros(amount: Decimal | str) -> str:
    """Format an amount the French way: 4 676,00."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    whole, _, cents = f"{value:,.2f}".partition(".")
    return f"{whole.replace(',', ' ')},{cents}"


def plain_number(value: Decimal | str) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


def event_when(validated: ValidatedInquiry) -> str:
    inquiry = validated.inquiry
    if inquiry.event_date is None:
        return "date à confirmer"
    text = french_date(inquiry.event_date)
    event = validated.event
    if event is not None and isinstance(event.start, datetime):
        end = event.end
        text += f", {event.start:%Hh%M} – {end:%Hh%M}" if isinstance(end, datetime) else ""
    else:
        text += " (journée entière, horaire à confirmer)"
    return text


def guests_text(validated: ValidatedInquiry) -> str:
    inquiry = validated.inquiry
    if inquiry.guests is None:
        return "à préciser"
    return f"{inquiry.guests} (estimation)" if inquiry.guests_is_estimate else str(inquiry.guests)


def _links(state: IntakeState) -> dict[str, str]:
    links: dict[str, str] = {}
    candidates = (
        ("Prestation (Notion)", state.get("prestation")),
        ("Client (Notion)", state.get("client")),
        ("Devis (Google Sheets)", state.get("sheet")),
        ("Événement (Google Agenda)", state.get("event")),
    )
    for label, record in candidates:
        if record and record.get("url"):
            links[label] = record["url"]
    return links


def email_summary(validated: ValidatedInquiry, state: IntakeState) -> SummaryEmail:
    inquiry = validated.inquiry
    quote = validated.quote
    client = state.get("client") or {}
    failed = [error for error in state.get("errors", []) if error["step"] in STEP_LABELS]
    return SummaryEmail(
        prestation_name=validated.prestation_name,
        needs_review=validated.needs_review,
        client_name=inquiry.client_name,
        client_email=inquiry.email,
        client_phone=inquiry.phone,
        client_status="client existant" if client and not client.get("created") else (
            "nouveau client" if client else "fiche client non créée"
        ),
        event_when=event_when(validated),
        event_place=inquiry.address or "",
        guests=guests_text(validated),
        message=inquiry.message or "",
        lines=[
            EmailLine(
                label=line.label,
                quantity=plain_number(line.quantity),
                unit_price=euros(line.unit_price),
                vat_rate=plain_number(line.vat_rate),
                total_ht=euros(line.total_ht),
            )
            for line in quote.lines
        ],
        total_ht=euros(quote.total_ht),
        vat_by_rate={
            plain_number(rate): euros(amount) for rate, amount in quote.vat_by_rate.items()
        },
        total_ttc=euros(quote.total_ttc),
        problems=[problem.message for problem in validated.problems],
        links=_links(state),
        missing=[f"{STEP_LABELS[error['step']]} ({error['message']})" for error in failed],
    )


def calendar_description(validated: ValidatedInquiry, state: IntakeState) -> str:
    inquiry = validated.inquiry
    lines = [
        f"Client : {inquiry.client_name}",
        f"Email : {inquiry.email or 'non renseigné'}",
        f"Téléphone : {inquiry.phone or 'non renseigné'}",
        f"Convives : {guests_text(validated)}",
        f"Total TTC : {euros(validated.quote.total_ttc)} €",
    ]
    if validated.problems:
        problems = " ; ".join(problem.message for problem in validated.problems)
        lines.append(f"À vérifier : {problems}")
    prestation = state.get("prestation") or {}
    if prestation.get("url"):
        lines.append(f"Prestation : {prestation['url']}")
    return "\n".join(lines)


def sheet_content(validated: ValidatedInquiry) -> QuoteSheetContent:
    inquiry = validated.inquiry
    quote = validated.quote
    return QuoteSheetContent(
        reference=inquiry.submission_id,
        issued_on=inquiry.submitted_at.date(),
        client_name=inquiry.client_name,
        client_email=inquiry.email or "",
        client_phone=inquiry.phone or "",
        client_address=inquiry.address or "",
        event_name=validated.prestation_name,
        event_date=event_when(validated),
        event_place=inquiry.address or "",
        guests=inquiry.guests,
        lines=[
            SheetLine(line.label, line.quantity, line.unit_price, line.vat_rate, line.total_ht)
            for line in quote.lines
        ],
        total_ht=quote.total_ht,
        vat_by_rate={str(rate): amount for rate, amount in quote.vat_by_rate.items()},
        total_ttc=quote.total_ttc,
    )
