"""Burst: 200 inquiries posted at once while the emulator enforces Notion's rate limit.

Usage from the repository root: `python bench/burst.py [--inquiries 200]`.
`deme serve --web-processes 2` runs in direct mode: two HTTP-only processes store the
deliveries, and the parent process executes the runs with its Notion limiter at 3
calls/s, evenly spaced (the rate it uses by default against Notion, set explicitly for
the emulator). The emulator returns 429 with Retry-After 1 s to Notion calls above 3/s
(token bucket of 3). The drill first posts `--warmup` inquiries, 10 at a time, so both
HTTP processes have served requests before the burst. It then posts every burst inquiry at
once, one connection each, then one probe inquiry every 2 s while the runs proceed, and
waits for all runs. Targets: every run succeeds, Notion 429s are under 1 % of Notion
calls, and the webhook's p99 response time is under 100 ms, both for the burst and for the
probes. Prints a table and exits 1 when a target is missed.
"""

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter

import httpx
from drill_support import (
    check_workspace,
    close_drill,
    free_port,
    inquiry,
    open_drill,
    post_inquiry,
    print_table,
)

from backend.logging import configure_logging

FINISH_TIMEOUT_SECONDS = 3600.0
NOTION_RATE_RULE = {
    "service": "notion", "kind": "rate_limit", "per_second": 3, "burst": 3, "count": None,
    "retry_after": 1,
}
P99_TARGET_MS = 100.0
NOTION_429_TARGET = 0.01


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=200)
    parser.add_argument("--probes", type=int, default=20, help="Inquiries posted while runs go")
    parser.add_argument("--probe-interval", type=float, default=2.0, help="Seconds between")
    parser.add_argument("--warmup", type=int, default=20, help="Inquiries posted before")
    parser.add_argument("--web-processes", type=int, default=2, help="HTTP processes")
    return parser.parse_args(argv)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def main_async(args: argparse.Namespace) -> int:
    drill = await open_drill("burst")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    drill.env["TEMPLATE_POOL_TARGET"] = "20"
    drill.env["NOTION_REQUESTS_PER_SECOND"] = "3"
    try:
        drill.start_server(port, web_processes=args.web_processes)
        limits = httpx.Limits(max_connections=args.inquiries + 10)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            await http.post(f"{drill.emulator_url}/_emulator/faults", json=NOTION_RATE_RULE)
            await http.delete(f"{drill.emulator_url}/_emulator/stats")

            started = time.monotonic()
            warmup = []
            for first in range(0, args.warmup, 10):
                warmup += await asyncio.gather(
                    *(post_inquiry(base_url, inquiry(args.inquiries + args.probes + index, "burst"))
                      for index in range(first, min(first + 10, args.warmup)))
                )
            await asyncio.sleep(1.0)
            burst = await asyncio.gather(
                *(post_inquiry(base_url, inquiry(index, "burst"))
                  for index in range(args.inquiries))
            )
            probes = []
            for number in range(args.probes):
                await asyncio.sleep(args.probe_interval)
                probes.append(
                    await post_inquiry(base_url, inquiry(args.inquiries + number, "burst"))
                )
            run_ids = [run_id for run_id, _ in warmup + burst + probes]
            statuses = await drill.wait_finished(run_ids, FINISH_TIMEOUT_SECONDS)
            elapsed_s = time.monotonic() - started
            stats = (await http.get(f"{drill.emulator_url}/_emulator/stats")).json()
        check = await check_workspace(drill, expected=len(run_ids))
    finally:
        await close_drill(drill)

    burst_ms = [elapsed for _, elapsed in burst]
    probe_ms = [elapsed for _, elapsed in probes]
    notion_calls = sum(
        count for key, count in stats["statuses"].items() if key.startswith("notion ")
    )
    notion_429 = stats["statuses"].get("notion 429", 0)
    share_429 = notion_429 / notion_calls if notion_calls else 0.0
    outcome = Counter(statuses.values())

    print_table(
        f"Burst: {args.warmup} warm-up inquiries, {args.inquiries} at once, then "
        f"{args.probes} probes every {args.probe_interval:g} s; {args.web_processes} HTTP "
        "processes; emulator limits Notion to 3 calls/s",
        ["posts", "median ms", "p99 ms", "max ms"],
        [
            [f"burst of {len(burst_ms)}", f"{statistics.median(burst_ms):.1f}",
             f"{percentile(burst_ms, 0.99):.1f}", f"{max(burst_ms):.1f}"],
            [f"{len(probe_ms)} probes while runs go", f"{statistics.median(probe_ms):.1f}",
             f"{percentile(probe_ms, 0.99):.1f}", f"{max(probe_ms):.1f}"],
        ],
    )
    print_table(
        "Runs and Notion calls",
        ["runs", "succeeded", "other", "all finished after (s)", "Notion calls",
         "Notion 429", "429 share", "duplicates"],
        [[len(statuses), outcome["succeeded"], len(statuses) - outcome["succeeded"],
          f"{elapsed_s:.0f}", notion_calls, notion_429, f"{share_429:.2%}", check.duplicates]],
    )

    missed = []
    if outcome["succeeded"] != len(statuses):
        missed.append(f"{len(statuses) - outcome['succeeded']} runs not succeeded")
    if share_429 >= NOTION_429_TARGET:
        missed.append(f"Notion 429 share {share_429:.2%} >= 1 %")
    for label, values in (("burst", burst_ms), ("probe", probe_ms)):
        if values and percentile(values, 0.99) >= P99_TARGET_MS:
            missed.append(f"{label} p99 {percentile(values, 0.99):.1f} ms >= 100 ms")
    if not check.complete:
        missed.append(f"workspace incomplete or duplicated ({check.duplicates} duplicates)")
    if missed:
        print("\nMISSED: " + "; ".join(missed))
        return 1
    print("\nOK: all targets met")
    return 0


def main(argv: list[str] | None = None) -> int:
    configure_logging("WARNING")
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
