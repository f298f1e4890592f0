"""Fault drill: the emulator fails about 20 % of calls; every inquiry still completes once.

Usage from the repository root: `python bench/fault_drill.py [--inquiries 100]`.
`deme serve` (direct mode) gets short timeouts and retry waits. For Notion and each
Google service, the emulator fails 14 % of calls with 429, 500 or 503 (Retry-After 1 s),
holds 4 % past the client's 1 s timeout, and applies 3 % but returns 503, as when a
response is lost.
After the first pass, every run that did not succeed is retried with POST
/runs/{id}/retry, with the faults still on, up to `--rounds` times. The drill prints a
table and exits 1 unless every run ends succeeded, no run failed with an error marked
not retryable, and the emulator holds exactly one of everything per inquiry.
"""

import argparse
import asyncio
import sys
from collections import Counter
from typing import Any

import httpx
from drill_support import (
    API_TOKEN,
    Drill,
    check_workspace,
    close_drill,
    free_port,
    inquiry,
    open_drill,
    post_inquiry,
    print_table,
)

from backend.logging import configure_logging

SERVICES = ("notion", "drive", "sheets", "calendar", "gmail")
FINISH_TIMEOUT_SECONDS = 900.0
POST_CONCURRENCY = 10

FAST_FAILURE_ENV = {
    "HTTP_TIMEOUT_SECONDS": "1",
    "RETRY_MAX_ATTEMPTS": "3",
    "RETRY_BASE_DELAY_SECONDS": "0.05",
    "RETRY_MAX_DELAY_SECONDS": "0.5",
    "TEMPLATE_POOL_TARGET": "20",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5, help="Retry rounds at most")
    return parser.parse_args(argv)


def fault_rules() -> list[dict[str, Any]]:
    rules = []
    for service in SERVICES:
        rules += [
            {"service": service, "status": [429, 500, 503], "rate": 0.14, "count": None,
             "retry_after": 1},
            {"service": service, "kind": "timeout", "status": 504, "rate": 0.04,
             "count": None, "delay_seconds": 2},
            {"service": service, "status": 503, "rate": 0.03, "count": None,
             "after_commit": True},
        ]
    return rules


def retryable(run: dict[str, Any]) -> bool:
    errors = (run.get("result") or {}).get("errors") or ([run["error"]] if run["error"] else [])
    return bool(errors) and all(error.get("retryable") for error in errors)


async def fetch_runs(http: httpx.AsyncClient, base_url: str, run_ids: list[str]) -> list[dict]:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    runs = []
    for run_id in run_ids:
        response = await http.get(f"{base_url}/runs/{run_id}", headers=headers)
        runs.append(response.json())
    return runs


async def post_all(http: httpx.AsyncClient, base_url: str, count: int) -> list[str]:
    semaphore = asyncio.Semaphore(POST_CONCURRENCY)

    async def post(index: int) -> str:
        async with semaphore:
            run_id, _ = await post_inquiry(base_url, inquiry(index, "fault"))
            return run_id

    return await asyncio.gather(*(post(index) for index in range(count)))


async def run_drill(drill: Drill, args: argparse.Namespace) -> tuple[list[list[Any]], Any]:
    port = free_port()
    drill.env.update(FAST_FAILURE_ENV)
    drill.start_server(port)
    base_url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    rows: list[list[Any]] = []

    async with httpx.AsyncClient(timeout=60) as http:
        await http.delete(f"{drill.emulator_url}/_emulator/stats")
        added = await http.post(f"{drill.emulator_url}/_emulator/faults", json=fault_rules())
        added.raise_for_status()
        run_ids = await post_all(http, base_url, args.inquiries)
        await drill.wait_finished(run_ids, FINISH_TIMEOUT_SECONDS)
        runs = await fetch_runs(http, base_url, run_ids)
        rows.append(tally("first pass", runs))

        for round_number in range(1, args.rounds + 1):
            to_retry = [run for run in runs if run["status"] != "succeeded" and retryable(run)]
            if not to_retry:
                break
            for run in to_retry:
                response = await http.post(f"{base_url}/runs/{run['id']}/retry", headers=headers)
                response.raise_for_status()
            await drill.wait_finished(run_ids, FINISH_TIMEOUT_SECONDS)
            runs = await fetch_runs(http, base_url, run_ids)
            rows.append(tally(f"after retry round {round_number} ({len(to_retry)} runs)", runs))

        stats = (await http.get(f"{drill.emulator_url}/_emulator/stats")).json()
        await http.delete(f"{drill.emulator_url}/_emulator/faults")
    check = await check_workspace(drill, expected=args.inquiries)
    calls = sum(stats["calls"].values())
    faults = sum(stats["faults"].values())
    return rows + [["faults injected", f"{faults} of {calls} calls ({faults / calls:.1%})",
                    "", "", "", ""]], (check, runs)


def tally(label: str, runs: list[dict[str, Any]]) -> list[Any]:
    statuses = Counter(run["status"] for run in runs)
    failed = [run for run in runs if run["status"] != "succeeded"]
    not_retryable = sum(1 for run in failed if not retryable(run))
    return [label, statuses["succeeded"], statuses["partial"], statuses["failed"],
            len(failed) - not_retryable, not_retryable]


async def main_async(args: argparse.Namespace) -> int:
    drill = await open_drill("fault")
    try:
        rows, (check, runs) = await run_drill(drill, args)
    finally:
        await close_drill(drill)

    print_table(
        f"Fault drill: {args.inquiries} inquiries, about 20 % of calls failing",
        ["pass", "succeeded", "partial", "failed", "not succeeded, retryable",
         "not succeeded, not retryable"],
        rows,
    )
    print_table(
        "Emulator and database after the drill",
        ["inquiries", "clients", "prestations", "quote lines", "events", "emails",
         "sheets used", "duplicates"],
        [[check.expected, check.clients, check.prestations, check.quote_lines, check.events,
          check.emails, check.sheets_used, check.duplicates]],
    )
    unfinished = [run for run in runs if run["status"] != "succeeded"]
    if unfinished or not check.complete:
        for run in unfinished[:5]:
            print(f"not succeeded: {run['id']} {run['status']} {run['error']}")
        print(f"\nMISSED: {len(unfinished)} runs not succeeded; duplicates {check.duplicates}")
        return 1
    print("\nOK: every run succeeded, nothing duplicated")
    return 0


def main(argv: list[str] | None = None) -> int:
    configure_logging("WARNING")
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
