"""`deme worker`: Celery worker processes that execute the runs the API enqueues."""

import os
from typing import Annotated

import typer

from backend.config import get_settings
from backend.logging import configure_logging

EXIT_NOT_CONFIGURED = 2


def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Runs executed at once; default WORKER_CONCURRENCY")
    ] = None,
    pool: Annotated[
        str, typer.Option(help="Celery pool: prefork (a process per run) or solo (one)")
    ] = "prefork",
    beat: Annotated[
        bool, typer.Option(help="Also run the beat schedule (one worker of the fleet only)")
    ] = False,
) -> None:
    """Run a Celery worker (needs CELERY_BROKER_URL); `deme serve` then only enqueues."""
    from backend.jobs.celery_app import create_celery_app

    configure_logging("INFO")
    settings = get_settings()
    if settings.celery_broker_url is None:
        typer.echo(
            "error: CELERY_BROKER_URL is not set; set it to a Redis URL such as "
            "redis://127.0.0.1:6379/0, or use `deme serve` alone (direct mode)",
            err=True,
        )
        raise typer.Exit(EXIT_NOT_CONFIGURED)
    if settings.uses_emulator and not settings.emulator_url:
        typer.echo(
            "error: EMULATOR_URL is not set; start `deme emulator` and point every worker "
            "at it, so that all workers write to one emulator",
            err=True,
        )
        raise typer.Exit(EXIT_NOT_CONFIGURED)

    app = create_celery_app(settings, worker=True)
    argv = [
        "worker",
        f"--concurrency={concurrency or settings.worker_concurrency}",
        f"--pool={pool}",
        "--loglevel=INFO",
        # Several workers on one machine need distinct node names.
        f"--hostname=deme-{os.getpid()}@%h",
    ]
    if beat:
        schedule = settings.data_dir / "celerybeat-schedule"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", f"--schedule={schedule}"]
    app.worker_main(argv)
