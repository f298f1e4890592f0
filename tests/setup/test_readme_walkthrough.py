"""The README's "Connect your workspace" rehearsal, followed command by command.

Each command runs as a person runs it (a `deme` subprocess in a fresh folder), against
the test's emulator in place of `deme emulator` on port 8765.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Connect your workspace") : README.index("## HTTP API")]
REHEARSAL_PORT = "8765"
# Any free port: the README's 8790 may be taken on a shared machine.
CONSENT_PORT = "0"
COMMANDS = (
    "deme auth key",
    "deme setup notion --parent",
    "deme auth google --no-browser --port 8790",
    "deme setup google",
    "deme doctor",
    "deme run examples/inquiries/wedding-lyon.json",
)


def _block(starting_with: str) -> str:
    match = re.search(r"```\w*\n(" + re.escape(starting_with) + r".*?)```", SECTION, re.S)
    assert match, f"README section has no block starting with {starting_with!r}"
    return match.group(1)


@pytest.fixture
def deme(db, emulator, tmp_path):
    port = emulator.url.rsplit(":", 1)[1]
    env = {
        **os.environ,
        "DATABASE_URL": db.urls.libpq,
        "TEMPLATE_POOL_SEED": str(tmp_path / "no-seed.json"),
    }
    for name in ("NOTION_TOKEN", "GOOGLE_CREDENTIALS_FILE", "EMULATOR_URL", "DATA_DIR"):
        env.pop(name, None)

    def localize(text: str) -> str:
        return text.replace(f"127.0.0.1:{REHEARSAL_PORT}", f"127.0.0.1:{port}")

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "backend.cli", *args], env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", *args], env=env, cwd=tmp_path,
            capture_output=True, text=True, timeout=180,
        )

    run.localize = localize
    run.start = start
    return run


def _kept_settings(output: str) -> str:
    return "".join(line + "\n" for line in output.splitlines() if re.match(r"^[A-Z_]+=", line))


def _consent(process: subprocess.Popen[str]) -> str:
    """Open the printed consent address, as a person (or `curl -sL`) would."""
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("http"):
            httpx.get(line.strip(), follow_redirects=True, timeout=30)
            break
    output, _ = process.communicate(timeout=60)
    return "".join(lines) + output


def test_readme_rehearsal_works(deme, tmp_path):
    for command in COMMANDS:
        assert command in SECTION, f"README no longer shows `{command}`"
    env_file = tmp_path / ".env"
    env_file.write_text(deme.localize(_block("NOTION_TOKEN=secret_rehearsal")), encoding="utf-8")
    (tmp_path / "client_secret.json").write_text(
        deme.localize(_block('{"installed"')), encoding="utf-8"
    )

    key = deme("auth", "key")
    with env_file.open("a", encoding="utf-8") as handle:
        handle.write(key.stdout)
    notion = deme("setup", "notion", "--parent", "de3e0000-9a9e-4000-8000-000000000001")
    with env_file.open("a", encoding="utf-8") as handle:
        handle.write(_kept_settings(notion.stdout))
    auth = deme.start("auth", "google", "--no-browser", "--port", CONSENT_PORT)
    auth_output = _consent(auth)
    google = deme("setup", "google")
    with env_file.open("a", encoding="utf-8") as handle:
        handle.write(_kept_settings(google.stdout))
    doctor = deme("doctor")
    run = deme("run", str(REPO / "examples" / "inquiries" / "wedding-lyon.json"))

    assert key.returncode == 0, key.stderr
    assert notion.returncode == 0, notion.stdout + notion.stderr
    assert "Clients: created" in notion.stdout
    assert auth.returncode == 0, auth_output
    assert "Google authorised" in auth_output
    assert google.returncode == 0, google.stdout + google.stderr
    assert "Pool: 10 copies added" in google.stdout
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "FAIL" not in doctor.stdout
    assert run.returncode == 0, run.stdout + run.stderr
