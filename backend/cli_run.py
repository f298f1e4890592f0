"""`deme run FILE`: store the inquiry, run the pipeline with live progress, print the result."""

import csv
import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from backend.cli_display import LiveSteps, print_summary
from backend.config import Settings
from backend.graph.submissions import accept_submission
from backend.intake.errors import InvalidPayloadError
from backend.integrations.workspace_schema import QUOTE_SHEET_TAB
from backend.runtime import Runtime, open_runtime


def read_inquiry_file(path: Path, max_bytes: int) -> bytes:
    """Read the file, rejecting one larger than the webhook would accept (MAX_BODY_BYTES)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidPayloadError(
                f"file is {size} bytes, more than MAX_BODY_BYTES ({max_bytes})"
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidPayloadError(f"file not found: {path}") from exc
    except OSError as exc:
        raise InvalidPayloadError(f"cannot read {path}: {exc.strerror}") from exc


async def run_inquiry_file(
    path: Path, settings: Settings, console: Console, json_output: bool
) -> dict[str, Any]:
    """Process the inquiry in `path`; return the run's result (see `build_run_result`)."""
    raw_body = read_inquiry_file(path, settings.max_body_bytes)
    display = LiveSteps(console, enabled=not json_output)
    async with open_runtime(settings, progress=display.update) as runtime:
        accepted = await accept_submission(
            runtime.db, runtime.catalog, raw_body=raw_body, content_type="application/json"
        )
        with display:
            result = await runtime.runner.execute(str(accepted.run_id))
        result["first_delivery"] = accepted.created
        result["files"] = await _write_artifacts(runtime, result)
    if not json_output:
        print_summary(console, result)
    return result


async def _write_artifacts(runtime: Runtime, result: dict[str, Any]) -> dict[str, str]:
    """Write the filled sheet as CSV, the email as .eml and the result as JSON."""
    folder = runtime.settings.data_dir / "runs" / result["run_id"]
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}

    if result.get("sheet"):
        rows = await runtime.workspace.google.read_range(
            result["sheet"]["id"], f"{QUOTE_SHEET_TAB}!A1:F60"
        )
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        files["sheet_csv"] = _write(folder / "quote.csv", buffer.getvalue())

    eml = result.pop("email_eml", None)
    if eml:
        files["email_eml"] = _write(folder / "email.eml", eml)

    files["result_json"] = _write(
        folder / "result.json", json.dumps(result, ensure_ascii=False, indent=2)
    )
    return files


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)
