"""aiogram FSM storage in the database, so a conversation survives a restart."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import ColumnElement, Delete, Select, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.sql.dml import Insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FsmRecord
from storage.sqlite_direct import execute_commit, fetch_first

_TABLE = FsmRecord.__table__  # type: ignore[attr-defined]


@cache
def _upsert_statement(dialect: str) -> Insert:
    """INSERT … ON CONFLICT (key) DO UPDATE: one statement (direct on SQLite)."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(_TABLE)
    statement = insert.values(
        {column.name: bindparam(column.name, type_=column.type) for column in _TABLE.columns}
    )
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={"state": statement.excluded.state, "data": statement.excluded.data},
    )


def _by_key() -> ColumnElement[bool]:
    return _TABLE.c.key == bindparam("key", type_=_TABLE.c.key.type)


@cache
def _select_statement() -> Select[Any]:
    return select(_TABLE.c.state, _TABLE.c.data).where(_by_key())


@cache
def _delete_statement() -> Delete:
    return delete(_TABLE).where(_by_key())


class SqlStorage(BaseStorage):
    """Write-through to the `fsmrecord` table with a read cache.

    Every update asks for the state, so reads are served from memory after the
    first one per chat; writes always reach the database, as one upsert or delete.
    The cache is sound because one process consumes the updates (long polling allows
    exactly one).
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._keys = DefaultKeyBuilder(with_destiny=True)
        self._cache: dict[str, FsmRecord] = {}

    async def _load(self, key: StorageKey) -> FsmRecord:
        storage_key = self._keys.build(key)
        record = self._cache.get(storage_key)
        if record is None:
            async with self._sessions() as session:
                row = await fetch_first(session, _select_statement(), {"key": storage_key})
            state, data = (row.state, row.data) if row is not None else (None, {})
            record = FsmRecord(key=storage_key, state=state, data=data)
            self._cache[storage_key] = record
        return record

    async def _save(self, record: FsmRecord) -> None:
        async with self._sessions() as session:
            dialect = session.get_bind().dialect.name
            if record.state is None and not record.data:
                await execute_commit(session, _delete_statement(), {"key": record.key})
            else:
                params = {"key": record.key, "state": record.state, "data": dict(record.data)}
                await execute_commit(session, _upsert_statement(dialect), params)
        self._cache[record.key] = record

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        record = await self._load(key)
        new_state = state.state if isinstance(state, State) else state
        if new_state == record.state:
            return
        await self._save(FsmRecord(key=record.key, state=new_state, data=record.data))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        record = await self._load(key)
        new_data = dict(data)
        if new_data == record.data:
            return
        await self._save(FsmRecord(key=record.key, state=record.state, data=new_data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._load(key)).data)

    async def close(self) -> None:
        self._cache.clear()
