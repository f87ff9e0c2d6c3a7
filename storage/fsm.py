"""aiogram FSM storage in the database, so a conversation survives a restart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FsmRecord


class SqlStorage(BaseStorage):
    """Write-through to the `fsmrecord` table with a read cache.

    Every update asks for the state, so reads are served from memory after the
    first one per chat; writes always reach the database. The cache is sound
    because one process consumes the updates (long polling allows exactly one).
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
                record = await session.get(FsmRecord, storage_key)
            record = record or FsmRecord(key=storage_key, state=None, data={})
            self._cache[storage_key] = record
        return record

    async def _save(self, record: FsmRecord) -> None:
        async with self._sessions() as session:
            if record.state is None and not record.data:
                stored = await session.get(FsmRecord, record.key)
                if stored is not None:
                    await session.delete(stored)
            else:
                await session.merge(
                    FsmRecord(key=record.key, state=record.state, data=dict(record.data))
                )
            await session.commit()
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
