"""Exactly one reminder leader; another process takes over when it dies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.context import AppContext
from scheduler.leader import FileLeader, PostgresLeader, leader_for, lock_key
from scheduler.service import ReminderService
from storage.db import create_engine
from tests.support.db import PG_ADMIN_URL, postgres_schema, require_postgres
from tests.support.mocked_bot import create_mocked_bot


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    await require_postgres()
    async with postgres_schema() as url:
        yield url


async def _terminate_holders(url: str) -> None:
    """Kills the backends holding our advisory lock, as if the leader's host died."""
    admin = create_engine(PG_ADMIN_URL)
    try:
        async with admin.begin() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid::bigint = :key"
                ),
                {"key": lock_key(url)},
            )
    finally:
        await admin.dispose()


async def test_second_process_stays_follower_while_the_leader_lives(pg_url: str) -> None:
    first, second = PostgresLeader(pg_url), PostgresLeader(pg_url)
    try:
        assert await first.try_acquire() is True
        assert await second.try_acquire() is False
        assert await first.still_held() is True
    finally:
        await first.release()
        await second.release()


async def test_follower_takes_over_when_the_leaders_connection_dies(pg_url: str) -> None:
    first, second = PostgresLeader(pg_url), PostgresLeader(pg_url)
    try:
        assert await first.try_acquire() is True
        await _terminate_holders(pg_url)

        assert await first.still_held() is False
        assert await second.try_acquire() is True
        assert await first.try_acquire() is False
    finally:
        await first.release()
        await second.release()


async def test_a_released_lock_is_taken_by_the_next_process(pg_url: str) -> None:
    first, second = PostgresLeader(pg_url), PostgresLeader(pg_url)
    try:
        assert await first.try_acquire() is True
        await first.release()
        assert await second.try_acquire() is True
    finally:
        await second.release()


async def test_services_elect_one_leader_and_hand_over_on_stop(pg_app: AppContext) -> None:
    """Two bot processes on one database (their own engines and lock connections)."""
    bot, _ = create_mocked_bot()

    async def tick(_seconds: float) -> None:
        await asyncio.sleep(0.01)

    services = [
        ReminderService(
            pg_app, bot, leader=PostgresLeader(pg_app.settings.database_url), sleep=tick
        )
        for _ in range(2)
    ]
    for service in services:
        await service.start()
    try:
        waits = [asyncio.create_task(service.leading.wait()) for service in services]
        done, pending = await asyncio.wait(waits, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        assert len(done) == 1
        leader = next(service for service in services if service.is_leader)
        follower = next(service for service in services if service is not leader)
        await asyncio.sleep(0.1)  # several election rounds of the follower
        assert follower.is_leader is False

        await leader.stop()
        await asyncio.wait_for(follower.leading.wait(), 10)
    finally:
        for service in services:
            await service.stop()


async def test_sqlite_processes_share_a_file_lock(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    first, second = leader_for(url), leader_for(url)
    assert isinstance(first, FileLeader)
    try:
        assert await first.try_acquire() is True
        assert await second.try_acquire() is False
        await first.release()
        assert await second.try_acquire() is True
    finally:
        await first.release()
        await second.release()
