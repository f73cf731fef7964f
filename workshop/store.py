"""The workshops' database: one SQLite file in a data directory.

Every change is one transaction (``Store.write``: ``BEGIN IMMEDIATE``, so two
writers never interleave, across threads and processes), committed before the
caller hears it succeeded. WAL mode lets readers go on while a writer works;
``synchronous=FULL`` makes a commit durable before it returns, so a killed
process (even ``kill -9``) or a lost machine loses nothing committed.
The schema is migrated in order by ``PRAGMA user_version``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workshop.errors import Conflict, WorkshopError

DB_NAME = "workshops.sqlite3"
BUSY_TIMEOUT_MS = 15_000

# Each entry moves the schema one version up; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE workshops (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: processes cache by id
        code TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        created REAL NOT NULL,
        start TEXT NOT NULL,            -- JSON: scenario, seed, parameters, org chart digest, round weeks
        org_chart BLOB,                 -- the imported chart's bytes, if any
        rounds INTEGER NOT NULL,
        settings TEXT NOT NULL,         -- JSON: levers in play, prices, firm facts, starting levers
        weights TEXT NOT NULL,          -- JSON: scorecard weights
        key_digest TEXT NOT NULL,
        rounds_done INTEGER NOT NULL DEFAULT 0,
        window_open INTEGER NOT NULL DEFAULT 0,
        deadline REAL,
        ranks_shown INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 0,   -- bumped by every change
        provenance TEXT NOT NULL
    );
    CREATE TABLE teams (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        joined REAL NOT NULL,
        UNIQUE (workshop_id, name_key)
    );
    CREATE TABLE tokens (
        digest TEXT PRIMARY KEY,
        team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE
    );
    CREATE TABLE decisions (
        team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
        round INTEGER NOT NULL,
        levers TEXT NOT NULL,           -- JSON: the levers the team set this round
        actions TEXT NOT NULL,          -- JSON: list of {"action": name, options...}
        status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'carried')),
        updated REAL NOT NULL,
        PRIMARY KEY (team_id, round)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
        round INTEGER NOT NULL,
        week INTEGER NOT NULL,          -- week of the round it fires in, 0 = at the start
        team_id INTEGER REFERENCES teams(id) ON DELETE CASCADE,  -- NULL: every team
        kind TEXT NOT NULL,
        options TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE results (
        team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
        round INTEGER NOT NULL,         -- 0: the starting firm
        digest TEXT NOT NULL,           -- SHA-256 of the round's weekly metrics
        levers TEXT NOT NULL,           -- JSON: lever values in effect once the decision applied
        charged REAL NOT NULL,          -- one-off costs of the round's actions
        kpis TEXT NOT NULL,             -- JSON: scorecard measures at the end of the round
        PRIMARY KEY (team_id, round)
    );
    CREATE TABLE weeks (
        team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
        week INTEGER NOT NULL,
        metrics TEXT NOT NULL,          -- JSON: every metric of the week
        PRIMARY KEY (team_id, week)
    );
    CREATE TABLE failures (scope TEXT NOT NULL, client TEXT NOT NULL, at REAL NOT NULL);
    CREATE INDEX failures_by_scope ON failures (scope, client, at);
    CREATE TABLE log (
        id INTEGER PRIMARY KEY,
        workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def default_data_dir() -> Path:
    """Where workshops live unless ``--data`` says otherwise: ``$CXLAB_DATA``, else the
    per-user data directory (``~/.local/share/cxlab`` on Linux, honouring ``$XDG_DATA_HOME``)."""
    if os.environ.get("CXLAB_DATA"):
        return Path(os.environ["CXLAB_DATA"])
    import platformdirs

    return Path(platformdirs.user_data_dir("cxlab", appauthor=False))


class Store:
    """The database in ``data_dir`` (created with its schema on first use).

    Each thread (and each process after a fork) gets its own connection.

    Raises:
        WorkshopError: the directory cannot be created, the file is not a
            workshops database, or it was written by a newer version.
    """

    def __init__(self, data_dir: str | Path) -> None:
        self.dir = Path(data_dir).expanduser()
        self.path = self.dir / DB_NAME
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkshopError(f"cannot use data directory '{self.dir}': {exc.strerror}") from None
        self._local = threading.local()
        self._migrate()

    def _connect(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            try:
                db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
                db.row_factory = sqlite3.Row
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")
                db.execute("PRAGMA foreign_keys = ON")
                db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            except sqlite3.DatabaseError as exc:
                raise WorkshopError(f"'{self.path}' is not a workshops database ({exc})") from None
            local.db, local.pid = db, os.getpid()
        return local.db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _busy(exc) from None
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            db.execute("ROLLBACK")
            raise _busy(exc) from None

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: a consistent view while writers go on."""
        db = self._connect()
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def _migrate(self) -> None:
        with self.write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise WorkshopError(
                    f"'{self.path}' was written by a newer CX Culture Lab (schema {version}, "
                    f"this one knows {SCHEMA_VERSION}); upgrade to open it"
                )
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {step + 1}")

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        db = getattr(self._local, "db", None)
        if db is not None and self._local.pid == os.getpid():
            db.close()
        self._local = threading.local()


def _busy(exc: sqlite3.OperationalError) -> WorkshopError:
    if "locked" in str(exc) or "busy" in str(exc):
        return Conflict("the workshop is busy (a round is being saved); try again in a moment")
    return WorkshopError(f"the workshop database failed: {exc}")
