"""`deme serve`: the API in one process, or N HTTP processes beside one executing process.

With one process, the API and the direct worker share an event loop, so a burst of
webhook deliveries waits behind the pipeline's work. With `web_processes` above 1,
uvicorn's supervisor starts that many HTTP-only processes, which store deliveries and
send a NOTIFY. This parent process executes the runs on its own thread and event loop.
It opens the runtime first, so an embedded emulator is started once and the HTTP
processes get its address through EMULATOR_URL.
"""

import asyncio
import contextlib
import os
import signal
import socket
import threading
import time

import structlog
import uvicorn
from fastapi import FastAPI

from backend.app import create_app
from backend.config import Settings, get_settings
from backend.errors import ConfigurationError
from backend.jobs.dispatch import open_dispatcher
from backend.logging import configure_logging
from backend.runtime import open_runtime

log = structlog.get_logger(__name__)

# How long stopping waits for the executor thread, in seconds. Runs in progress are
# cancelled at once and keep the status running. The next start on this host, or any
# worker after worker_stale_after_seconds, queues them again.
STOP_TIMEOUT_SECONDS = 30.0
# How often an HTTP process checks that its parent still runs, in seconds.
PARENT_CHECK_SECONDS = 1.0
# Environment variable through which the parent gives the HTTP processes its pid.
PARENT_PID_VARIABLE = "DEME_SERVE_PARENT_PID"


def serve(settings: Settings, *, host: str, port: int, web_processes: int) -> None:
    """Serve the API on host:port until SIGINT or SIGTERM."""
    if web_processes <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None)
        return
    # uvicorn binds the port after the executor has started; fail before that instead.
    _check_port_free(host, port)
    executor = RunExecutorThread(settings)
    emulator_url = executor.start()
    if emulator_url is not None:
        os.environ["EMULATOR_URL"] = emulator_url
    os.environ[PARENT_PID_VARIABLE] = str(os.getpid())
    log.info("serve.processes", web_processes=web_processes, executor="parent")
    try:
        uvicorn.run(
            "backend.serving:create_http_only_app",
            factory=True,
            workers=web_processes,
            host=host,
            port=port,
            log_config=None,
        )
    finally:
        executor.stop()
    if executor.failed:
        # A failure status lets a supervisor with Restart=on-failure restart the service.
        raise SystemExit(1)


def _check_port_free(host: str, port: int) -> None:
    """Raise ConfigurationError when host:port cannot be bound (in use, not allowed)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {error.strerror}; stop the process using "
            "that port or choose another --port"
        ) from error


def create_http_only_app() -> FastAPI:
    """Build the API of one HTTP process of `deme serve --web-processes N` (a uvicorn factory).

    Settings come from the environment, which the parent process prepared. The process
    stops when its parent is gone, so a parent killed with SIGKILL leaves no HTTP process
    storing deliveries that nothing executes, nor holding the port.
    """
    configure_logging("INFO")
    # If the parent died while this process started, getppid() already returns the new
    # parent's pid. The variable set by the parent keeps the original pid.
    _exit_with_parent(int(os.environ.get(PARENT_PID_VARIABLE, os.getppid())))
    return create_app(get_settings(), execute_runs=False)


def _exit_with_parent(parent_pid: int) -> None:
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        log.warning("serve.parent_gone", parent_pid=parent_pid)
        # On SIGTERM, uvicorn finishes the requests in progress, then stops.
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="deme-parent-watch", daemon=True).start()


class RunExecutorThread:
    """Opens the runtime and executes queued runs on the event loop of its own thread."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._thread = threading.Thread(target=self._main, name="deme-executor", daemon=True)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._emulator_url: str | None = None
        self.failed = False

    def start(self) -> str | None:
        """Start executing runs; return the embedded emulator's URL when one was started.

        Raises the runtime's error when it cannot open (database, settings).
        """
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self._emulator_url

    def stop(self) -> None:
        """Stop the worker and close the runtime; wait up to STOP_TIMEOUT_SECONDS."""
        if self._loop is not None and self._stopping is not None:
            # After a failure the executor's loop is closed, and nothing is left to stop.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(STOP_TIMEOUT_SECONDS)
        if self._thread.is_alive():
            log.warning("executor.stop_timed_out", timeout_s=STOP_TIMEOUT_SECONDS)

    def _main(self) -> None:
        try:
            asyncio.run(self._execute())
        except BaseException as error:  # noqa: BLE001 - reported to start() or to the log
            if not self._ready.is_set():
                self._error = error
                self._ready.set()
                return
            # Without this process's worker no run executes: stop the HTTP processes too,
            # so a supervisor (systemd, Docker) restarts the whole service.
            log.exception("executor.failed")
            self.failed = True
            os.kill(os.getpid(), signal.SIGTERM)

    async def _execute(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        async with open_runtime(self._settings) as runtime:
            dispatcher = open_dispatcher(runtime)
            await dispatcher.start()
            if runtime.emulator is not None:
                self._emulator_url = runtime.emulator.url
            self._ready.set()
            try:
                await self._stopping.wait()
            finally:
                await dispatcher.stop()
