"""Database location: the server named by DATABASE_URL, or an embedded PostgreSQL.

Without DATABASE_URL, deme runs PostgreSQL 16 with pgvector from the `pgserver`
package (0.1.4) in `<data_dir>/pg`. The server is started once and left running
(`cleanup_mode=None`), so `deme run`, `deme serve`, workers and tests share it:
a later process reads `postmaster.pid` and connects to the running server.
`stop_embedded_server` stops it.

pgserver 0.1.4 behaviour this module relies on, read from its source:
- It listens on a Unix socket only. The socket goes in the data folder unless
  that path is too long for `AF_UNIX` (108 bytes on Linux, 104 on macOS), in
  which case it uses `<user runtime dir>/python_PostgresServer/<hash>`.
- Run as root, it starts PostgreSQL as a `pgserver` system user (created with
  `useradd` when missing), chowns the data folder to that user and adds
  `g+rx,o+rx` to every parent folder so that user can reach it.
"""

import atexit
import os
import stat
import subprocess
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import structlog
from sqlalchemy.engine import URL, make_url

from backend.config import Settings
from backend.db.errors import DatabaseSetupError, EmbeddedDatabaseError
from backend.db.locks import SCHEMA_LOCK_KEY

log = structlog.get_logger(__name__)

# pgserver reads the user runtime folder when it is imported. Without XDG_RUNTIME_DIR,
# platformdirs warns and falls back to /tmp/runtime-<uid>, which suits us.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pgserver
    from pgserver.postgres_server import PostgresServer

PGDATA_FOLDER = "pg"
LOG_TAIL_LINES = 20

# pgserver serialises processes with an fcntl file lock, which does not exclude
# threads of one process from each other.
_start_lock = threading.Lock()


@dataclass(frozen=True)
class DatabaseUrls:
    """Connection URLs of one database, for the two drivers deme uses."""

    sqlalchemy: str
    """`postgresql+asyncpg://…` for SQLAlchemy's async engine."""
    libpq: str
    """`postgresql://…` for psycopg 3 (Alembic, LangGraph's `AsyncPostgresSaver`)."""

    def with_database(self, name: str) -> "DatabaseUrls":
        """Return the URLs of another database on the same server."""
        return DatabaseUrls(
            sqlalchemy=_render(make_url(self.sqlalchemy).set(database=name)),
            libpq=_render(make_url(self.libpq).set(database=name)),
        )

    def __repr__(self) -> str:
        return f"DatabaseUrls({self.redacted()})"

    def redacted(self) -> str:
        """Return the libpq URL with its password masked, for logs and messages."""
        return make_url(self.libpq).render_as_string(hide_password=True)


def ensure_database(settings: Settings) -> DatabaseUrls:
    """Return the database URLs, starting the embedded server when DATABASE_URL is unset.

    Also creates the pgvector extension. Blocking: call it with `asyncio.to_thread`
    from async code.
    """
    if settings.database_url is not None:
        urls = urls_from_database_url(settings.database_url.get_secret_value())
        log.info("database.external", url=urls.redacted())
    else:
        urls = start_embedded_server(settings.data_dir)

    create_extensions(urls)
    return urls


def urls_from_database_url(url: str) -> DatabaseUrls:
    """Build both driver URLs from a `postgresql://` (or `postgres://`) URL.

    A driver suffix such as `postgresql+psycopg://` is accepted and replaced.
    libpq's `sslmode` becomes asyncpg's `ssl`, which takes the same values.
    NOTE: other libpq-only query parameters (`connect_timeout`, `options`...) are
    passed to asyncpg unchanged and make it fail; add a translation here when needed.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise DatabaseSetupError(
            f"DATABASE_URL must start with postgresql://, got {parsed.drivername}://"
        )

    libpq = parsed.set(drivername="postgresql")
    asyncpg_query = dict(libpq.query)
    if "sslmode" in asyncpg_query:
        asyncpg_query["ssl"] = asyncpg_query.pop("sslmode")
    asyncpg = libpq.set(drivername="postgresql+asyncpg", query=asyncpg_query)
    return DatabaseUrls(sqlalchemy=_render(asyncpg), libpq=_render(libpq))


def embedded_pgdata(data_dir: Path) -> Path:
    """Return the absolute PostgreSQL data folder inside deme's data folder."""
    return (data_dir / PGDATA_FOLDER).expanduser().resolve()


def start_embedded_server(data_dir: Path) -> DatabaseUrls:
    """Start the embedded PostgreSQL in `<data_dir>/pg`, or reuse the one already running."""
    pgdata = embedded_pgdata(data_dir)
    with _start_lock:
        server = _get_server(pgdata)

    info = server.get_postmaster_info()
    socket_path = info.socket_path
    if socket_path is not None and not socket_path.exists():
        raise EmbeddedDatabaseError(
            f"PostgreSQL (pid {info.pid}) is running in {pgdata} but its socket "
            f"{socket_path} is missing, often because a temporary-file cleaner removed "
            f"it. Stop the server (backend.db.embedded.stop_embedded_server) and start deme "
            f"again."
        )

    urls = urls_from_database_url(server.get_uri())
    log.info(
        "database.embedded",
        pgdata=str(pgdata),
        socket_dir=str(info.socket_dir),
        postmaster_pid=info.pid,
        system_user=server.system_user,
    )
    return urls


def _get_server(pgdata: Path) -> PostgresServer:
    _prepare_data_dir(pgdata)
    _remove_stale_pid_file(pgdata)

    try:
        return pgserver.get_server(pgdata, cleanup_mode=None)
    except subprocess.CalledProcessError as exc:
        raise EmbeddedDatabaseError(
            f"PostgreSQL in {pgdata} failed to initialise or start "
            f"(exit status {exc.returncode}). {_log_tail(pgdata)}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise EmbeddedDatabaseError(
            f"PostgreSQL in {pgdata} did not start within {exc.timeout} s. {_log_tail(pgdata)}"
        ) from exc
    except RuntimeError as exc:
        # pgserver raises a bare RuntimeError when neither socket folder fits in AF_UNIX.
        raise EmbeddedDatabaseError(
            f"No folder for the PostgreSQL Unix socket has a short enough path: "
            f"{pgdata} and {PostgresServer.runtime_path} are both too long for the "
            f"AF_UNIX socket path limit (108 bytes on Linux). Set DATA_DIR to a shorter "
            f"path, such as /var/lib/deme, or set XDG_RUNTIME_DIR to a short folder. ({exc})"
        ) from exc
    except OSError as exc:
        raise EmbeddedDatabaseError(
            f"Cannot prepare the PostgreSQL data folder {pgdata}: {exc}. deme needs to "
            f"create it and, when run as root, hand it to the 'pgserver' system user."
        ) from exc


def stop_embedded_server(data_dir: Path) -> bool:
    """Stop the embedded PostgreSQL in `<data_dir>/pg`. Returns False when it was not running.

    Every process connected to it loses its connections.
    """
    pgdata = embedded_pgdata(data_dir)
    if not _postmaster_running(pgdata):
        return False

    system_user = "pgserver" if os.geteuid() == 0 else None
    with _start_lock:
        pgserver.pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=system_user)

        # pgserver caches one handle per data folder and per process, and would hand
        # the stopped server out again. Drop the handle and its exit hook, which would
        # otherwise fail on the missing cache entry (pgserver 0.1.4 internals).
        cached = PostgresServer._instances.pop(pgdata, None)
        if cached is not None:
            atexit.unregister(cached._cleanup)

    log.info("database.embedded_stopped", pgdata=str(pgdata))
    return True


def create_extensions(urls: DatabaseUrls) -> None:
    """Create the pgvector extension if missing.

    The advisory lock serialises processes that start together, because two
    concurrent `CREATE EXTENSION IF NOT EXISTS` can both try to insert it.
    """
    try:
        with psycopg.connect(urls.libpq) as connection:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.errors.InsufficientPrivilege as exc:
        raise DatabaseSetupError(
            f"The database role may not create the pgvector extension on "
            f"{urls.redacted()}: ask an administrator to run CREATE EXTENSION vector in "
            f"that database. ({exc})"
        ) from exc
    except (psycopg.errors.UndefinedFile, psycopg.errors.FeatureNotSupported) as exc:
        raise DatabaseSetupError(
            f"pgvector is not installed on the PostgreSQL server at {urls.redacted()}: "
            f"install it (https://github.com/pgvector/pgvector) or unset DATABASE_URL "
            f"to use the embedded server. ({exc})"
        ) from exc
    except psycopg.OperationalError as exc:
        raise DatabaseSetupError(
            f"Cannot connect to PostgreSQL at {urls.redacted()}: {exc}"
        ) from exc


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _prepare_data_dir(pgdata: Path) -> None:
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EmbeddedDatabaseError(
            f"Cannot create the data folder {pgdata.parent}: {exc}. Set DATA_DIR to a "
            f"writable folder."
        ) from exc

    if os.geteuid() == 0:
        closed = _folders_closed_to_others(pgdata.parent)
        if closed:
            log.warning(
                "database.embedded_permissions_widened",
                folders=[str(folder) for folder in closed],
                reason="pgserver runs PostgreSQL as the 'pgserver' user and adds o+rx",
            )


def _folders_closed_to_others(folder: Path) -> list[Path]:
    """Return `folder` and its parents that other users cannot list and enter."""
    needed = stat.S_IROTH | stat.S_IXOTH
    closed = []
    for candidate in (folder, *folder.parents):
        if candidate.stat().st_mode & needed != needed:
            closed.append(candidate)
    return closed


def _remove_stale_pid_file(pgdata: Path) -> None:
    """Delete `postmaster.pid` when its pid now belongs to a process other than our server.

    After a crash or a reboot the pid can be reused by an unrelated process.
    pgserver 0.1.4 only checks that the pid is alive, so it would take that
    process for the server and never start PostgreSQL.
    """
    pid_file = pgdata / "postmaster.pid"
    pid = _read_postmaster_pid(pid_file)
    if pid is None or _is_postmaster_of(pid, pgdata):
        return
    if not psutil.pid_exists(pid):
        return  # PostgreSQL removes a lock file whose process is gone by itself.

    pid_file.unlink(missing_ok=True)
    log.warning("database.embedded_stale_pid_file_removed", pgdata=str(pgdata), pid=pid)


def _postmaster_running(pgdata: Path) -> bool:
    pid = _read_postmaster_pid(pgdata / "postmaster.pid")
    return pid is not None and _is_postmaster_of(pid, pgdata)


def _read_postmaster_pid(pid_file: Path) -> int | None:
    try:
        first_line = pid_file.read_text().split("\n", 1)[0]
    except FileNotFoundError:
        return None
    return int(first_line) if first_line.strip().isdigit() else None


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    try:
        process = psutil.Process(pid)
        return process.name() == "postgres" and str(pgdata) in process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _log_tail(pgdata: Path) -> str:
    server_log = pgdata / "log"
    try:
        lines = server_log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
    except OSError:
        return f"No server log at {server_log}."
    return f"Last lines of {server_log}:\n" + "\n".join(lines)


__all__ = [
    "DatabaseUrls",
    "create_extensions",
    "embedded_pgdata",
    "ensure_database",
    "start_embedded_server",
    "stop_embedded_server",
    "urls_from_database_url",
]
