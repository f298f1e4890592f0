"""Drive copies through the real SDK: a lost response must not leave a second copy."""

from backend.emulator import bootstrap
from backend.emulator.faults import FaultRule
from backend.integrations.workspace import open_workspace


async def test_copy_with_lost_response_copies_once(emulator, settings):
    workspace = open_workspace(settings, emulator_url=emulator.url)
    before = len(emulator.store.spreadsheet_ids())
    emulator.faults.add(
        [FaultRule(service="drive", method="POST", path_regex="copy$", status=503,
                   count=1, after_commit=True)]
    )

    copy = await workspace.google.copy_file(bootstrap.TEMPLATE_SPREADSHEET_ID, name="Devis d'été")

    assert len(emulator.store.spreadsheet_ids()) == before + 1
    assert copy["name"].startswith("Devis d’été · ")
    assert copy["id"] in emulator.store.spreadsheet_ids()
    await workspace.aclose()
