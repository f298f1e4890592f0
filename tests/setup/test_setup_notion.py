"""`deme setup notion` against the emulator: idempotent, checked by doctor, breaks named."""

import pytest
from pydantic import SecretStr

from backend.doctor import exit_code, run_doctor
from backend.emulator import bootstrap
from backend.errors import ConfigurationError
from backend.runtime import open_runtime
from backend.setup.notion import setup_notion
from backend.setup.notion_admin import NotionAdmin

pytestmark = pytest.mark.usefixtures("db")

PARENT_URL = (
    "https://www.notion.so/Traiteur-back-office-"
    + bootstrap.SETUP_PARENT_PAGE_ID.replace("-", "")
)


@pytest.fixture
def notion_settings(settings, emulator):
    """Settings with a Notion token, so Notion is "real", served by the emulator."""
    return settings.model_copy(
        update={"notion_token": SecretStr("secret_test"), "notion_base_url": emulator.url}
    )


@pytest.fixture
async def admin(notion_settings):
    admin = NotionAdmin(notion_settings)
    yield admin
    await admin.aclose()


def _with_ids(settings, setup):
    return settings.model_copy(
        update={
            "notion_clients_data_source_id": setup.settings["NOTION_CLIENTS_DATA_SOURCE_ID"],
            "notion_prestations_data_source_id": setup.settings[
                "NOTION_PRESTATIONS_DATA_SOURCE_ID"
            ],
            "notion_quote_lines_data_source_id": setup.settings[
                "NOTION_QUOTE_LINES_DATA_SOURCE_ID"
            ],
        }
    )


def _databases_under_parent(emulator) -> list[str]:
    return [
        database["title"]
        for database in emulator.store.documents("notion_database")
        if database.get("parent_page_id") == bootstrap.SETUP_PARENT_PAGE_ID
    ]


async def _rename(admin, data_source_id: str, old: str, new: str) -> None:
    await admin.client.data_sources.update(data_source_id, properties={old: {"name": new}})


async def test_setup_twice_creates_one_set(admin, emulator):
    first = await setup_notion(admin, PARENT_URL)
    second = await setup_notion(admin, bootstrap.SETUP_PARENT_PAGE_ID)

    assert [item.created for item in first.databases] == [True, True, True]
    assert [item.created for item in second.databases] == [False, False, False]
    assert second.settings == first.settings
    assert second.problems == []
    assert sorted(_databases_under_parent(emulator)) == [
        "Clients", "Lignes de devis", "Prestations"
    ]


async def test_setup_relations_point_both_ways(admin):
    setup = await setup_notion(admin, PARENT_URL)
    ids = setup.settings

    clients = await admin.data_source(ids["NOTION_CLIENTS_DATA_SOURCE_ID"])
    prestations = await admin.data_source(ids["NOTION_PRESTATIONS_DATA_SOURCE_ID"])

    forward = prestations["properties"]["Client"]["relation"]
    backward = clients["properties"]["Prestations"]["relation"]
    assert forward["data_source_id"] == ids["NOTION_CLIENTS_DATA_SOURCE_ID"]
    assert backward["data_source_id"] == ids["NOTION_PRESTATIONS_DATA_SOURCE_ID"]
    assert forward["type"] == "dual_property"


async def test_doctor_accepts_fresh_setup(admin, notion_settings):
    setup = await setup_notion(admin, PARENT_URL)

    checks = await run_doctor(_with_ids(notion_settings, setup))

    notion_checks = {check.name: check.status for check in checks if "notion" in check.name}
    assert notion_checks == {
        "notion token": "ok",
        "notion Clients": "ok",
        "notion Prestations": "ok",
        "notion Lignes de devis": "ok",
    }
    assert exit_code(checks) == 0


async def test_doctor_names_renamed_property(admin, notion_settings):
    setup = await setup_notion(admin, PARENT_URL)
    await _rename(admin, setup.settings["NOTION_CLIENTS_DATA_SOURCE_ID"], "Email", "E-mail")

    checks = await run_doctor(_with_ids(notion_settings, setup))

    clients = next(check for check in checks if check.name == "notion Clients")
    assert clients.status == "fail"
    assert "'Email'" in clients.detail
    assert "'E-mail'" in clients.detail
    assert "rename it back to 'Email'" in clients.detail
    assert exit_code(checks) == 1


async def test_doctor_names_retyped_property(admin, notion_settings):
    setup = await setup_notion(admin, PARENT_URL)
    await admin.client.data_sources.update(
        setup.settings["NOTION_PRESTATIONS_DATA_SOURCE_ID"],
        properties={"Convives": {"rich_text": {}}},
    )

    checks = await run_doctor(_with_ids(notion_settings, setup))

    prestations = next(check for check in checks if check.name == "notion Prestations")
    assert prestations.status == "fail"
    assert "'Convives'" in prestations.detail
    assert "is rich_text; deme writes a number property" in prestations.detail


async def test_setup_again_reports_renamed_property(admin):
    setup = await setup_notion(admin, PARENT_URL)
    await _rename(admin, setup.settings["NOTION_CLIENTS_DATA_SOURCE_ID"], "Email", "Courriel")

    again = await setup_notion(admin, PARENT_URL)

    assert [problem.property for problem in again.problems] == ["Email"]
    assert again.problems[0].kind == "renamed"


async def test_pipeline_error_names_renamed_property(db, admin, notion_settings, emulator):
    from pipeline.helpers import run_payload, sample

    setup = await setup_notion(admin, PARENT_URL)
    await _rename(admin, setup.settings["NOTION_CLIENTS_DATA_SOURCE_ID"], "Email", "E-mail")

    async with open_runtime(_with_ids(notion_settings, setup)) as runtime:
        result = await run_payload(runtime, sample("wedding-lyon"))

    assert result["status"] == "failed"
    message = result["errors"][0]["message"]
    assert "Notion property 'Email' in data source Clients is missing" in message
    assert "rename it back to 'Email'" in message


async def test_setup_rejects_unshared_page(admin):
    with pytest.raises(ConfigurationError) as raised:
        await setup_notion(admin, "0f0e0d0c-0b0a-4909-8807-060504030201")

    assert "not shared with the integration" in str(raised.value)
