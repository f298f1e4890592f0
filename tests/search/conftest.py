"""Fixtures for search tests: a few prestations in the mirror, indexed for search."""

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from backend.app import create_app
from backend.config import Settings
from backend.db.prestations import upsert_prestation
from backend.db.session import Database
from backend.search import HashingEmbedder, reindex

API_TOKEN = "search-test-token"

PRESTATIONS: tuple[dict[str, Any], ...] = (
    {"notion_page_id": "page-dupont", "name": "Mariage – Claire Dupont – 19/06/2027",
     "client_name": "Claire Dupont", "client_email": "claire.dupont@example.fr",
     "event_type": "Mariage", "status": "Devis envoyé", "event_date": date(2027, 6, 19),
     "guests": 140, "address": "Domaine des Tilleuls, 69380 Lozanne",
     "message": "Mariage en plein air, prévoir un chapiteau en cas de pluie.",
     "options": [{"text": "Pièce montée"}], "total_ttc": Decimal("9120.50")},
    {"notion_page_id": "page-lefevre", "name": "Anniversaire – Hélène Lefèvre – 14/03/2026",
     "client_name": "Hélène Lefèvre", "client_email": "helene.lefevre@example.fr",
     "event_type": "Anniversaire", "status": "Confirmée", "event_date": date(2026, 3, 14),
     "guests": 35, "address": "Salle des fêtes, 69290 Craponne",
     "message": "Je fête mes 40 ans, buffet convivial.", "total_ttc": Decimal("1400.00")},
    {"notion_page_id": "page-carrere", "name": "Repas de famille – Mathis Carrère – 15/08/2026",
     "client_name": "Mathis Carrère", "client_email": "mathis.carrere@example.fr",
     "event_type": "Repas de famille", "status": "Nouvelle demande",
     "event_date": date(2026, 8, 15), "guests": 30, "address": "Ferme de la Cerisaie, Vienne",
     "message": "Plusieurs invités sont cœliaques : repas entièrement sans gluten.",
     "total_ttc": Decimal("1250.00")},
    {"notion_page_id": "page-castaing", "name": "Séminaire – Rémi Castaing – 05/11/2026",
     "client_name": "Rémi Castaing", "client_email": "remi.castaing@example.fr",
     "event_type": "Séminaire", "status": "À vérifier", "event_date": date(2026, 11, 5),
     "guests": 80, "address": "Campus Région, 69002 Lyon Confluence",
     "message": "Séminaire de direction, déjeuner sur place.", "total_ttc": Decimal("3100.00")},
    {"notion_page_id": "page-girard", "name": "Mariage – Paul Girard – 12/06/2027",
     "client_name": "Paul Girard", "client_email": "paul.girard@example.fr",
     "event_type": "Mariage", "status": "Nouvelle demande", "event_date": date(2027, 6, 12),
     "guests": 60, "address": "Villa Florentine, 69005 Lyon",
     "message": "Nous nous marions, un cocktail et un repas assis.",
     "total_ttc": Decimal("5200.00")},
)


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder(384)


@pytest.fixture
async def seeded(db: Database, embedder: HashingEmbedder) -> Database:
    """The test database with PRESTATIONS in the mirror, indexed with the hashing embedder."""
    async with db.session() as session:
        for fields in PRESTATIONS:
            await upsert_prestation(session, **fields)
        await reindex(session, embedder=embedder)
    return db


@pytest.fixture
async def search_client(
    seeded: Database, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client of the app, its lifespan running, on the seeded database."""
    app = create_app(settings.model_copy(update={"api_token": SecretStr(API_TOKEN)}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
