"""Exactly one process runs the scheduler and the sender.

PostgreSQL: a session-level `pg_try_advisory_lock` held on a dedicated connection (no
pool). If the leader dies its connection closes, the server drops the lock, and the next
process that retries takes over.

SQLite: an exclusive `flock` on a file beside the database, so a second process on the
same host stays a follower; an in-memory database is always its own leader. SQLite is
meant for one bot process: run several processes only with PostgreSQL.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import NullPool

from storage.db import create_engine, is_sqlite

log = logging.getLogger(__name__)


class Leadership(Protocol):
    async def try_acquire(self) -> bool:
        """True if this process is (now) the leader."""

    async def still_held(self) -> bool:
        """False once the lock is lost (e.g. the database connection broke)."""

    async def release(self) -> None: ...


def lock_key(database_url: str) -> int:
    """A signed 64-bit key per database URL (schemas sharing a server do not collide)."""
    return zlib.crc32(f"branchbot-scheduler:{database_url}".encode())


class PostgresLeader:
    def __init__(self, database_url: str) -> None:
        self._engine = create_engine(database_url, poolclass=NullPool)
        self._key = lock_key(database_url)
        self._connection: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self._connection is not None and await self.still_held():
            return True
        connection = await self._engine.connect()
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            result = await connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            )
            acquired = bool(result.scalar())
        except Exception:
            await connection.close()
            raise
        if not acquired:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
        except Exception:
            log.warning("leader connection lost", exc_info=True)
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        # Closing the session ends the lock; an explicit unlock would be redundant.
        await self._drop()
        await self._engine.dispose()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                await connection.invalidate()


class FileLeader:
    def __init__(self, lock_path: Path | None) -> None:
        self._path = lock_path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        if self._fd is not None or self._path is None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def still_held(self) -> bool:
        return self._fd is not None or self._path is None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def leader_for(database_url: str) -> Leadership:
    if not is_sqlite(database_url):
        return PostgresLeader(database_url)
    database = make_url(database_url).database
    if not database or database == ":memory:":
        return FileLeader(None)
    return FileLeader(Path(database).expanduser().with_suffix(".leader"))
