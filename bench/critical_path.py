"""Assign the emulator's logged requests to the pipeline steps of one run.

The emulator's request log has each call's injected latency but not the step that made
it, so a request is assigned to the step whose time window contains it. Sequential
steps never overlap. The three parallel branches do, and their requests are distinguished
by the calls each branch makes, then by the rule that a step makes its calls one after
another.
"""

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from backend.emulator.stats import RequestRecord
from backend.graph.builder import PARALLEL_STEPS, STEP_ORDER
from backend.graph.progress import StepEvent

SEQUENTIAL_STEPS = tuple(step for step in STEP_ORDER if step not in PARALLEL_STEPS)

# (service, HTTP method) pairs each parallel branch sends, from backend/graph/nodes.py and
# backend/integrations. None matches any method, and Notion PATCH is the link that both the
# sheet and the calendar branch write back to the prestation page.
BRANCH_CALLS: dict[str, set[tuple[str, str | None]]] = {
    "create_quote_lines": {("notion", "POST")},
    "fill_quote_sheet": {("drive", None), ("sheets", None), ("notion", "PATCH")},
    "create_calendar_event": {("calendar", None), ("notion", "PATCH")},
}

# Tolerance for comparing the emulator thread's timestamps with the runner's (seconds).
CLOCK_TOLERANCE_SECONDS = 0.001


@dataclass
class StepClock:
    """Progress sink that stores the wall-clock window of each step of each run."""

    windows: dict[str, dict[str, tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    _started: dict[tuple[str, str], float] = field(default_factory=dict)

    def __call__(self, event: StepEvent) -> None:
        moment = time.time()
        key = (event.run_id, event.step)
        if event.status == "running":
            self._started[key] = moment
        elif key in self._started:
            # A skipped step sends no "running" event, so it gets no window.
            self.windows[event.run_id][event.step] = (self._started.pop(key), moment)


@dataclass(frozen=True)
class Call:
    """One logged request, with the interval its injected latency took (seconds)."""

    service: str
    method: str
    start: float
    end: float
    latency_start: float
    latency_end: float

    @classmethod
    def from_record(cls, record: RequestRecord) -> "Call":
        # The emulator stamps `time` when the response completes and sleeps the latency first.
        start = record.time - record.duration_ms / 1000.0
        return cls(
            record.service,
            record.method,
            start,
            record.time,
            start,
            start + record.latency_ms / 1000.0,
        )

    @property
    def latency_ms(self) -> float:
        return (self.latency_end - self.latency_start) * 1000.0


@dataclass
class Attribution:
    """The calls of one run, grouped by step, and those no step window contains."""

    by_step: dict[str, list[Call]]
    unassigned: list[Call]

    def injected_ms(self, step: str) -> float:
        return union_ms(call for call in self.by_step.get(step, []))

    def critical_path_ms(self) -> float:
        """Return the injected latency of the sequential steps plus the slowest branch."""
        sequential = sum(self.injected_ms(step) for step in SEQUENTIAL_STEPS)
        slowest_branch = max(self.injected_ms(step) for step in PARALLEL_STEPS)
        return sequential + slowest_branch


def union_ms(calls: Iterable[Call]) -> float:
    """Return the time covered by the calls' latency intervals, overlaps counted once."""
    intervals = sorted((call.latency_start, call.latency_end) for call in calls)
    covered = 0.0
    current_start: float | None = None
    current_end = 0.0
    for start, end in intervals:
        if current_start is None or start > current_end:
            if current_start is not None:
                covered += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_start is not None:
        covered += current_end - current_start
    return covered * 1000.0


def attribute_calls(
    records: Iterable[RequestRecord], windows: dict[str, tuple[float, float]]
) -> Attribution:
    """Assign each request that falls inside one of the run's step windows to its step."""
    by_step: dict[str, list[Call]] = defaultdict(list)
    unassigned: list[Call] = []
    ambiguous: list[tuple[Call, list[str]]] = []
    for call in sorted((Call.from_record(record) for record in records), key=_start):
        candidates = _containing_steps(call, windows)
        if len(candidates) > 1:
            candidates = [step for step in candidates if _branch_sends(step, call)]
        if len(candidates) == 1:
            by_step[candidates[0]].append(call)
        elif candidates:
            ambiguous.append((call, candidates))
        else:
            unassigned.append(call)

    for call, candidates in ambiguous:
        by_step[_closest_predecessor(call, candidates, by_step)].append(call)
    return Attribution(dict(by_step), unassigned)


def _start(call: Call) -> float:
    return call.start


def _containing_steps(call: Call, windows: dict[str, tuple[float, float]]) -> list[str]:
    return [
        step
        for step, (start, end) in windows.items()
        if start - CLOCK_TOLERANCE_SECONDS <= call.start
        and call.end <= end + CLOCK_TOLERANCE_SECONDS
    ]


def _branch_sends(step: str, call: Call) -> bool:
    calls = BRANCH_CALLS.get(step, set())
    return (call.service, call.method) in calls or (call.service, None) in calls


def _closest_predecessor(call: Call, candidates: list[str], by_step: dict[str, list[Call]]) -> str:
    """Pick the step whose previous call ended last before this one started.

    A step sends its calls one after another, so a step with a call still open when this
    one starts cannot have sent it.
    """
    best_step = candidates[0]
    best_end = float("-inf")
    for step in candidates:
        earlier = [other for other in by_step.get(step, []) if other.start < call.start]
        if any(other.end > call.start + CLOCK_TOLERANCE_SECONDS for other in earlier):
            continue
        last_end = max((other.end for other in earlier), default=float("-inf"))
        if last_end > best_end:
            best_step, best_end = step, last_end
    return best_step
