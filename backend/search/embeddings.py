"""Embedding providers: an offline hashing embedder (default) and OpenAI embeddings.

Every provider has a `model_id` naming the model and the vector size. The index stores it
next to each vector, and search compares only vectors with the configured `model_id`.
Vectors of two models are therefore never mixed, and `deme search reindex` re-embeds
the others.
"""

import hashlib
import math
from functools import lru_cache
from typing import Protocol

import structlog

from backend.config import Settings
from backend.errors import ConfigurationError
from backend.search.lexicon import concepts_of
from backend.search.text import content_words

log = structlog.get_logger(__name__)


class Embedder(Protocol):
    """Turns texts into unit vectors of `dimensions` floats."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    async def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    async def embed_query(self, text: str) -> list[float]: ...


class HashingEmbedder:
    """Offline embedder: signed feature hashing of words, concepts and character n-grams.

    Needs no download, no key and no numpy, and gives the same vector for the same text
    on every machine (blake2b, not Python's salted `hash`). Words carry exact terms and
    names. Character 3- and 4-grams of each word match typos, plurals and conjugations
    ("marions" / "mariage"). Concepts from `backend.search.lexicon` map English and
    French words of one meaning ("wedding", "noces", "mariage") onto one feature.
    """

    VERSION = "hashing-v1"
    WORD_WEIGHT = 1.0
    CONCEPT_WEIGHT = 1.2
    NGRAM_WEIGHT = 0.35
    NGRAM_SIZES = (3, 4)

    def __init__(self, dimensions: int = 384, *, use_concepts: bool = True) -> None:
        if dimensions < 16:
            raise ConfigurationError(
                f"hashing embedder needs at least 16 dimensions, got {dimensions}: "
                "raise SEARCH_EMBEDDING_DIMENSIONS"
            )
        self._dimensions = dimensions
        # Without concepts, for measuring what the lexicon adds (bench/search_eval.py).
        self._use_concepts = use_concepts

    @property
    def model_id(self) -> str:
        variant = "" if self._use_concepts else "-noconcepts"
        return f"{self.VERSION}{variant}/{self._dimensions}"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed(text) for text in texts]

    async def embed_query(self, text: str) -> list[float]:
        return self.embed(text)

    def embed(self, text: str) -> list[float]:
        """Return the unit vector of `text` (all zeros when it has no content word)."""
        vector = [0.0] * self._dimensions
        for feature, weight in self._features(text):
            index, sign = self._slot(feature)
            vector[index] += sign * weight
        norm = math.sqrt(sum(value * value for value in vector))
        if norm == 0.0:
            return vector
        return [value / norm for value in vector]

    def _features(self, text: str) -> list[tuple[str, float]]:
        tokens = content_words(text)
        features: list[tuple[str, float]] = []
        for token in tokens:
            features.append(("w:" + _light_stem(token), self.WORD_WEIGHT))
            padded = f"<{token}>"
            for size in self.NGRAM_SIZES:
                for start in range(len(padded) - size + 1):
                    features.append(("g:" + padded[start : start + size], self.NGRAM_WEIGHT))
        if self._use_concepts:
            for concept in concepts_of(tokens):
                features.append(("c:" + concept, self.CONCEPT_WEIGHT))
        return features

    def _slot(self, feature: str) -> tuple[int, float]:
        return _feature_slot(feature, self._dimensions)


@lru_cache(maxsize=500_000)
def _feature_slot(feature: str, dimensions: int) -> tuple[int, float]:
    # Cached because words and n-grams repeat across texts; indexing 100,000 prestations
    # hashes each distinct feature once.
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "little")
    return number % dimensions, 1.0 if (number >> 63) & 1 else -1.0


def _light_stem(word: str) -> str:
    # Plural endings only: "mariages" and "mariage" share a feature; "invites" → "invite".
    if len(word) > 4 and word[-1] in "sx" and not word.isdigit():
        return word[:-1]
    return word


class OpenAIEmbedder:
    """OpenAI embeddings through langchain-openai, with the vector size set in settings.

    text-embedding-3 models shorten their vectors to `dimensions` on the server. Token
    counting with tiktoken is off because its encodings would be downloaded at run time;
    prestation texts are far below the 8,191-token input limit.
    """

    def __init__(
        self,
        *,
        model: str,
        dimensions: int,
        api_key: str,
        base_url: str | None = None,
        http_async_client: object | None = None,
        max_retries: int = 3,
    ) -> None:
        from langchain_openai import OpenAIEmbeddings

        self._model = model
        self._dimensions = dimensions
        self._client = OpenAIEmbeddings(
            model=model,
            dimensions=dimensions,
            api_key=api_key,
            base_url=base_url,
            check_embedding_ctx_length=False,
            max_retries=max_retries,
            http_async_client=http_async_client,
        )

    @property
    def model_id(self) -> str:
        return f"openai:{self._model}/{self._dimensions}"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = await self._client.aembed_documents(texts)
        for vector in vectors:
            self._check_size(vector)
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        vector = await self._client.aembed_query(text)
        self._check_size(vector)
        return vector

    def _check_size(self, vector: list[float]) -> None:
        if len(vector) != self._dimensions:
            raise ConfigurationError(
                f"embedding model {self._model!r} returned {len(vector)} dimensions, "
                f"not {self._dimensions}: set SEARCH_EMBEDDING_DIMENSIONS={len(vector)} "
                "and run `deme search reindex`"
            )


def embedder_from_settings(settings: Settings) -> Embedder:
    """Return the embedder the settings select (OpenAI when a key is set, with `auto`)."""
    provider = settings.search_embedding_provider
    key = settings.search_openai_api_key
    if provider == "openai" and key is None:
        raise ConfigurationError(
            "SEARCH_EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY (or SEARCH_OPENAI_API_KEY)"
        )
    if provider == "hashing" or key is None:
        return _hashing_embedder(settings.search_embedding_dimensions)
    return _openai_embedder(
        settings.search_openai_model,
        settings.search_embedding_dimensions,
        key.get_secret_value(),
        settings.search_openai_base_url,
    )


@lru_cache(maxsize=8)
def _hashing_embedder(dimensions: int) -> HashingEmbedder:
    return HashingEmbedder(dimensions)


@lru_cache(maxsize=8)
def _openai_embedder(
    model: str, dimensions: int, api_key: str, base_url: str | None
) -> OpenAIEmbedder:
    log.info("search.embedder_selected", provider="openai", model=model, dimensions=dimensions)
    return OpenAIEmbedder(model=model, dimensions=dimensions, api_key=api_key, base_url=base_url)
