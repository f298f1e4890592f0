"""Shape of the workspace deme writes to: Notion data sources and the quote sheet.

One definition serves the pipeline (property names it writes), the emulator (what it
bootstraps) and, later, `deme setup` and `deme doctor` (what they create and check).
Property types use Notion's names (API version 2025-09-03).
"""

from dataclasses import dataclass, field

# Select options of the Prestations "Statut" property, in the caterer's words.
STATUS_NEW = "Nouvelle demande"
STATUS_TO_REVIEW = "À vérifier"
STATUS_QUOTE_SENT = "Devis envoyé"
STATUS_CONFIRMED = "Confirmée"
STATUS_CANCELLED = "Annulée"
PRESTATION_STATUSES = (
    STATUS_NEW,
    STATUS_TO_REVIEW,
    STATUS_QUOTE_SENT,
    STATUS_CONFIRMED,
    STATUS_CANCELLED,
)


@dataclass(frozen=True)
class NotionProperty:
    """One property of a data source: its name, Notion type and type options."""

    name: str
    type: str
    options: tuple[str, ...] = ()
    relation_to: str | None = None  # key of the target data source in DATA_SOURCES


@dataclass(frozen=True)
class DataSourceSchema:
    """A data source deme owns, keyed by a stable name used in settings."""

    key: str
    title: str
    properties: tuple[NotionProperty, ...] = field(default_factory=tuple)

    def property(self, name: str) -> NotionProperty:
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(f"data source {self.title!r} has no property {name!r}")


CLIENTS = DataSourceSchema(
    key="clients",
    title="Clients",
    properties=(
        NotionProperty("Nom", "title"),
        NotionProperty("Email", "email"),
        NotionProperty("Téléphone", "phone_number"),
        NotionProperty("Adresse", "rich_text"),
        # Idempotency key for a client that has neither email nor phone.
        NotionProperty("Soumission", "rich_text"),
    ),
)

PRESTATIONS = DataSourceSchema(
    key="prestations",
    title="Prestations",
    properties=(
        NotionProperty("Nom", "title"),
        NotionProperty("Client", "relation", relation_to="clients"),
        NotionProperty("Type", "select"),
        NotionProperty("Date", "date"),
        NotionProperty("Convives", "number"),
        NotionProperty("Statut", "select", options=PRESTATION_STATUSES),
        NotionProperty("Options", "multi_select"),
        NotionProperty("Adresse", "rich_text"),
        NotionProperty("Message", "rich_text"),
        NotionProperty("Problèmes", "rich_text"),
        NotionProperty("Devis", "url"),
        NotionProperty("Événement", "url"),
        NotionProperty("Total HT", "number"),
        NotionProperty("Total TTC", "number"),
        # Idempotency key: the submission id, so a re-executed step finds its page.
        NotionProperty("Soumission", "rich_text"),
    ),
)

QUOTE_LINES = DataSourceSchema(
    key="quote_lines",
    title="Lignes de devis",
    properties=(
        NotionProperty("Libellé", "title"),
        NotionProperty("Prestation", "relation", relation_to="prestations"),
        NotionProperty("Article", "rich_text"),
        NotionProperty("Ligne", "number"),
        NotionProperty("Quantité", "number"),
        NotionProperty("Prix unitaire HT", "number"),
        NotionProperty("TVA", "number"),
        NotionProperty("Total HT", "number"),
        # Idempotency key: "<submission id>#<line number>".
        NotionProperty("Clé", "rich_text"),
    ),
)

DATA_SOURCES = {schema.key: schema for schema in (CLIENTS, PRESTATIONS, QUOTE_LINES)}


# Quote sheet: the tab the template holds and the named ranges the filler writes.
QUOTE_SHEET_TAB = "Devis"
QUOTE_LINE_ROWS = 30
QUOTE_LINE_COLUMNS = ("Désignation", "Quantité", "Prix unitaire HT", "TVA %", "Total HT")
QUOTE_TOTAL_ROWS = 5  # total excl. VAT, up to three VAT rates, total incl. VAT

# Named range -> A1 range in the template. Values are written by name, so the layout
# of the template can change without touching the filler.
QUOTE_NAMED_RANGES = {
    "devis_reference": f"{QUOTE_SHEET_TAB}!E3",
    "devis_date": f"{QUOTE_SHEET_TAB}!E4",
    "client_nom": f"{QUOTE_SHEET_TAB}!B6",
    "client_email": f"{QUOTE_SHEET_TAB}!B7",
    "client_telephone": f"{QUOTE_SHEET_TAB}!B8",
    "client_adresse": f"{QUOTE_SHEET_TAB}!B9",
    "evenement_nom": f"{QUOTE_SHEET_TAB}!E6",
    "evenement_date": f"{QUOTE_SHEET_TAB}!E7",
    "evenement_lieu": f"{QUOTE_SHEET_TAB}!E8",
    "evenement_convives": f"{QUOTE_SHEET_TAB}!E9",
    "devis_lignes": f"{QUOTE_SHEET_TAB}!A12:E{11 + QUOTE_LINE_ROWS}",
    "devis_totaux": (
        f"{QUOTE_SHEET_TAB}!D{13 + QUOTE_LINE_ROWS}:E{12 + QUOTE_LINE_ROWS + QUOTE_TOTAL_ROWS}"
    ),
}
