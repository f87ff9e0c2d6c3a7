"""Direct SQLite statements (storage/sqlite_direct.py): when they are used, and that a held
write lock sends them to the worker thread without blocking the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, date, datetime
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import update
from sqlmodel import col, func, select

from bot.context import AppContext
from bot.services.checkins import record_checkin
from storage import sqlite_direct
from storage.member_cache import MEMBER_BY_TELEGRAM_ID
from storage.models import Member, StudyLog
from storage.sqlite_direct import DIRECT_KEY, SqliteDirect, fetch_first
from tests.support.factories import CADRE_A1_TG, World, build_world
from tests.support.harness import Harness

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


@pytest.fixture
def direct_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Statements that were run by the direct writer."""
    calls: list[object] = []
    original = SqliteDirect.execute

    async def spy(self: SqliteDirect, statement: Any, params: Any, *, commit: bool) -> Any:
        calls.append(statement)
        return await original(self, statement, params, commit=commit)

    monkeypatch.setattr(SqliteDirect, "execute", spy)
    return calls


async def _checkin(app: AppContext, session: object, member_id: int, key: str) -> int:
    saved = await record_checkin(
        session,  # type: ignore[arg-type]
        member_id,
        minutes=60,
        content="学习团章",
        day=TODAY,
        today=TODAY,
        policy=app.policy,
        key=key,
        now=NOW,
    )
    return saved.month_minutes


async def _count_logs(app: AppContext) -> int:
    async with app.sessions() as session:
        return (await session.exec(select(func.count()).select_from(StudyLog))).one()


async def test_a_checkin_on_sqlite_is_written_directly(
    app: AppContext, world: World, direct_calls: list[object]
) -> None:
    async with app.sessions() as session:
        assert await _checkin(app, session, world.cadre_a1.id or 0, "k1") == 60
    assert len(direct_calls) == 1
    assert await _count_logs(app) == 1


async def test_a_session_with_pending_changes_saves_them_with_the_checkin(
    app: AppContext, world: World, direct_calls: list[object]
) -> None:
    async with app.sessions() as session:
        member = await session.get(Member, world.cadre_a1.id)
        assert member is not None
        member.reminders_enabled = False
        session.add(member)
        await _checkin(app, session, member.id or 0, "k1")
    assert direct_calls == []
    async with app.sessions() as session:
        stored = await session.get(Member, world.cadre_a1.id)
        assert stored is not None and not stored.reminders_enabled
    assert await _count_logs(app) == 1


async def test_a_session_that_wrote_keeps_its_transaction(
    app: AppContext, world: World, direct_calls: list[object]
) -> None:
    async with app.sessions() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Member).where(col(Member.id) == world.cadre_a1.id).values(locale="en")
        )
        await _checkin(app, session, world.cadre_a1.id or 0, "k1")
    assert direct_calls == []
    assert await _count_logs(app) == 1


async def test_after_its_commit_a_session_writes_directly_again(
    app: AppContext, world: World, direct_calls: list[object]
) -> None:
    async with app.sessions() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Member).where(col(Member.id) == world.cadre_a1.id).values(locale="en")
        )
        await session.commit()
        await _checkin(app, session, world.cadre_a1.id or 0, "k1")
    assert len(direct_calls) == 1


async def test_the_direct_writer_works_again_after_the_engine_is_disposed(
    app: AppContext, world: World, direct_calls: list[object]
) -> None:
    async with app.sessions() as session:
        await _checkin(app, session, world.cadre_a1.id or 0, "k1")
    await app.engine.dispose()
    async with app.sessions() as session:
        assert await _checkin(app, session, world.cadre_a1.id or 0, "k2") == 120
    assert len(direct_calls) == 2


async def test_postgresql_writes_through_the_session(
    pg_app: AppContext, direct_calls: list[object]
) -> None:
    world = await build_world(pg_app.sessions)
    async with pg_app.sessions() as session:
        assert await _checkin(pg_app, session, world.cadre_a1.id or 0, "k1") == 60
    assert direct_calls == []
    assert await _count_logs(pg_app) == 1


async def test_a_one_shot_checkin_is_three_direct_statements_cold_and_one_warm(
    app: AppContext,
    world: World,
    harness: Harness,
    direct_calls: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_calls: list[object] = []
    original = aiosqlite.Connection._execute

    async def spy(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        session_calls.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", spy)
    await harness.send(CADRE_A1_TG, "/log 1 学习团章")
    # The member, the chat's conversation state, the INSERT and its COMMIT.
    assert (len(direct_calls), session_calls) == (3, [])
    await harness.send(CADRE_A1_TG, "/log 1 学习团史")
    assert (len(direct_calls), session_calls) == (4, [])  # member and state were cached


async def test_a_checkin_waits_for_a_held_write_lock_without_blocking_the_event_loop(
    app: AppContext, world: World
) -> None:
    holder = sqlite3.connect(app.engine.url.database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    async with app.sessions() as session:
        checkin = asyncio.create_task(_checkin(app, session, world.cadre_a1.id or 0, "k1"))
        started = time.monotonic()
        for _ in range(50):  # other updates keep being served meanwhile
            await asyncio.sleep(0)
        # Far below the 5 s busy timeout a loop blocked on the lock would have waited.
        assert time.monotonic() - started < 1
        assert not checkin.done()
        holder.execute("COMMIT")
        assert await checkin == 60
    holder.close()
    assert await _count_logs(app) == 1


async def test_a_direct_read_converts_columns_like_the_session(
    app: AppContext, world: World
) -> None:
    async with app.sessions() as session:
        row = await fetch_first(session, MEMBER_BY_TELEGRAM_ID, {"telegram_id": CADRE_A1_TG})
        loaded = await session.get(Member, world.cadre_a1.id)
    assert row is not None and loaded is not None
    assert row._asdict() == loaded.model_dump()
    assert row.active is True and row.joined_at.tzinfo is not None


async def test_the_worker_checkpoints_the_wal_every_so_many_direct_commits(
    app: AppContext, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoints: list[None] = []
    original = SqliteDirect._checkpoint

    def spy(self: SqliteDirect) -> None:
        original(self)
        checkpoints.append(None)

    monkeypatch.setattr(SqliteDirect, "_checkpoint", spy)
    monkeypatch.setattr(sqlite_direct, "CHECKPOINT_EVERY", 3)
    async with app.sessions() as session:
        for n in range(7):
            await _checkin(app, session, world.cadre_a1.id or 0, f"k{n}")
        direct = session.info[DIRECT_KEY]
    await asyncio.get_running_loop().run_in_executor(direct._worker(), lambda: None)  # drained
    assert len(checkpoints) == 2
