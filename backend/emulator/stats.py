"""Call counts, status counts, injected latency and the request log of an emulator."""

import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass
from typing import Any

REQUEST_LOG_SIZE = 5000


@dataclass(frozen=True)
class RequestRecord:
    """One API call and the emulator's response to it."""

    service: str
    operation: str
    method: str
    path: str
    status: int
    duration_ms: float
    latency_ms: float
    fault: bool
    time: float


class EmulatorStats:
    """Thread-safe counters; the request log keeps the last `REQUEST_LOG_SIZE` calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._calls: Counter[str] = Counter()
            self._statuses: Counter[str] = Counter()
            self._latency_ms: defaultdict[str, float] = defaultdict(float)
            self._faults: Counter[str] = Counter()
            self._log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)

    def add_latency(self, service: str, milliseconds: float) -> None:
        with self._lock:
            self._latency_ms[service] += milliseconds

    def record(
        self,
        service: str,
        operation: str,
        method: str,
        path: str,
        status: int,
        duration_ms: float,
        latency_ms: float = 0.0,
        fault: bool = False,
    ) -> None:
        entry = RequestRecord(
            service, operation, method, path, status, duration_ms, latency_ms, fault, time.time()
        )
        with self._lock:
            self._calls[f"{service}.{operation}"] += 1
            self._statuses[f"{service} {status}"] += 1
            if fault:
                self._faults[service] += 1
            self._log.append(entry)

    def calls(self) -> dict[str, int]:
        with self._lock:
            return dict(self._calls)

    def latency_ms(self) -> dict[str, float]:
        with self._lock:
            return dict(self._latency_ms)

    def log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "statuses": dict(self._statuses),
                "faults": dict(self._faults),
                "latency_ms_total": {
                    key: round(value, 3) for key, value in self._latency_ms.items()
                },
                "requests": len(self._log),
            }

    def log_json(self, limit: int = 200) -> list[dict[str, Any]]:
        with self._lock:
            records = list(self._log)[-limit:]
        return [asdict(record) for record in records]
