"""`deme pool status|refill|export|import` through the command line."""

import json

import pytest
from typer.testing import CliRunner

from backend.cli import app as cli_app
from backend.config import get_settings

pytestmark = pytest.mark.usefixtures("db", "restore_logging")

@pytest.fixture
def pool_cli(settings, monkeypatch, tmp_path):
    for name, value in {
        "DATA_DIR": str(settings.data_dir),
        "EMULATOR_URL": settings.emulator_url,
        "TEMPLATE_POOL_TARGET": "4",
        "TEMPLATE_POOL_SEED": str(tmp_path / "no-seed.json"),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, ["pool", *args])
    get_settings.cache_clear()


def test_pool_commands_round_trip(pool_cli, tmp_path):
    refill = pool_cli("refill")
    status = pool_cli("status")
    exported = tmp_path / "pool.json"
    export = pool_cli("export", str(exported))
    seed = json.loads(exported.read_text())
    imported = pool_cli("import", str(exported))

    assert refill.exit_code == 0, refill.output
    assert "added: 4, available: 4" in refill.output
    assert "available: 4, in use: 0, target: 4" in status.output
    assert export.exit_code == 0
    assert len(seed["available"]) == 4
    assert imported.exit_code == 0
    assert "imported: 0 sheets added" in imported.output


def test_pool_import_rejects_bad_seed(pool_cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"available": [{"id": "a/b"}]}')

    result = pool_cli("import", str(bad))

    assert result.exit_code == 2
    assert "invalid sheet id" in result.output
