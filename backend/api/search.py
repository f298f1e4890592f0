"""Search past prestations for staff: GET /prestations/search?q=…"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from backend.api.deps import RuntimeDep, StaffDep
from backend.search import SearchFilters, SearchHit, search_prestations

router = APIRouter()

MAX_RESULTS = 50


class SearchResponse(BaseModel):
    """Prestations found for a query, best first."""

    query: str
    results: list[SearchHit]


@router.get("/prestations/search", response_model=SearchResponse)
async def search(
    runtime: RuntimeDep,
    _staff: StaffDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="French or English")],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 10,
    date_from: date | None = None,
    date_to: date | None = None,
    guests_min: Annotated[int | None, Query(ge=0)] = None,
    guests_max: Annotated[int | None, Query(ge=0)] = None,
    event_type: Annotated[list[str] | None, Query(description="Repeat for several")] = None,
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    client_email: str | None = None,
) -> SearchResponse:
    """Search with filters read from `q` ("juin 2027", "plus de 100 personnes").

    Filters given as parameters take precedence over those read from `q`.
    """
    explicit = {
        "date_from": date_from,
        "date_to": date_to,
        "guests_min": guests_min,
        "guests_max": guests_max,
        "event_types": event_type,
        "statuses": status_,
        "client_email": client_email,
    }
    filters = SearchFilters(
        **{name: value for name, value in explicit.items() if value is not None}
    )
    async with runtime.db.session() as session:
        hits = await search_prestations(
            session,
            q,
            filters=filters if filters.model_fields_set else None,
            limit=limit,
            settings=runtime.settings,
        )
    return SearchResponse(query=q, results=hits)
