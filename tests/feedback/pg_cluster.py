"""A throw-away PostgreSQL server for the tests: `initdb` + `pg_ctl start` into a temp dir.

Why not the system service: tests must not depend on (or disturb) a server someone configured, and
CI only has to install Debian's `postgresql` package. One cluster per session listens on a free
localhost port with trust authentication; each test gets its own database, copied with
`CREATE DATABASE ... TEMPLATE` from one that was migrated once (a copy takes milliseconds, running
the migrations takes a second).

PostgreSQL refuses to run as root; when the tests run as root (CI containers), the server runs as
the `postgres` system user the package creates, through `runuser`.

fsync is off (full_page_writes too): the tests kill processes - clients, and the server itself
in one test - but never the machine, and a commit that returned has its WAL in the OS's cache,
which survives a process crash. synchronous_commit stays on: with it off, a server crash would lose
commits that had already returned, which the server-crash test would rightly catch.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

REQUIRE_VARIABLE = "REELMATE_REQUIRE_POSTGRES"  # CI sets it: "no PostgreSQL found" is then a failure
BIN_VARIABLE = "REELMATE_PG_BIN"  # directory holding initdb and pg_ctl, if not found on its own
SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (or they could not start a cluster)."""


def find_bin_dir() -> Path:
    """initdb/pg_ctl: REELMATE_PG_BIN, then PATH, then Debian's /usr/lib/postgresql/<version>/bin."""
    candidates = [os.environ.get(BIN_VARIABLE, "")]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))  # the real bin dir, psql beside it
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for candidate in filter(None, candidates):
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise PostgresUnavailable(
        "no PostgreSQL server found (initdb/pg_ctl): install it (Debian/Ubuntu: "
        f"`apt-get install postgresql`) or set {BIN_VARIABLE}"
    )


def _version_key(path: str) -> float:
    try:
        return float(Path(path).parent.name)
    except ValueError:
        return 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    """A running server; `url(database)` is what DATABASE_URL would say."""

    bin_dir: Path
    data_dir: Path
    port: int
    run_as: str | None

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(args[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")

    @classmethod
    def start(cls) -> PostgresCluster:
        """Start a server in a new directory of its own under the temp dir (not pytest's, which
        is private to the user running the tests and which pytest re-secures when it starts)."""
        bin_dir = find_bin_dir()
        run_as = SUPERUSER if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="reelmate-pg-"))
        data_dir = root / "pgdata"
        if run_as:
            try:
                account = pwd.getpwnam(run_as)
            except KeyError:
                raise PostgresUnavailable(f"running as root and no {run_as!r} user to run the server") from None
            os.chown(root, account.pw_uid, account.pw_gid)
        cluster = cls(bin_dir, data_dir, _free_port(), run_as)
        cluster._run(str(bin_dir / "initdb"), "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust",
                     "--encoding=UTF8", "--no-sync", "--no-instructions")
        cluster.start_server()
        return cluster

    def start_server(self) -> None:
        """Start (or start again) the server on this cluster's port; waits until it accepts connections."""
        root = self.data_dir.parent
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
                  "-l", str(root / "server.log"), "-w", "start")

    def stop_server(self, mode: str = "immediate") -> None:
        """Stop the server, keeping its data (immediate: as if it crashed; it recovers on start)."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def create_database(self, template: str | None = None) -> str:
        """A new database (a copy of `template` if given); returns its URL."""
        name = f"reelmate_{uuid.uuid4().hex[:16]}"
        copy = f" TEMPLATE {template}" if template else ""
        self.admin(f"CREATE DATABASE {name}{copy}")
        return self.url(name)

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE DATABASE cannot run inside one)."""
        done = subprocess.run([str(self.bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                               "-p", str(self.port), "-U", SUPERUSER, "-d", "postgres", "-c", sql],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise PostgresUnavailable(f"psql {sql!r} failed: {done.stderr.strip()}")

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            self.stop_server()
        finally:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)
