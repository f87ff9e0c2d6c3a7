"""Async engine and session factory for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.member_cache import CACHE_KEY, MemberCache
from storage.sqlite_direct import DIRECT_KEY, SqliteDirect

SQLITE_BUSY_TIMEOUT_MS = 5000
_CONNECTED_KEY = "connected"  # the session has used a database connection


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        ensure_sqlite_dir(url)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    parsed = make_url(url)
    schema = parsed.query.get("search_path")
    if schema:
        # asyncpg takes no libpq `options`; a schema is given as ?search_path=NAME instead.
        kwargs.setdefault("connect_args", {})["server_settings"] = {"search_path": schema}
        parsed = parsed.difference_update_query(["search_path"])
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(
    engine: AsyncEngine, member_cache_seconds: float = 0
) -> async_sessionmaker[AsyncSession]:
    """Sessions that share one member cache (0 seconds: no caching) and, on a SQLite file,
    one direct writer (storage/sqlite_direct.py), closed when the engine is disposed."""
    info: dict[str, Any] = {CACHE_KEY: MemberCache(member_cache_seconds)}
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and ":memory:" not in database:
        direct = SqliteDirect(database, _sqlite_pragmas)
        event.listen(engine.sync_engine, "engine_disposed", lambda _engine: direct.close())
        info[DIRECT_KEY] = direct
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info=info)


async def close_session(session: AsyncSession) -> None:
    """Closes the session. One that never used a connection (an update answered from
    caches) is closed directly: there is nothing to give back, so no greenlet is needed."""
    if session.info.get(_CONNECTED_KEY):
        await session.close()
    else:
        session.sync_session.close()


@event.listens_for(Session, "after_begin")
def _connected(session: Session, _transaction: SessionTransaction, _connection: Connection) -> None:
    session.info[_CONNECTED_KEY] = True
