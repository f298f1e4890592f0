"""Crash drill: SIGKILL the process executing a run after each pipeline step, then restart it.

Usage from the repository root: `python bench/crash_drill.py [--mode direct|celery]`.
Direct mode kills `deme serve` (its in-process worker holds the run); Celery mode runs
`deme serve` plus two `deme worker` processes and kills the worker holding the run.
One inquiry per step: the drill waits until run_steps records that step as succeeded,
kills, restarts, and waits for the run to finish. It prints a table and exits 1 unless
every run succeeded and the emulator holds exactly one of everything per inquiry.
"""

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

import httpx
import redis
from drill_support import (
    Drill,
    check_workspace,
    close_drill,
    free_port,
    inquiry,
    open_drill,
    post_inquiry,
    print_table,
    start_redis,
)

from backend.graph.builder import STEP_ORDER
from backend.logging import configure_logging

STEP_TIMEOUT_SECONDS = 60.0
FINISH_TIMEOUT_SECONDS = 120.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("direct", "celery"), default="direct")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=150,
        help="Emulator delay per call (ms), so that a kill lands between steps (default 150)",
    )
    return parser.parse_args(argv)


async def wait_for_step(drill: Drill, run_id: str, step: str) -> float:
    """Wait until `step` of the run has succeeded; return the wait (s)."""
    started = time.monotonic()
    while time.monotonic() - started < STEP_TIMEOUT_SECONDS:
        if step in await drill.succeeded_steps(run_id):
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise RuntimeError(f"step {step} of run {run_id} did not succeed in {STEP_TIMEOUT_SECONDS} s")


class Processes:
    """The deme processes of one mode, and how to find and restart the one holding a run."""

    def __init__(self, drill: Drill, mode: str, port: int) -> None:
        self.drill = drill
        self.mode = mode
        self.port = port
        self.server = drill.start_server(port)
        self.workers: dict[int, Any] = {}
        if mode == "celery":
            for number in (0, 1):
                self.workers[number] = drill.start_worker(number, beat=number == 0)

    def holder(self, locked_by: str | None) -> tuple[str, Any]:
        if self.mode == "direct":
            return "deme serve", self.server
        if locked_by is None:
            # The run finished before the drill read it (after its last step).
            return "deme worker 0", self.workers[0]
        pid = int(locked_by.rsplit(":", 1)[-1])
        for number, process in self.workers.items():
            if process.pid == pid:
                return f"deme worker {number}", process
        raise RuntimeError(f"no worker process has pid {pid} (run locked by {locked_by!r})")

    def restart(self, process: Any) -> None:
        if process is self.server:
            self.server = self.drill.start_server(self.port)
            return
        for number, worker in self.workers.items():
            if worker is process:
                self.workers[number] = self.drill.start_worker(number, beat=number == 0)
                return


async def drill_steps(drill: Drill, mode: str, latency_ms: int) -> list[list[Any]]:
    port = free_port()
    async with httpx.AsyncClient(timeout=30) as http:
        latency = {service: latency_ms for service in ("notion", "drive", "sheets", "calendar",
                                                        "gmail")}
        await http.put(f"{drill.emulator_url}/_emulator/latency", content=json.dumps(latency))
    processes = Processes(drill, mode, port)
    base_url = f"http://127.0.0.1:{port}"

    rows = []
    async with httpx.AsyncClient(timeout=30) as http:
        for index, step in enumerate(STEP_ORDER):
            run_id, _ = await post_inquiry(base_url, inquiry(index, f"crash-{mode}"))
            await wait_for_step(drill, run_id, step)
            run = await drill.run_row(run_id)
            name, process = processes.holder(run["locked_by"])

            killed_at = time.monotonic()
            Drill.kill(process)
            processes.restart(process)
            statuses = await drill.wait_finished([run_id], FINISH_TIMEOUT_SECONDS)
            recovered_s = time.monotonic() - killed_at

            final = await drill.run_row(run_id)
            rows.append([
                step, name, run["status"], statuses[run_id], final["attempts"],
                f"{recovered_s:.1f}",
            ])
            print(f"killed {name} after {step}: run {statuses[run_id]}", file=sys.stderr)
    return rows


async def main_async(args: argparse.Namespace) -> int:
    extra_env: dict[str, str] = {}
    redis_server = None
    drill = await open_drill(f"crash-{args.mode}")
    try:
        if args.mode == "celery":
            redis_server, broker_url = start_redis(drill.folder)
            drill.env["CELERY_BROKER_URL"] = broker_url
        drill.env.update(extra_env)
        rows = await drill_steps(drill, args.mode, args.latency_ms)
        check = await check_workspace(drill, expected=len(STEP_ORDER))
    finally:
        await close_drill(drill)
        if redis_server is not None:
            with contextlib.suppress(redis.exceptions.RedisError):
                redis_server.shutdown()

    print_table(
        f"Crash drill, {args.mode} mode: SIGKILL after each step, then restart",
        ["killed after", "process killed", "run at kill", "final status", "claims",
         "kill to finished (s)"],
        rows,
    )
    print_table(
        "Emulator and database after the drill",
        ["inquiries", "clients", "prestations", "quote lines", "events", "emails",
         "sheets used", "duplicates"],
        [[check.expected, check.clients, check.prestations, check.quote_lines, check.events,
          check.emails, check.sheets_used, check.duplicates]],
    )
    missed = [row[0] for row in rows if row[3] != "succeeded"]
    if missed or not check.complete:
        print(f"\nMISSED: runs not succeeded after {missed}; duplicates {check.duplicates}; "
              f"complete {check.complete}")
        return 1
    print("\nOK: every run succeeded, nothing duplicated")
    return 0


def main(argv: list[str] | None = None) -> int:
    configure_logging("WARNING")
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
