"""Notion routes through notion-client's AsyncClient over HTTP."""

import uuid

import httpx
import pytest
from notion_client import APIResponseError, AsyncClient

from backend.emulator import (
    CLIENTS_DATA_SOURCE_ID,
    PRESTATIONS_DATA_SOURCE_ID,
    QUOTE_LINES_DATA_SOURCE_ID,
    RunningEmulator,
)
from backend.emulator.bootstrap import CLIENTS_DATABASE_ID


def title(text: str) -> dict:
    return {"title": [{"type": "text", "text": {"content": text}}]}


def rich(text: str) -> dict:
    return {"rich_text": [{"type": "text", "text": {"content": text}}]}


async def create_client(notion: AsyncClient, name: str, email: str) -> dict:
    return await notion.pages.create(
        parent={"type": "data_source_id", "data_source_id": CLIENTS_DATA_SOURCE_ID},
        properties={"Nom": title(name), "Email": {"email": email}},
    )


async def create_prestation(notion: AsyncClient, client_id: str, **values: dict) -> dict:
    properties = {
        "Nom": title(values.pop("name", "Mariage – Claire Martin – 14/06/2027")),
        "Client": {"relation": [{"id": client_id}]},
        **values,
    }
    return await notion.pages.create(
        parent={"data_source_id": PRESTATIONS_DATA_SOURCE_ID}, properties=properties
    )


def unique_email() -> str:
    return f"claire.{uuid.uuid4().hex[:8]}@exemple.fr"


async def test_page_create_returns_notion_shape(notion: AsyncClient, emulator: RunningEmulator):
    page = await create_client(notion, "Claire Martin", "claire@exemple.fr")

    assert page["object"] == "page"
    assert page["parent"]["data_source_id"] == CLIENTS_DATA_SOURCE_ID
    assert page["in_trash"] is False
    assert page["url"] == f"{emulator.url}/notion/{page['id'].replace('-', '')}"
    name = page["properties"]["Nom"]
    assert name["type"] == "title"
    assert name["title"][0]["plain_text"] == "Claire Martin"
    assert name["title"][0]["annotations"]["bold"] is False
    assert page["properties"]["Email"] == {
        "id": page["properties"]["Email"]["id"],
        "type": "email",
        "email": "claire@exemple.fr",
    }
    assert page["properties"]["Téléphone"]["phone_number"] is None
    assert page["properties"]["Adresse"]["rich_text"] == []


async def test_page_retrieve_and_update(notion: AsyncClient):
    page = await create_client(notion, "Paul Leroy", unique_email())

    updated = await notion.pages.update(
        page_id=page["id"], properties={"Téléphone": {"phone_number": "+33 6 12 34 56 78"}}
    )
    fetched = await notion.pages.retrieve(page_id=page["id"].replace("-", ""))

    assert updated["properties"]["Téléphone"]["phone_number"] == "+33 6 12 34 56 78"
    assert fetched["properties"]["Téléphone"]["phone_number"] == "+33 6 12 34 56 78"
    assert fetched["properties"]["Nom"]["title"][0]["plain_text"] == "Paul Leroy"


async def test_page_view_html(notion: AsyncClient):
    page = await create_client(notion, "Amélie Dubois", unique_email())

    async with httpx.AsyncClient() as http:
        response = await http.get(page["url"])

    assert response.status_code == 200
    assert "Amélie Dubois" in response.text


async def test_query_by_email_equals(notion: AsyncClient):
    email = unique_email()
    page = await create_client(notion, "Claire Martin", email)

    result = await notion.data_sources.query(
        data_source_id=CLIENTS_DATA_SOURCE_ID,
        filter={"property": "Email", "email": {"equals": email}},
    )

    assert result["object"] == "list"
    assert result["type"] == "page_or_data_source"
    assert [item["id"] for item in result["results"]] == [page["id"]]
    assert result["has_more"] is False
    assert result["next_cursor"] is None


async def test_query_excludes_trashed_pages(notion: AsyncClient):
    email = unique_email()
    page = await create_client(notion, "À supprimer", email)

    trashed = await notion.pages.update(page_id=page["id"], in_trash=True)
    result = await notion.data_sources.query(
        data_source_id=CLIENTS_DATA_SOURCE_ID,
        filter={"property": "Email", "email": {"equals": email}},
    )

    assert trashed["in_trash"] is True
    assert trashed["archived"] is True
    assert result["results"] == []


async def test_trashed_page_rejects_edits(notion: AsyncClient):
    page = await create_client(notion, "Archivée", unique_email())
    await notion.pages.update(page_id=page["id"], in_trash=True)

    with pytest.raises(APIResponseError) as raised:
        await notion.pages.update(page_id=page["id"], properties={"Nom": title("Autre")})

    assert raised.value.code == "validation_error"


async def test_filters_on_prestations(notion: AsyncClient):
    client = await create_client(notion, "Famille Dupont", unique_email())
    tag = uuid.uuid4().hex
    big = await create_prestation(
        notion,
        client["id"],
        Convives={"number": 120},
        Date={"date": {"start": "2027-06-14T18:00:00", "time_zone": "Europe/Paris"}},
        Statut={"select": {"name": "Nouvelle demande"}},
        Soumission=rich(tag),
    )
    small = await create_prestation(
        notion,
        client["id"],
        Convives={"number": 30},
        Date={"date": {"start": "2027-05-02"}},
        Statut={"select": {"name": "À vérifier"}},
        Soumission=rich(tag),
    )
    mine = {"property": "Soumission", "rich_text": {"equals": tag}}

    async def ids(condition: dict) -> list[str]:
        result = await notion.data_sources.query(
            data_source_id=PRESTATIONS_DATA_SOURCE_ID, filter={"and": [mine, condition]}
        )
        return [item["id"] for item in result["results"]]

    assert await ids({"property": "Client", "relation": {"contains": client["id"]}}) == [
        big["id"],
        small["id"],
    ]
    assert await ids({"property": "Convives", "number": {"greater_than": 50}}) == [big["id"]]
    assert await ids({"property": "Convives", "number": {"less_than_or_equal_to": 30}}) == [
        small["id"]
    ]
    assert await ids({"property": "Date", "date": {"on_or_after": "2027-06-01"}}) == [big["id"]]
    assert await ids({"property": "Date", "date": {"equals": "2027-05-02"}}) == [small["id"]]
    assert await ids({"property": "Date", "date": {"before": "2027-06-14"}}) == [small["id"]]
    assert await ids({"property": "Statut", "select": {"equals": "À vérifier"}}) == [small["id"]]
    assert await ids({"property": "Nom", "title": {"contains": "claire martin"}}) == [
        big["id"],
        small["id"],
    ]
    assert await ids({"property": "Adresse", "rich_text": {"is_empty": True}}) == [
        big["id"],
        small["id"],
    ]
    either = {
        "or": [
            {"property": "Convives", "number": {"equals": 30}},
            {"property": "Statut", "select": {"equals": "Nouvelle demande"}},
        ]
    }
    assert await ids(either) == [big["id"], small["id"]]


async def test_query_sorts_by_number(notion: AsyncClient):
    client = await create_client(notion, "Société Leroy", unique_email())
    tag = uuid.uuid4().hex
    for guests in (40, 200, 80):
        await create_prestation(
            notion, client["id"], Convives={"number": guests}, Soumission=rich(tag)
        )

    result = await notion.data_sources.query(
        data_source_id=PRESTATIONS_DATA_SOURCE_ID,
        filter={"property": "Soumission", "rich_text": {"equals": tag}},
        sorts=[{"property": "Convives", "direction": "descending"}],
    )

    guests = [item["properties"]["Convives"]["number"] for item in result["results"]]
    assert guests == [200, 80, 40]


async def test_query_pagination(notion: AsyncClient):
    tag = uuid.uuid4().hex
    created = []
    for index in range(5):
        page = await notion.pages.create(
            parent={"data_source_id": CLIENTS_DATA_SOURCE_ID},
            properties={"Nom": title(f"Client {index}"), "Soumission": rich(tag)},
        )
        created.append(page["id"])
    condition = {"property": "Soumission", "rich_text": {"equals": tag}}

    seen = []
    cursor = None
    rounds = 0
    while True:
        kwargs = {"start_cursor": cursor} if cursor else {}
        result = await notion.data_sources.query(
            data_source_id=CLIENTS_DATA_SOURCE_ID, filter=condition, page_size=2, **kwargs
        )
        rounds += 1
        seen.extend(item["id"] for item in result["results"])
        if not result["has_more"]:
            assert result["next_cursor"] is None
            break
        cursor = result["next_cursor"]

    assert rounds == 3
    assert seen == created


async def test_unknown_property_rejected(notion: AsyncClient):
    with pytest.raises(APIResponseError) as raised:
        await notion.pages.create(
            parent={"data_source_id": CLIENTS_DATA_SOURCE_ID},
            properties={"Nom": title("X"), "Prénom": rich("Claire")},
        )

    assert raised.value.status == 400
    assert raised.value.code == "validation_error"
    assert "Prénom is not a property that exists." in str(raised.value)


async def test_rich_text_over_2000_chars_rejected(notion: AsyncClient):
    client = await create_client(notion, "Bavard", unique_email())

    with pytest.raises(APIResponseError) as raised:
        await create_prestation(notion, client["id"], Message=rich("é" * 2001))

    assert raised.value.code == "validation_error"
    message = str(raised.value)
    assert "body.properties.Message.rich_text[0].text.content.length" in message
    assert "2000" in message
    assert "2001" in message


async def test_relation_to_unknown_page_rejected(notion: AsyncClient):
    with pytest.raises(APIResponseError) as raised:
        await create_prestation(notion, str(uuid.uuid4()))

    assert raised.value.code == "validation_error"
    assert "Client" in str(raised.value)


async def test_relation_to_wrong_data_source_rejected(notion: AsyncClient):
    client = await create_client(notion, "Claire", unique_email())
    prestation = await create_prestation(notion, client["id"])

    with pytest.raises(APIResponseError) as raised:
        await notion.pages.create(
            parent={"data_source_id": QUOTE_LINES_DATA_SOURCE_ID},
            properties={
                "Libellé": title("Cocktail"),
                "Prestation": {"relation": [{"id": client["id"]}]},
            },
        )
    line = await notion.pages.create(
        parent={"data_source_id": QUOTE_LINES_DATA_SOURCE_ID},
        properties={
            "Libellé": title("Cocktail"),
            "Prestation": {"relation": [{"id": prestation["id"]}]},
            "Quantité": {"number": 80},
        },
    )

    assert raised.value.code == "validation_error"
    assert line["properties"]["Prestation"]["relation"] == [{"id": prestation["id"]}]
    assert line["properties"]["Prestation"]["has_more"] is False


@pytest.mark.parametrize(
    ("properties", "fragment"),
    [
        ({"Convives": {"number": "80"}}, "Convives.number should be a number"),
        ({"Devis": {"rich_text": []}}, "Devis is expected to be url."),
        ({"Date": {"date": {"start": "14/06/2027"}}}, "Date.date.start"),
        ({"Date": {"date": {"start": "2027-06-14", "time_zone": "Paris"}}}, "time_zone"),
        ({"Devis": {"url": "https://x.fr/" + "a" * 2000}}, "Devis.url.length"),
        ({"Statut": {"select": {"name": "a,b"}}}, "commas"),
    ],
)
async def test_value_shape_rejected(notion: AsyncClient, properties: dict, fragment: str):
    with pytest.raises(APIResponseError) as raised:
        await notion.pages.create(
            parent={"data_source_id": PRESTATIONS_DATA_SOURCE_ID},
            properties={"Nom": title("X"), **properties},
        )

    assert raised.value.code == "validation_error"
    assert fragment in str(raised.value)


async def test_select_option_created_on_write(notion: AsyncClient):
    option = f"Option {uuid.uuid4().hex[:6]}"
    page = await notion.pages.create(
        parent={"data_source_id": PRESTATIONS_DATA_SOURCE_ID},
        properties={"Nom": title("X"), "Type": {"select": {"name": option}}},
    )

    source = await notion.data_sources.retrieve(data_source_id=PRESTATIONS_DATA_SOURCE_ID)

    names = [item["name"] for item in source["properties"]["Type"]["select"]["options"]]
    assert option in names
    assert page["properties"]["Type"]["select"]["name"] == option
    assert page["properties"]["Type"]["select"]["color"]


async def test_data_source_schema_from_workspace(notion: AsyncClient):
    source = await notion.data_sources.retrieve(data_source_id=PRESTATIONS_DATA_SOURCE_ID)
    database = await notion.databases.retrieve(database_id=source["parent"]["database_id"])

    assert source["object"] == "data_source"
    assert source["properties"]["Client"]["type"] == "relation"
    assert source["properties"]["Client"]["relation"]["data_source_id"] == CLIENTS_DATA_SOURCE_ID
    statuses = [item["name"] for item in source["properties"]["Statut"]["select"]["options"]]
    assert "À vérifier" in statuses
    assert source["properties"]["Nom"]["id"] == "title"
    assert database["object"] == "database"
    assert database["data_sources"] == [{"id": PRESTATIONS_DATA_SOURCE_ID, "name": "Prestations"}]


async def test_data_source_create_and_update(notion: AsyncClient):
    created = await notion.data_sources.create(
        parent={"type": "database_id", "database_id": CLIENTS_DATABASE_ID},
        title=[{"type": "text", "text": {"content": "Archives"}}],
        properties={"Nom": {"title": {}}, "Ville": {"rich_text": {}}},
    )
    updated = await notion.data_sources.update(
        data_source_id=created["id"],
        properties={"Ville": {"name": "Commune"}, "Code": {"number": {}}},
    )
    page = await notion.pages.create(
        parent={"data_source_id": created["id"]},
        properties={"Nom": title("A"), "Commune": rich("Lyon"), "Code": {"number": 69001}},
    )

    assert sorted(updated["properties"]) == ["Code", "Commune", "Nom"]
    assert page["properties"]["Commune"]["rich_text"][0]["plain_text"] == "Lyon"


async def test_database_parent_with_two_sources_rejected(notion: AsyncClient):
    with pytest.raises(APIResponseError) as raised:
        await notion.pages.create(
            parent={"database_id": CLIENTS_DATABASE_ID}, properties={"Nom": title("X")}
        )

    assert raised.value.code == "validation_error"


async def test_unknown_page_not_found(notion: AsyncClient):
    with pytest.raises(APIResponseError) as raised:
        await notion.pages.retrieve(page_id=str(uuid.uuid4()))

    assert raised.value.status == 404
    assert raised.value.code == "object_not_found"


async def test_invalid_filter_rejected(notion: AsyncClient):
    with pytest.raises(APIResponseError) as raised:
        await notion.data_sources.query(
            data_source_id=CLIENTS_DATA_SOURCE_ID,
            filter={"property": "Email", "number": {"equals": 3}},
        )

    assert raised.value.code == "validation_error"


async def test_headers_and_json_checked(emulator: RunningEmulator):
    url = f"{emulator.url}/v1/pages/{uuid.uuid4()}"
    async with httpx.AsyncClient() as http:
        no_token = await http.get(url, headers={"Notion-Version": "2025-09-03"})
        no_version = await http.get(url, headers={"Authorization": "Bearer t"})
        bad_json = await http.post(
            f"{emulator.url}/v1/pages",
            content=b"{not json",
            headers={"Authorization": "Bearer t", "Notion-Version": "2025-09-03"},
        )

    assert no_token.status_code == 401
    assert no_token.json()["code"] == "unauthorized"
    assert no_version.status_code == 400
    assert no_version.json()["code"] == "missing_version"
    assert bad_json.status_code == 400
    assert bad_json.json()["code"] == "invalid_json"
    assert bad_json.json()["object"] == "error"
    assert bad_json.json()["request_id"]
