"""Embedders: the offline hashing embedder and OpenAI through a fake HTTP edge."""

import json
import math

import httpx
import pytest
from pydantic import SecretStr

from backend.config import Settings
from backend.errors import ConfigurationError
from backend.search import HashingEmbedder, OpenAIEmbedder, embedder_from_settings
from backend.search.text import content_words, unaccent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hélène Lefèvre", "Helene Lefevre"),
        ("Anne-Sophie Œuvray", "Anne-Sophie OEuvray"),
        ("cœliaques, pièce montée", "coeliaques, piece montee"),
        ("Gaëlle Ménétrier à Noël", "Gaelle Menetrier a Noel"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_unaccent_strips_diacritics(raw: str, expected: str) -> None:
    assert unaccent(raw) == expected


def test_content_words_drop_stop_words_of_both_languages() -> None:
    assert content_words("What did we quote the Dupont wedding?") == ["quote", "dupont", "wedding"]
    assert content_words("le mariage de Hélène") == ["mariage", "helene"]


async def test_hashing_embedder_is_deterministic_unit_vector() -> None:
    first = await HashingEmbedder(384).embed_query("Mariage Dupont juin")
    second = await HashingEmbedder(384).embed_query("Mariage Dupont juin")

    assert first == second
    assert len(first) == 384
    assert math.isclose(math.fsum(value * value for value in first), 1.0, rel_tol=1e-9)


async def test_hashing_embedder_ignores_accents_and_case() -> None:
    embedder = HashingEmbedder(128)

    assert await embedder.embed_query("Hélène LEFÈVRE") == await embedder.embed_query(
        "helene lefevre"
    )


async def test_hashing_embedder_brings_translations_closer() -> None:
    embedder = HashingEmbedder(384)
    wedding, mariage, seminar = await embedder.embed_documents(
        ["wedding", "mariage", "séminaire"]
    )

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(wedding, mariage) > cosine(wedding, seminar) + 0.3


async def test_hashing_embedder_returns_zeros_for_stop_words_only() -> None:
    assert await HashingEmbedder(32).embed_query("the and de la") == [0.0] * 32


def test_hashing_embedder_model_id_names_dimensions() -> None:
    assert HashingEmbedder(64).model_id == "hashing-v1/64"


def test_settings_without_key_select_hashing() -> None:
    settings = Settings(_env_file=None, search_openai_api_key=None)

    assert isinstance(embedder_from_settings(settings), HashingEmbedder)


def test_settings_with_key_select_openai() -> None:
    settings = Settings(_env_file=None, search_openai_api_key=SecretStr("sk-test"))

    embedder = embedder_from_settings(settings)

    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.model_id == "openai:text-embedding-3-small/384"


def test_settings_openai_without_key_raise() -> None:
    settings = Settings(_env_file=None, search_embedding_provider="openai")

    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        embedder_from_settings(settings)


def openai_transport(dimensions: int, requests: list[dict]) -> httpx.MockTransport:
    """Answer POST /v1/embeddings with the shape OpenAI documents for that endpoint."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append({"url": str(request.url), "body": body,
                         "authorization": request.headers.get("authorization")})
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": index,
             "embedding": [((index + 1) * (slot + 1)) % 7 / 7 for slot in range(dimensions)]}
            for index, _ in enumerate(inputs)
        ]
        return httpx.Response(200, json={
            "object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": 8, "total_tokens": 8},
        })

    return httpx.MockTransport(handle)


async def test_openai_embedder_posts_model_and_dimensions() -> None:
    requests: list[dict] = []
    client = httpx.AsyncClient(transport=openai_transport(16, requests))
    embedder = OpenAIEmbedder(
        model="text-embedding-3-small", dimensions=16, api_key="sk-test",
        base_url="http://127.0.0.1:9/v1", http_async_client=client,
    )

    vectors = await embedder.embed_documents(["mariage Dupont", "séminaire"])
    query = await embedder.embed_query("wedding")

    assert [len(vector) for vector in vectors] == [16, 16]
    assert len(query) == 16
    assert requests[0]["url"] == "http://127.0.0.1:9/v1/embeddings"
    assert requests[0]["body"]["model"] == "text-embedding-3-small"
    assert requests[0]["body"]["dimensions"] == 16
    assert requests[0]["body"]["input"] == ["mariage Dupont", "séminaire"]
    assert requests[0]["authorization"] == "Bearer sk-test"
    await client.aclose()


async def test_openai_embedder_rejects_wrong_size() -> None:
    client = httpx.AsyncClient(transport=openai_transport(8, []))
    embedder = OpenAIEmbedder(
        model="text-embedding-3-small", dimensions=16, api_key="sk-test",
        base_url="http://127.0.0.1:9/v1", http_async_client=client,
    )

    with pytest.raises(ConfigurationError, match="SEARCH_EMBEDDING_DIMENSIONS=8"):
        await embedder.embed_query("mariage")
    await client.aclose()
