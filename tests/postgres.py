"""A throwaway PostgreSQL cluster for the tests and benches: ``initdb`` into a temporary
directory, served on a Unix socket in that directory only (no TCP port to collide with
another run or with a system cluster), stopped and removed afterwards.

PostgreSQL refuses to run as root. As root (CI, ``make test`` on a fresh machine) the
cluster is created and run by the ``postgres`` user that Debian's package makes, through
``runuser``; as anyone else it runs as that user. Either way it needs no service, no
system cluster and no password: the socket's directory is private and ``trust`` applies
to it alone.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

__all__ = ["Cluster", "initdb_executable", "start_cluster", "start_cluster_or_skip"]

USER = "mentormeet"
# Faster for tests, and safe for a cluster that is thrown away: nothing must survive a crash.
THROWAWAY = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def initdb_executable() -> Path | None:
    """Debian's newest ``initdb`` (``/usr/lib/postgresql/N/bin``), else one on the PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1])
    on_path = shutil.which("initdb")
    return Path(on_path) if on_path else None


@dataclass
class Cluster:
    """A running cluster: where it lives and how to reach it."""

    directory: Path
    bin_dir: Path
    as_postgres: bool
    _schemas: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    def url(self) -> str:
        """The ``postgresql://`` URL of its database, over the Unix socket."""
        return f"postgresql://{USER}@/postgres?host={self.directory}"

    async def new_schema(self) -> str:
        """Create an empty schema and return a URL that puts it first on the search path:
        as good as a new database to a store, and made in a millisecond, not hundreds."""
        name = f"test_{next(self._schemas)}"
        connection = await asyncpg.connect(self.url())
        try:
            await connection.execute(f"CREATE SCHEMA {name}")
        finally:
            await connection.close()
        # asyncpg sends the URL's unknown parameters as settings of the session.
        return f"{self.url()}&search_path={name}"

    def run(self, tool: str, *args: str) -> None:
        """Run one of PostgreSQL's programs on this cluster, as the user that owns it."""
        command = [str(self.bin_dir / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.directory)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")

    def stop(self) -> None:
        """Stop the server at once and remove every file of the cluster."""
        try:
            self.run("pg_ctl", "--pgdata", str(self.data_dir), "--mode", "immediate", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster(*, durable: bool = False) -> Cluster:
    """Create and start a cluster. ``durable`` keeps PostgreSQL's own defaults (every
    commit flushed to disk, as a production server has it); without it, the cluster
    trades durability for speed."""
    initdb = initdb_executable()
    if initdb is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    # In /tmp whatever TMPDIR says: the postgres user must reach it, and a Unix socket's
    # path may not exceed ~100 bytes.
    directory = Path(tempfile.mkdtemp(prefix="mentormeet-pg-", dir="/tmp"))
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(directory, initdb.parent, as_postgres)
    try:
        cluster.run(
            "initdb",
            "--pgdata",
            str(cluster.data_dir),
            "--username",
            USER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-sync",
        )
        settings = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{directory}'",
            **({} if durable else THROWAWAY),
        }
        with (cluster.data_dir / "postgresql.auto.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        log = str(directory / "server.log")
        cluster.run("pg_ctl", "--pgdata", str(cluster.data_dir), "--log", log, "--wait", "start")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return cluster


def start_cluster_or_skip(*, durable: bool = False) -> Cluster:
    """:func:`start_cluster`, or skip the test (fail it in CI) when PostgreSQL is missing."""
    if initdb_executable() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed, and CI must run its tests")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    return start_cluster(durable=durable)
