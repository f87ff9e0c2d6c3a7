"""One-hop SQLite: a Core statement (and its COMMIT) on one dedicated thread.

Through SQLAlchemy's async layer over aiosqlite every statement costs several thread hops
(cursor, execute, fetch, close, commit, the pool's reset on return), which is most of a
check-in's time. `SqliteDirect` runs the same Core statement with the synchronous pysqlite
driver on a single worker thread that owns its own connection, and commits, in one hop.
PostgreSQL (asyncpg) keeps the session: there a statement is one round trip already.

It is used only by sessions of the factory that owns it (`session.info[DIRECT_KEY]`) and
only while the session has nothing of its own to commit, so a unit of work is never split
between two connections, and the session never waits for a lock the thread holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, Result, Row, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

DIRECT_KEY = "sqlite_direct"
_WROTE_KEY = "sqlite_direct_wrote"  # the session's open transaction has written


class SqliteDirect:
    """A worker thread with its own pysqlite connection to the same database file."""

    def __init__(self, url: URL, on_connect: Callable[[Any, Any], None]) -> None:
        self._engine: Engine = create_engine(url.set(drivername="sqlite"), pool_size=1)
        event.listen(self._engine, "connect", on_connect)
        self._thread: ThreadPoolExecutor | None = None  # started on first use

    async def execute(
        self, statement: Executable, params: Mapping[str, Any], *, commit: bool
    ) -> Row[Any] | None:
        """Runs the statement in its own transaction (committed if `commit`); its first row."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-direct")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._execute, statement, params, commit)

    def _execute(
        self, statement: Executable, params: Mapping[str, Any], commit: bool
    ) -> Row[Any] | None:
        with self._engine.begin() if commit else self._engine.connect() as connection:
            return _first(connection.execute(statement, params))

    def close(self) -> None:
        """Closes the connection and ends the thread (both come back on next use)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            # The connection belongs to the worker thread: close it there.
            thread.submit(self._engine.dispose).result()
            thread.shutdown()


async def execute_commit(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any]
) -> Row[Any] | None:
    """Runs a write statement and commits; its first row, if any. In one hop on SQLite when
    the session has nothing of its own to commit, else through the session."""
    direct = direct_for(session.sync_session)
    if direct is not None:
        return await direct.execute(statement, params, commit=True)
    row = _first(await session.exec(statement, params=params))  # type: ignore[call-overload]
    await session.commit()
    return row


async def fetch_first(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any]
) -> Row[Any] | None:
    """A read's first row: in one hop on SQLite when the session has nothing of its own
    open (which another connection would not see), else through the session."""
    direct = direct_for(session.sync_session)
    if direct is not None:
        return await direct.execute(statement, params, commit=False)
    return _first(await session.exec(statement, params=params))  # type: ignore[call-overload]


def _first(result: Result[Any]) -> Row[Any] | None:
    return result.first() if result.returns_rows else None


def direct_for(session: Session) -> SqliteDirect | None:
    """The session factory's direct writer, if it has one and the session has no work of its
    own open (pending objects, or writes flushed in its transaction)."""
    direct: SqliteDirect | None = session.info.get(DIRECT_KEY)
    if direct is None or session.info.get(_WROTE_KEY):
        return None
    if session.new or session.dirty or session.deleted:
        return None
    return direct


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    if DIRECT_KEY in session.info:
        session.info[_WROTE_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select and DIRECT_KEY in state.session.info:
        state.session.info[_WROTE_KEY] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE_KEY, None)
