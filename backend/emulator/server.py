"""Run the emulator with uvicorn on 127.0.0.1, in a background thread or in the foreground."""

import argparse
import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import structlog
import uvicorn

from backend.config import Settings
from backend.emulator.app import create_app
from backend.emulator.faults import FaultInjector, FaultRule
from backend.emulator.latency import LatencyProfile
from backend.emulator.stats import EmulatorStats
from backend.emulator.store import Store

log = structlog.get_logger(__name__)

STARTUP_TIMEOUT_SECONDS = 10.0
# Open calls get this long to finish when the emulator stops.
SHUTDOWN_GRACE_SECONDS = 1


class RunningEmulator:
    """An emulator serving in a background thread; `stop()` or use it as a context manager."""

    def __init__(
        self,
        url: str,
        store: Store,
        stats: EmulatorStats,
        faults: FaultInjector,
        latency: LatencyProfile,
        server: uvicorn.Server,
        thread: threading.Thread,
    ) -> None:
        self.url = url
        self.store = store
        self.stats = stats
        self.faults = faults
        self.latency = latency
        self._server = server
        self._thread = thread

    @property
    def google_base_url(self) -> str:
        return self.url

    @property
    def notion_base_url(self) -> str:
        return self.url

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self.faults.release_held()
        self._server.should_exit = True
        self._thread.join(timeout=SHUTDOWN_GRACE_SECONDS + 5)
        self.store.close()
        log.info("emulator.stopped", url=self.url)

    def __enter__(self) -> "RunningEmulator":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _as_latency(latency: LatencyProfile | str | None) -> LatencyProfile:
    if isinstance(latency, LatencyProfile):
        return latency
    return LatencyProfile.parse(latency)


def _as_faults(faults: FaultInjector | list[FaultRule] | None) -> FaultInjector:
    if isinstance(faults, FaultInjector):
        return faults
    return FaultInjector(faults or [])


def start_emulator(
    data_dir: Path | None = None,
    latency: LatencyProfile | str | None = None,
    faults: FaultInjector | list[FaultRule] | None = None,
    port: int = 0,
    settings: Settings | None = None,
) -> RunningEmulator:
    """Start an emulator on 127.0.0.1 (a free port when `port` is 0) and wait until it serves.

    With `data_dir` the state lives in `<data_dir>/emulator/state.sqlite3`, else in memory.
    """
    store = Store.open(data_dir) if data_dir is not None else Store.memory()
    latency_profile = _as_latency(latency)
    injector = _as_faults(faults)
    stats = EmulatorStats()
    app = create_app(store, latency_profile, injector, settings=settings, stats=stats)

    # IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections; with protocol 0
    # Nagle's algorithm delays most responses of 1 KB or more by about 40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    host, bound_port = sock.getsockname()
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="deme-emulator", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"emulator failed to start on 127.0.0.1:{bound_port}")
        time.sleep(0.005)
    url = f"http://{host}:{bound_port}"
    log.info("emulator.started", url=url, data_dir=str(data_dir) if data_dir else None)
    return RunningEmulator(url, store, stats, injector, latency_profile, server, thread)


def main(argv: list[str] | None = None) -> None:
    """Serve the emulator in the foreground: `python -m backend.emulator --port 8765`."""
    parser = argparse.ArgumentParser(description="Local Notion and Google Workspace emulator")
    parser.add_argument("--port", type=int, default=8765, help="TCP port on 127.0.0.1")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(".deme"),
        help="Folder of the state file emulator/state.sqlite3",
    )
    parser.add_argument(
        "--memory", action="store_true", help="Keep the state in memory instead of --data-dir"
    )
    parser.add_argument(
        "--latency",
        default="none",
        help='Latency profile: none, realistic, or JSON ms per service such as {"notion": 350}',
    )
    args = parser.parse_args(argv)
    store = Store.memory() if args.memory else Store.open(args.data_dir)
    app = create_app(store, LatencyProfile.parse(args.latency), FaultInjector.none())
    log.info("emulator.serving", url=f"http://127.0.0.1:{args.port}", memory=args.memory)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")
