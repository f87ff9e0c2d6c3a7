"""Function-scoped fixtures: a fresh database, a fixed clock and the real Dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_dispatcher
from bot.clock import FixedClock
from bot.config import Settings
from bot.context import AppContext
from tests.support.db import create_schema, postgres_schema, require_postgres
from tests.support.factories import ADMIN_TG, World, build_world
from tests.support.harness import Harness
from tests.support.mocked_bot import create_mocked_bot

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Friday evening late in the month: yesterday and earlier days are in the same month.
DEFAULT_NOW = datetime(2026, 11, 20, 20, 30, tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, admin_ids=(ADMIN_TG,), _env_file=None)


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[AppContext]:
    ctx = AppContext.build(settings, clock=clock)
    await create_schema(ctx.engine)
    yield ctx
    await ctx.close()


@pytest.fixture
async def pg_app(clock: FixedClock) -> AsyncIterator[AppContext]:
    """The same application on a fresh PostgreSQL schema (skipped without a server)."""
    await require_postgres()
    async with postgres_schema() as url:
        settings = Settings(database_url=url, admin_ids=(ADMIN_TG,), _env_file=None)
        ctx = AppContext.build(settings, clock=clock)
        await create_schema(ctx.engine)
        yield ctx
        await ctx.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_app(request: pytest.FixtureRequest, clock: FixedClock) -> AsyncIterator[AppContext]:
    """Parametrises a storage test over both backends."""
    if request.param == "sqlite":
        yield request.getfixturevalue("app")
    else:
        yield request.getfixturevalue("pg_app")


@pytest.fixture
async def world(app: AppContext) -> World:
    return await build_world(app.sessions)


@pytest.fixture
async def harness(app: AppContext) -> AsyncIterator[Harness]:
    bot, session = create_mocked_bot()
    dp = build_dispatcher(app)
    yield Harness(dp=dp, bot=bot, session=session)
    await dp.storage.close()
