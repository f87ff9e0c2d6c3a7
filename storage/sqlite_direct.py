"""Direct SQLite: a Core statement (and its COMMIT) on a sqlite3 connection of our own.

Through SQLAlchemy's async layer over aiosqlite every statement costs several thread hops
(cursor, execute, fetch, close, commit, the pool's reset on return), which was most of a
check-in's time. `SqliteDirect` compiles each statement once and runs it on a plain
sqlite3 connection:

- in the event loop, when SQLite's write lock is free at once (`BEGIN IMMEDIATE` with no
  busy wait): an indexed insert and its commit take tens of microseconds, less than
  handing them to a thread;
- otherwise on a worker thread with its own connection, which waits for the lock
  (busy timeout) while the event loop goes on, so the writer holding the lock can finish.

The event-loop connection never checkpoints the WAL (a checkpoint copies pages and
syncs); every `CHECKPOINT_EVERY` commits the worker runs a passive checkpoint instead.
Passive, because a full or restarting one would hold writers back while a long read (an
export) finishes.
PostgreSQL (asyncpg) keeps the session: there a statement is one round trip already.

It is used only by sessions of the factory that owns it (`session.info[DIRECT_KEY]`) and
only while the session has nothing of its own to commit, so a unit of work is never split
between two connections, and the session never waits for a lock the direct writer holds.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

from sqlalchemy import Result, event
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

DIRECT_KEY = "sqlite_direct"
_WROTE_KEY = "sqlite_direct_wrote"  # the session's open transaction has written
CHECKPOINT_EVERY = 500  # event-loop commits between passive WAL checkpoints
_LOCK_ERRORS = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_DIALECT = SQLiteDialect_pysqlite()

Configure = Callable[[sqlite3.Connection], None]


class _Prepared:
    """A Core statement compiled once for sqlite3: its SQL, how to order and convert the
    parameters, and how to convert the first row it returns."""

    def __init__(self, statement: Executable) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        if compiled.post_compile_params:
            raise ValueError("statements with expanding parameters are not supported")
        self.sql = compiled.string
        self._slots = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            self._slots.append((name, process, bind.effective_value))
        columns = list(getattr(statement, "exported_columns", ()))
        self._row_type = namedtuple(  # type: ignore[misc]
            "Row", [column.key or f"c{n}" for n, column in enumerate(columns)], rename=True
        )
        self._converters = [
            column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, None)
            for column in columns
        ]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, process, constant in self._slots:
            value = params.get(name, constant)
            values.append(process(value) if process is not None else value)
        return values

    def run(self, connection: sqlite3.Connection, arguments: Sequence[Any], commit: bool) -> Any:
        """Runs in its own transaction (committed if `commit`); the first row or None."""
        if not commit:
            return self._first(connection.execute(self.sql, arguments).fetchall())
        connection.execute("BEGIN IMMEDIATE")
        try:
            rows = connection.execute(self.sql, arguments).fetchall()
            connection.execute("COMMIT")
        except BaseException:
            connection.rollback()
            raise
        return self._first(rows)

    def _first(self, rows: list[tuple[Any, ...]]) -> NamedTuple | None:
        if not rows:
            return None
        values = [
            convert(value) if convert is not None else value
            for convert, value in zip(self._converters, rows[0], strict=False)
        ]
        return self._row_type(*values)  # type: ignore[no-any-return]


class SqliteDirect:
    """sqlite3 connections of our own to the same database file (see the module text)."""

    def __init__(self, database: str, configure: Configure) -> None:
        self._database = database
        self._configure = configure
        self._prepared: dict[Executable, _Prepared] = {}
        self._in_loop: sqlite3.Connection | None = None  # opened on first use
        self._thread: ThreadPoolExecutor | None = None
        self._on_thread: sqlite3.Connection | None = None  # used only by the thread
        self._commits_since_checkpoint = 0

    async def execute(
        self, statement: Executable, params: Mapping[str, Any], *, commit: bool
    ) -> Any:
        """Runs the statement in its own transaction (committed if `commit`); its first row
        as a named tuple, or None."""
        prepared = self._prepared.get(statement)
        if prepared is None:
            prepared = self._prepared[statement] = _Prepared(statement)
        arguments = prepared.arguments(params)
        try:
            row = prepared.run(self._loop_connection(), arguments, commit)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode not in _LOCK_ERRORS:
                raise
        else:
            if commit:
                self._count_commit()
            return row
        # The write lock is held (by a session awaiting this loop, perhaps): wait on the thread.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._worker(), self._run_on_thread, prepared, arguments, commit
        )

    def _loop_connection(self) -> sqlite3.Connection:
        if self._in_loop is None:
            connection = self._connect()
            connection.execute("PRAGMA busy_timeout=0")  # a held lock sends us to the thread
            connection.execute("PRAGMA wal_autocheckpoint=0")  # the thread checkpoints
            self._in_loop = connection
        return self._in_loop

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: `run` begins and commits its own transactions.
        connection = sqlite3.connect(self._database, isolation_level=None, check_same_thread=False)
        self._configure(connection)
        return connection

    def _worker(self) -> ThreadPoolExecutor:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-direct")
        return self._thread

    def _run_on_thread(self, prepared: _Prepared, arguments: Sequence[Any], commit: bool) -> Any:
        if self._on_thread is None:
            self._on_thread = self._connect()
        return prepared.run(self._on_thread, arguments, commit)

    def _count_commit(self) -> None:
        self._commits_since_checkpoint += 1
        if self._commits_since_checkpoint >= CHECKPOINT_EVERY:
            self._commits_since_checkpoint = 0
            self._worker().submit(self._checkpoint).add_done_callback(_log_failure)

    def _checkpoint(self) -> None:
        if self._on_thread is None:
            self._on_thread = self._connect()
        self._on_thread.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        """Closes both connections and ends the thread (all come back on next use)."""
        connection, self._in_loop = self._in_loop, None
        if connection is not None:
            connection.close()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.submit(self._close_on_thread).result()
            thread.shutdown()

    def _close_on_thread(self) -> None:
        connection, self._on_thread = self._on_thread, None
        if connection is not None:
            connection.close()


def _log_failure(future: Future[None]) -> None:
    if future.exception() is not None:
        log.warning("WAL checkpoint failed: %s", future.exception())


async def execute_commit(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any]
) -> Any:
    """Runs a write statement and commits; its first row, if any (a named tuple, or a Row
    through the session). Direct on SQLite when the session has nothing of its own to
    commit, else through the session."""
    direct = direct_for(session.sync_session)
    if direct is not None:
        return await direct.execute(statement, params, commit=True)
    row = _first(await session.exec(statement, params=params))  # type: ignore[call-overload]
    await session.commit()
    return row


async def fetch_first(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any]
) -> Any:
    """A read's first row: direct on SQLite when the session has nothing of its own open
    (which another connection would not see), else through the session."""
    direct = direct_for(session.sync_session)
    if direct is not None:
        return await direct.execute(statement, params, commit=False)
    return _first(await session.exec(statement, params=params))  # type: ignore[call-overload]


def _first(result: Result[Any]) -> Any:
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
