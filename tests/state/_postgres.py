"""A throwaway PostgreSQL server for the store tests: initdb in a temporary folder, pg_ctl start on
a free 127.0.0.1 port, trust authentication, durability off (fsync, synchronous_commit), removed
on stop. As root it runs as the ``postgres`` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    " -c max_connections=50 -c shared_buffers=32MB"
)


class PostgresUnavailableError(RuntimeError):
    """No usable PostgreSQL server binaries (the message says what is missing)."""


def find_bin_dir() -> Path:
    """The folder with ``initdb`` and ``pg_ctl``: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise PostgresUnavailableError("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailableError("running as root and no 'postgres' user to run the server as") from None
    return "postgres"


class ThrowawayPostgres:
    """``start()`` a fresh cluster; ``url`` is its admin URL; ``stop()`` removes everything."""

    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="alphaminer-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        done = subprocess.run(command, user=self.user, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise PostgresUnavailableError(f"{args[0]} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-500:]}")

    def start(self) -> ThrowawayPostgres:
        if self.user is not None:
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.root} {SERVER_OPTIONS}"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "-t", "30", "start")
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
