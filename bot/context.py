"""The application's long-lived objects, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.i18n import create_i18n
from bot.rules import StudyPolicy
from storage.db import create_engine, session_factory


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    policy: StudyPolicy
    i18n: I18n
    # Feature singletons that are expensive to build (e.g. the criteria index) live here,
    # keyed by name, so handlers and jobs share one instance.
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> AppContext:
        engine = create_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine, settings.member_cache_seconds),
            clock=clock or SystemClock(),
            policy=StudyPolicy.from_settings(settings),
            i18n=create_i18n(settings.bot_locale),
        )

    async def close(self) -> None:
        await self.engine.dispose()
