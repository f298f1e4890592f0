"""State on disk: a second emulator on the same folder reads what the first one wrote."""

import threading
from pathlib import Path

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from notion_client import AsyncClient

from backend.emulator import (
    CLIENTS_DATA_SOURCE_ID,
    TEMPLATE_SPREADSHEET_ID,
    Store,
    start_emulator,
)
from backend.emulator.bootstrap import bootstrap


def drive_client(url: str):
    http = AuthorizedHttp(Credentials(token="t"), http=httplib2.Http())
    return build(
        "drive",
        "v3",
        static_discovery=True,
        client_options={"api_endpoint": f"{url}/drive/v3/"},
        http=http,
    )


async def test_state_survives_restart(tmp_path: Path):
    with start_emulator(data_dir=tmp_path) as first:
        notion = AsyncClient(auth="t", base_url=first.url, retry=False)
        page = await notion.pages.create(
            parent={"data_source_id": CLIENTS_DATA_SOURCE_ID},
            properties={"Nom": {"title": [{"text": {"content": "Claire Martin"}}]}},
        )
        await notion.aclose()
        copied = (
            drive_client(first.url)
            .files()
            .copy(fileId=TEMPLATE_SPREADSHEET_ID, body={"name": "Devis – Martin"})
            .execute()
        )

    with start_emulator(data_dir=tmp_path) as second:
        notion = AsyncClient(auth="t", base_url=second.url, retry=False)
        fetched = await notion.pages.retrieve(page_id=page["id"])
        await notion.aclose()
        file = drive_client(second.url).files().get(fileId=copied["id"]).execute()
        clients = second.store.notion_pages(CLIENTS_DATA_SOURCE_ID)

    assert (tmp_path / "emulator" / "state.sqlite3").exists()
    assert fetched["properties"]["Nom"]["title"][0]["plain_text"] == "Claire Martin"
    assert file["name"] == "Devis – Martin"
    assert len(clients) == 1


async def test_two_emulators_share_folder(tmp_path: Path):
    with start_emulator(data_dir=tmp_path) as serving, start_emulator(data_dir=tmp_path) as run:
        writer = AsyncClient(auth="t", base_url=run.url, retry=False)
        page = await writer.pages.create(
            parent={"data_source_id": CLIENTS_DATA_SOURCE_ID},
            properties={"Nom": {"title": [{"text": {"content": "Paul Leroy"}}]}},
        )
        await writer.aclose()
        reader = AsyncClient(auth="t", base_url=serving.url, retry=False)
        fetched = await reader.pages.retrieve(page_id=page["id"])
        await reader.aclose()

    assert fetched["id"] == page["id"]


def test_concurrent_writers_on_one_file(tmp_path: Path):
    stores = [Store.open(tmp_path), Store.open(tmp_path)]
    bootstrap(stores[0])

    def write(store: Store, prefix: str) -> None:
        for index in range(50):
            with store.transaction():
                count = store.get("meta", "counter") or {"value": 0}
                store.put("meta", "counter", {"value": count["value"] + 1})
                store.put("note", f"{prefix}{index}", {"index": index})

    threads = [
        threading.Thread(target=write, args=(store, f"s{number}-"))
        for number, store in enumerate(stores)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert stores[1].get("meta", "counter") == {"value": 100}
    assert stores[0].count("note") == 100
    assert bootstrap(stores[1]) is False
    for store in stores:
        store.close()
