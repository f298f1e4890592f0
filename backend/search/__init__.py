"""Search over prestations: offline or OpenAI embeddings, French full-text, hybrid ranking.

`search_prestations` is what the API, the CLI and the assistant's tool call;
`index_prestation` and `reindex` keep the search columns current.
"""

from backend.search.embeddings import (
    Embedder,
    HashingEmbedder,
    OpenAIEmbedder,
    embedder_from_settings,
)
from backend.search.filters import ParsedQuery, SearchFilters, parse_query
from backend.search.index import (
    EmbeddingSizeMismatch,
    ReindexReport,
    index_prestation,
    reindex,
)
from backend.search.query import SearchHit, SearchMode, search_prestations

__all__ = [
    "Embedder",
    "EmbeddingSizeMismatch",
    "HashingEmbedder",
    "OpenAIEmbedder",
    "ParsedQuery",
    "ReindexReport",
    "SearchFilters",
    "SearchHit",
    "SearchMode",
    "embedder_from_settings",
    "index_prestation",
    "parse_query",
    "reindex",
    "search_prestations",
]
