"""Start a throw-away PostgreSQL + PostGIS server for the tests (no mocks).

``initdb`` into a fresh temp folder, ``pg_ctl start`` on a free 127.0.0.1 port
(and a unix socket in the same folder), ``CREATE EXTENSION postgis``. As root,
PostgreSQL refuses to run, so the server runs as the ``postgres`` system user
(created by the Debian package; created here with ``useradd`` when missing),
started through ``runuser`` (util-linux) or ``su``.

Binaries are looked up in ``$PG_BIN``, ``/usr/lib/postgresql/*/bin`` (Debian)
and ``$PATH``. When none is found, :func:`find_bin` returns ``None`` and the
fixture skips with a message saying what to install (a failure in CI, where
``make test`` installs ``postgresql`` and ``postgresql-15-postgis-3``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL/PostGIS binaries not found: `make test` installs them "
    "(apt-get install postgresql postgresql-15-postgis-3), or set PG_BIN"
)


def find_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, newest version first."""
    candidates = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    which = shutil.which("initdb")
    if which:
        candidates.append(Path(which).parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    return None


def has_postgis(bin_dir: Path) -> bool:
    """Whether the server of ``bin_dir`` has the postgis extension installed."""
    try:
        share = subprocess.run(
            [str(bin_dir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        version = bin_dir.parent.name
        share = f"/usr/share/postgresql/{version}"
    return bool(glob.glob(f"{share}/extension/postgis.control"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """The user to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", "postgres"],
            check=True,
            capture_output=True,
        )
    return "postgres"


def _as(user: str | None, argv: list[str]) -> list[str]:
    if user is None:
        return argv
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *argv]
    import shlex

    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(argv)]


@dataclass
class PostgisServer:
    """A running server; :attr:`url` connects as its superuser over TCP."""

    bin_dir: Path
    data_dir: Path
    port: int
    user: str | None
    db_user: str

    @property
    def url(self) -> str:
        return f"postgresql://{self.db_user}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            _as(
                self.user,
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start(bin_dir: Path, timeout: float = 60.0) -> PostgisServer:
    """initdb, start and enable PostGIS; raises RuntimeError with the server log on failure."""
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="landclear-pg-"))
    data = root / "data"
    data.mkdir()
    if user is not None:
        info = pwd.getpwnam(user)
        for p in (root, data):
            os.chown(p, info.pw_uid, info.pw_gid)
        # The temp folder must be reachable by the server user.
        os.chmod(root, 0o755)
    db_user = user or pwd.getpwuid(os.geteuid()).pw_name
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    init = subprocess.run(
        _as(
            user,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                db_user,
                "-E",
                "UTF8",
                "--no-sync",
            ],
        ),
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
    port = free_port()
    opts = (
        f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c shared_buffers=64MB"
    )
    log = root / "server.log"
    started = subprocess.run(
        _as(
            user,
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                opts,
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
        ),
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    server = PostgisServer(bin_dir, data, port, user, db_user)
    if started.returncode != 0:
        text = log.read_text(errors="replace") if log.exists() else started.stderr
        server.stop()
        raise RuntimeError(f"pg_ctl start failed: {started.stderr}\n{text}")
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.url, autocommit=True) as c:
                c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.2)
    return server
