"""Function-scoped fixtures: a fresh database, a fixed clock and the real Dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
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


@asynccontextmanager
async def _app_on(
    url: str, clock: FixedClock, overrides: dict[str, Any] | None = None
) -> AsyncIterator[AppContext]:
    values: dict[str, Any] = {"admin_ids": (ADMIN_TG,), **(overrides or {})}
    settings = Settings(database_url=url, _env_file=None, **values)
    ctx = AppContext.build(settings, clock=clock)
    await create_schema(ctx.engine)
    try:
        yield ctx
    finally:
        await ctx.close()


@asynccontextmanager
async def _pg_app_on(
    clock: FixedClock, overrides: dict[str, Any] | None = None
) -> AsyncIterator[AppContext]:
    await require_postgres()
    async with postgres_schema() as url, _app_on(url, clock, overrides) as ctx:
        yield ctx


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to run its tests under other settings."""
    return {}


@pytest.fixture
async def app(
    sqlite_url: str, clock: FixedClock, settings_overrides: dict[str, Any]
) -> AsyncIterator[AppContext]:
    async with _app_on(sqlite_url, clock, settings_overrides) as ctx:
        yield ctx


@pytest.fixture
async def pg_app(
    clock: FixedClock, settings_overrides: dict[str, Any]
) -> AsyncIterator[AppContext]:
    """The same application on a fresh PostgreSQL schema (skipped without a server)."""
    async with _pg_app_on(clock, settings_overrides) as ctx:
        yield ctx


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_app(
    request: pytest.FixtureRequest,
    sqlite_url: str,
    clock: FixedClock,
    settings_overrides: dict[str, Any],
) -> AsyncIterator[AppContext]:
    """Parametrises a storage test over both backends."""
    context = (
        _app_on(sqlite_url, clock, settings_overrides)
        if request.param == "sqlite"
        else _pg_app_on(clock, settings_overrides)
    )
    async with context as ctx:
        yield ctx


@pytest.fixture
async def world(app: AppContext) -> World:
    return await build_world(app.sessions)


@pytest.fixture
async def harness(app: AppContext) -> AsyncIterator[Harness]:
    bot, session = create_mocked_bot()
    dp = build_dispatcher(app)
    yield Harness(dp=dp, bot=bot, session=session)
    await dp.storage.close()
