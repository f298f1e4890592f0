"""Time intake runs end to end against the emulator, without and with injected latency.

Usage from the repository root: `python bench/e2e.py [--runs N]`. Prints two tables and
exits 0, because no target is set yet. It exits 1 when a run does not succeed, since
its timings would mean nothing. bench/README.md explains each column.
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from critical_path import SEQUENTIAL_STEPS, StepClock, attribute_calls

from backend.config import Settings
from backend.db.embedded import stop_embedded_server
from backend.emulator import LatencyProfile, RunningEmulator, start_emulator
from backend.graph.builder import PARALLEL_STEPS, STEP_ORDER
from backend.graph.submissions import accept_submission
from backend.logging import configure_logging
from backend.runtime import Runtime, open_runtime

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PATH = REPO_ROOT / "examples" / "inquiries" / "wedding-lyon.json"
PROFILES = ("none", "realistic")


class RunFailedError(Exception):
    """Raised when a benchmarked run ends with a status other than succeeded."""


@dataclass(frozen=True)
class RunTiming:
    """Measures of one run, in milliseconds."""

    elapsed_ms: float
    step_ms: dict[str, int]
    injected_ms: float
    step_injected_ms: dict[str, float]
    critical_path_ms: float
    unassigned_calls: int


@dataclass(frozen=True)
class ProfileTiming:
    profile: str
    runs: list[RunTiming]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=5, help="Timed runs per latency profile (default 5)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="Seed of the realistic profile's latency jitter, for repeatable delays",
    )
    parser.add_argument("--verbose", action="store_true", help="Log deme's INFO events")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    return args


def inquiry_payload(profile: str, index: int) -> dict[str, Any]:
    """Return the sample with its own submission id, client email and date.

    A new client and a free date give every run the same work: the client is created, and
    no run is flagged for a date that earlier runs filled.
    """
    payload = json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))
    event_date = date.fromisoformat(payload["event_date"]) + timedelta(days=index)
    payload["submission_id"] = f"bench-{profile}-{index:03d}"
    payload["email"] = f"bench.client.{index}@example.fr"
    payload["event_date"] = event_date.isoformat()
    return payload


def latency_profile(name: str, seed: int) -> LatencyProfile:
    if name == "realistic":
        return LatencyProfile.realistic(seed=seed)
    return LatencyProfile.parse(name)


def injected_total_ms(emulator: RunningEmulator) -> float:
    return sum(emulator.stats.latency_ms().values())


async def execute_payload(runtime: Runtime, payload: dict[str, Any]) -> tuple[str, dict]:
    """Store the submission and execute its run, as the webhook and `deme run` do."""
    raw_body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    accepted = await accept_submission(
        runtime.db, runtime.catalog, raw_body=raw_body, content_type="application/json"
    )
    run_id = str(accepted.run_id)
    result = await runtime.runner.execute(run_id)
    if result["status"] != "succeeded":
        raise RunFailedError(
            f"run {run_id} of {payload['submission_id']} ended {result['status']}: "
            f"{result['errors']}"
        )
    return run_id, result


async def time_run(
    runtime: Runtime, emulator: RunningEmulator, clock: StepClock, payload: dict[str, Any]
) -> RunTiming:
    injected_before = injected_total_ms(emulator)
    started_wall = time.time()
    started = time.perf_counter()
    run_id, result = await execute_payload(runtime, payload)
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    finished_wall = time.time()

    records = [
        record
        for record in emulator.stats.log()
        if started_wall <= record.time - record.duration_ms / 1000.0
        and record.time <= finished_wall
    ]
    attribution = attribute_calls(records, clock.windows[run_id])
    return RunTiming(
        elapsed_ms=elapsed_ms,
        step_ms={step["name"]: step["duration_ms"] for step in result["steps"]},
        injected_ms=injected_total_ms(emulator) - injected_before,
        step_injected_ms={step: attribution.injected_ms(step) for step in STEP_ORDER},
        critical_path_ms=attribution.critical_path_ms(),
        unassigned_calls=len(attribution.unassigned),
    )


async def bench_profile(profile: str, runs: int, seed: int) -> ProfileTiming:
    """Time `runs` runs on a fresh embedded database and a fresh in-memory emulator."""
    # A short path keeps PostgreSQL's Unix socket path under its length limit.
    data_dir = Path(tempfile.mkdtemp(prefix="deme-bench-", dir="/tmp"))
    try:
        base = Settings(
            _env_file=None,
            data_dir=data_dir,
            database_url=None,
            # One sheet per run plus the warm-up run, so no run copies the template.
            template_pool_target=runs + 2,
            template_pool_seed=data_dir / "no-pool-seed.json",
        )
        with start_emulator(latency=latency_profile(profile, seed), settings=base) as emulator:
            settings = base.model_copy(update={"emulator_url": emulator.url})
            clock = StepClock()
            async with open_runtime(settings, progress=clock) as runtime:
                # The first run opens connections and fills caches, so it is not timed.
                await execute_payload(runtime, inquiry_payload(profile, 0))
                timings = [
                    await time_run(runtime, emulator, clock, inquiry_payload(profile, index))
                    for index in range(1, runs + 1)
                ]
        return ProfileTiming(profile, timings)
    finally:
        stop_embedded_server(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def p90(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def summary_table(results: list[ProfileTiming]) -> str:
    header = [
        "profile",
        "runs",
        "median ms",
        "p90 ms",
        "injected ms/run",
        "critical path ms",
        "overhead ms",
    ]
    rows = []
    for result in results:
        elapsed = [run.elapsed_ms for run in result.runs]
        median_elapsed = statistics.median(elapsed)
        critical_path = statistics.median(run.critical_path_ms for run in result.runs)
        rows.append(
            [
                result.profile,
                str(len(result.runs)),
                f"{median_elapsed:.0f}",
                f"{p90(elapsed):.0f}",
                f"{statistics.median(run.injected_ms for run in result.runs):.0f}",
                f"{critical_path:.0f}",
                f"{median_elapsed - critical_path:.0f}",
            ]
        )
    return format_table(header, rows)


def step_table(results: list[ProfileTiming]) -> str:
    header = ["step (median)"]
    for result in results:
        header += [f"{result.profile} ms", f"{result.profile} injected ms"]
    rows = []
    for step in STEP_ORDER:
        label = f"{step} (parallel)" if step in PARALLEL_STEPS else step
        row = [label]
        for result in results:
            row.append(f"{statistics.median(run.step_ms.get(step, 0) for run in result.runs)}")
            row.append(
                f"{statistics.median(run.step_injected_ms[step] for run in result.runs):.0f}"
            )
        rows.append(row)
    return format_table(header, rows)


def print_report(results: list[ProfileTiming], runs: int) -> None:
    print(
        f"deme end-to-end intake: {runs} timed runs per profile of "
        f"{SAMPLE_PATH.relative_to(REPO_ROOT)}, after one untimed warm-up run"
    )
    print(
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {platform.platform()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print()
    print(summary_table(results))
    print()
    print(step_table(results))
    print()
    print(
        "critical path = injected latency of the sequential steps "
        f"({', '.join(SEQUENTIAL_STEPS)}) plus the slowest parallel branch. The emulator "
        "logs each request's injected latency but not its step, so each request is "
        "assigned to a step by its time window and service (bench/critical_path.py). "
        "overhead = median ms - critical path ms."
    )
    unassigned = sum(run.unassigned_calls for result in results for run in result.runs)
    if unassigned:
        print(
            f"WARNING: {unassigned} emulator requests could not be assigned to a step, so "
            "they count in injected ms/run but not in the critical path. Check BRANCH_CALLS "
            "in bench/critical_path.py against the calls the steps make."
        )


async def main_async(args: argparse.Namespace) -> int:
    results = []
    for profile in PROFILES:
        print(f"timing profile {profile}...", file=sys.stderr)
        try:
            results.append(await bench_profile(profile, args.runs, args.seed))
        except RunFailedError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print_report(results, args.runs)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("INFO" if args.verbose else "WARNING")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
