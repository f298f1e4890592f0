"""`deme run` as a person runs it: a subprocess with its own emulator and data folder.

The database is the test session's embedded server, reached through DATABASE_URL, so
each command does not start a server of its own.
"""

import json
import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "inquiries"


@pytest.fixture
def deme(db, tmp_path):
    """Return a function running `deme ARGS` in a fresh data folder, on the test database."""
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": db.urls.libpq,
        "TEMPLATE_POOL_TARGET": "2",
        "TEMPLATE_POOL_SEED": str(tmp_path / "no-seed.json"),
    }
    for name in ("NOTION_TOKEN", "GOOGLE_CREDENTIALS_FILE", "EMULATOR_URL"):
        env.pop(name, None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


async def _count(db, table: str) -> int:
    async with db.session() as session:
        return (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


async def test_run_json_prints_result(deme, tmp_path):
    completed = deme("run", "--json", str(EXAMPLES / "wedding-lyon.json"))

    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["status"] == "succeeded"
    assert result["client"]["email"] == "claire.martin@example.fr"
    assert result["client"]["created"] is True
    assert result["prestation"]["name"] == "Mariage – Claire Martin – 14/06/2027"
    assert result["quote"]["total_ttc"] == "4676.00"
    assert result["quote"]["vat_by_rate"] == {"10.0": "244.00", "20.0": "332.00"}
    assert result["event"]["start"] == "2027-06-14T18:30:00+02:00"
    assert result["email"]["recipients"] == ["contact@traiteur.example"]
    assert [step["name"] for step in result["steps"]][0] == "validate"
    assert all(step["duration_ms"] is not None for step in result["steps"])


async def test_run_writes_sheet_csv_and_eml(deme):
    completed = deme("run", "--json", str(EXAMPLES / "unknown-option-range.json"))

    result = json.loads(completed.stdout)
    csv_text = Path(result["files"]["sheet_csv"]).read_text(encoding="utf-8")
    assert "Cocktail dînatoire 18 pièces,120,34,10,4080" in csv_text
    assert "Total TTC,5784" in csv_text
    message = message_from_bytes(
        Path(result["files"]["email_eml"]).read_bytes(), policy=policy.default
    )
    assert message["Subject"] == (
        "[À vérifier] Nouvelle demande : Soirée d'entreprise – Paul Girard – 26/11/2027"
    )
    assert message.get_body(("plain",)).get_content().count("DJ et sonorisation") == 1
    assert message.get_body(("html",)) is not None


async def test_second_run_says_nothing_new(deme):
    path = str(EXAMPLES / "birthday-no-time.json")
    deme("run", path)

    completed = deme("run", path)

    assert completed.returncode == 0, completed.stderr
    assert "Nothing new was created" in completed.stdout
    assert "found (already existed)" in completed.stdout
    assert "Total TTC" in completed.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not valid JSON"),
        ("[1, 2]", "JSON object"),
    ],
)
async def test_run_rejects_bad_file_and_stores_nothing(deme, db, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    completed = deme("run", str(path))

    assert completed.returncode == 2
    assert message in completed.stdout + completed.stderr
    assert await _count(db, "submissions") == 0
    assert await _count(db, "runs") == 0


async def test_run_missing_file_exits_2(deme, tmp_path):
    completed = deme("run", str(tmp_path / "absent.json"))

    assert completed.returncode == 2
    assert "file not found" in completed.stdout + completed.stderr


async def test_run_json_reports_bad_input_as_json(deme, db, tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("", encoding="utf-8")

    completed = deme("run", "--json", str(path))

    assert completed.returncode == 2
    output = json.loads(completed.stdout)
    assert output["status"] == "rejected"
    assert "body is empty" in output["error"]
    assert await _count(db, "submissions") == 0


async def test_run_rejects_file_over_body_limit(deme, db, tmp_path):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"name": "A", "message": "x" * 1_100_000}), encoding="utf-8")

    completed = deme("run", str(path))

    assert completed.returncode == 2
    assert "MAX_BODY_BYTES" in completed.stdout + completed.stderr
    assert await _count(db, "submissions") == 0
