"""A throwaway PostgreSQL server for tests: Debian's packaged server, installed when missing.

`postgres_server()` finds the server binaries under /usr/lib/postgresql/<version>/bin (and,
running as root on Debian, installs the `postgresql` package when they are absent), creates a
fresh cluster in a temporary directory, starts it on 127.0.0.1 with a free port and durability
switched off (it is thrown away), creates one database, and yields a `PostgresServer`. On exit
the server is stopped immediately and its directory removed. Anything that prevents this
raises `PostgresUnavailable` with the concrete reason, so a fixture can skip with it.

PostgreSQL refuses to run as root, so as root the cluster is owned and run by the `postgres`
system user the Debian package creates.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "postgres"  # the database superuser created by initdb
OS_USER = "postgres"  # the OS account that runs the server when we are root
DEFAULT_DATABASE = "supportbot"
INSTALL_TIMEOUT = float(os.environ.get("SUPPORTBOT_PG_INSTALL_TIMEOUT", "600"))
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections
SETTINGS = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be provided here; the message says why."""


@dataclass(frozen=True, slots=True)
class PostgresServer:
    bin_dir: Path
    data_dir: Path
    host: str
    port: int
    database: str

    @property
    def version(self) -> str:
        return self.bin_dir.parent.name

    @property
    def url(self) -> str:
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """The SQLAlchemy URL of one database of this server."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its name (a unique one unless given)."""
        name = name or f"test_{uuid.uuid4().hex[:16]}"
        self._admin(f'CREATE DATABASE "{_identifier(name)}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connection a test left open to it."""
        self._admin(f'DROP DATABASE IF EXISTS "{_identifier(name)}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(
            host=self.host,
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        ) as connection:
            connection.execute(statement)  # type: ignore[arg-type]


@contextlib.contextmanager
def postgres_server(
    *, install: bool = True, database: str = DEFAULT_DATABASE
) -> Iterator[PostgresServer]:
    """A fresh PostgreSQL cluster for the duration of the block; see the module docstring."""
    bin_dir = server_binaries(install=install)
    owner = _server_owner()
    base = Path(tempfile.mkdtemp(prefix="supportbot-pg-", dir=_tempdir_for(owner)))
    data_dir, socket_dir, log = base / "data", base / "run", base / "server.log"
    try:
        socket_dir.mkdir()
        if owner is not None:
            for path in (base, socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        _run(
            owner,
            [
                str(bin_dir / "initdb"),
                "-D", str(data_dir),
                "-U", SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb failed",
        )  # fmt: skip
        port = _start(owner, bin_dir, data_dir, socket_dir, log)
        server = PostgresServer(bin_dir, data_dir, "127.0.0.1", port, database)
        server.create_database(database)
        yield server
    finally:
        if (data_dir / "postmaster.pid").exists():  # also after a start that timed out
            _stop(owner, bin_dir, data_dir)
        shutil.rmtree(base, ignore_errors=True)


def server_binaries(*, install: bool = True) -> Path:
    """The bin directory of the newest installed server, installing Debian's when missing."""
    found = find_server_binaries()
    if found is not None:
        return found
    if not install:
        raise PostgresUnavailable(f"no PostgreSQL server under {PG_ROOT}/*/bin")
    install_server()
    found = find_server_binaries()
    if found is None:
        raise PostgresUnavailable(
            f"apt-get installed postgresql, but no server appeared under {PG_ROOT}/*/bin"
        )
    return found


def find_server_binaries() -> Path | None:
    candidates = [
        path.parent
        for path in PG_ROOT.glob("*/bin/initdb")
        if all(os.access(path.parent / name, os.X_OK) for name in SERVER_PROGRAMS)
    ]
    return max(candidates, key=_version_key, default=None)


def install_server(timeout: float = INSTALL_TIMEOUT) -> float:
    """Install Debian's `postgresql` package; returns the seconds it took.

    Only as root and only with apt-get; output is captured and its tail quoted on failure.
    """
    if os.geteuid() != 0:
        raise PostgresUnavailable(
            "no PostgreSQL server is installed and installing one needs root "
            "(apt-get install postgresql)"
        )
    if shutil.which("apt-get") is None:
        raise PostgresUnavailable("no PostgreSQL server is installed and apt-get is not available")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock_wait = ["-o", "DPkg::Lock::Timeout=120"]
    deadline = time.monotonic() + timeout
    began = time.monotonic()
    # A failed index update is only reported if the installation then fails too: some
    # unreachable extra source must not stop an install that the cached indexes allow.
    update_problem = _apt(["apt-get", *lock_wait, "update"], env, deadline, timeout)
    install_problem = _apt(
        [
            "apt-get", *lock_wait, "install", "-y", "--no-install-recommends",
            "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
            "postgresql",
        ],
        env, deadline, timeout,
    )  # fmt: skip
    if install_problem:
        raise PostgresUnavailable("; ".join(filter(None, [install_problem, update_problem])))
    return time.monotonic() - began


# --- helpers ------------------------------------------------------------------------------
def _apt(argv: list[str], env: dict[str, str], deadline: float, timeout: float) -> str | None:
    """Run one apt-get step before the deadline; the problem as text, or None when it worked."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return f"installing postgresql took longer than {timeout:.0f} s"
    try:
        done = subprocess.run(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=remaining,
        )
    except subprocess.TimeoutExpired:
        return f"installing postgresql took longer than {timeout:.0f} s ({' '.join(argv)})"
    except OSError as error:
        return f"`{' '.join(argv)}` could not run: {error}"
    if done.returncode != 0:
        return f"`{' '.join(argv)}` failed with exit code {done.returncode}: " + _tail(
            done.stdout + done.stderr
        )
    return None


def _server_owner() -> pwd.struct_passwd | None:
    """The OS account to run the server as: None means the current (non-root) user."""
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(OS_USER)
    done = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise PostgresUnavailable(
            f"PostgreSQL refuses to run as root and creating the OS user {OS_USER!r} failed: "
            + _tail(done.stdout + done.stderr)
        )
    return pwd.getpwnam(OS_USER)


def _tempdir_for(owner: pwd.struct_passwd | None) -> str:
    """A temp directory whose parents the server's OS user can traverse."""
    default = tempfile.gettempdir()
    if owner is None:
        return default
    path = Path(default).resolve()
    for parent in (path, *path.parents):
        if not parent.stat().st_mode & stat.S_IXOTH:
            return "/tmp"
    return default


def _run(owner: pwd.struct_passwd | None, argv: list[str], what: str) -> str:
    kwargs = {}
    if owner is not None:
        kwargs = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C",
        "HOME": owner.pw_dir if owner else os.environ.get("HOME", "/"),
    }
    try:
        done = subprocess.run(
            argv,
            env=env,
            cwd="/",
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT + 30,
            **kwargs,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise PostgresUnavailable(f"{what}: {error}") from None
    if done.returncode != 0:
        raise PostgresUnavailable(
            f"{what} (exit code {done.returncode}): " + _tail(done.stdout + done.stderr)
        )
    return done.stdout


def _start(
    owner: pwd.struct_passwd | None, bin_dir: Path, data_dir: Path, socket_dir: Path, log: Path
) -> int:
    """Start the server on a free loopback port; retry when another process takes the port."""
    last = ""
    for _attempt in range(3):
        port = _free_port()
        options = " ".join(
            ["-c listen_addresses=127.0.0.1", f"-p {port}", f"-k {socket_dir}", *SETTINGS]
        )
        try:
            _run(
                owner,
                [
                    str(bin_dir / "pg_ctl"),
                    "-D", str(data_dir),
                    "-l", str(log),
                    "-o", options,
                    "-t", str(START_TIMEOUT),
                    "-w",
                    "start",
                ],
                "pg_ctl start failed",
            )  # fmt: skip
            return port
        except PostgresUnavailable as error:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            last = f"{error}; server log: {_tail(server_log)}"
            if "already in use" not in server_log:
                break
    raise PostgresUnavailable(last)


def _stop(owner: pwd.struct_passwd | None, bin_dir: Path, data_dir: Path) -> None:
    """Stop the server at once (its data is thrown away); a server already gone is fine."""
    with contextlib.suppress(PostgresUnavailable):
        _run(
            owner,
            [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "stop"],
            "pg_ctl stop failed",
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name)) or (0,)


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


def _tail(output: str, lines: int = 15) -> str:
    kept = [line for line in output.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) if kept else "(no output)"
