"""A throwaway PostgreSQL server for the tests and the benchmark: `initdb` into a temp folder,
`pg_ctl start` on a free port (as the `postgres` user when running as root: the server refuses
root), fresh databases on demand, `pg_ctl stop` and the folder removed at the end. Nothing of
the machine's own clusters is touched. Development tooling: an agency's PostgreSQL is its own
(docs/gateway.md).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "civic"
MISSING = (
    "PostgreSQL's server binaries (initdb, pg_ctl) were not found on PATH or in "
    "/usr/lib/postgresql/*/bin: install them (`apt-get install -y postgresql`; bin/test does "
    "this when it runs as root)"
)


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (newest Debian version first), or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One test-owned server: `start()`, `create_database()` per test, `stop()`."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="civic-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        # The server refuses to run as root: then it runs as `postgres`, owning the folder.
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120,
                              cwd=self.folder)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}{self._log_tail()}")  # fmt: skip
        return done

    def _log_tail(self) -> str:
        log = self.folder / "log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def start(self) -> PostgresServer:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run(str(self.binaries / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", SUPERUSER, "--no-sync", "-E", "UTF8", "--locale", "C")  # fmt: skip
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.folder / "log"), "-w", "-t", "60", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")  # fmt: skip
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def admin_sql(self, sql: str) -> None:
        """Run `sql` as the superuser on the server's maintenance database."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"gateway_{next(self._names)}"
        self.admin_sql(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
