"""Per-update context: one database session, the member, their locale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import i18n_context, locale_for_language_code
from storage.models import Member


class RequestContextMiddleware(BaseMiddleware):
    """Opens the update's session and puts `session`, `member` and `locale` in its data.

    A member who had blocked the bot (inactive) is active again on their next message.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], i18n: I18n) -> None:
        self._sessions = sessions
        self._i18n = i18n

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        async with self._sessions() as session:
            member = None
            if user is not None:
                member = (
                    await session.exec(select(Member).where(Member.telegram_id == user.id))
                ).first()
                if member is not None and not member.active:
                    member.active = True
                    session.add(member)
                    await session.commit()
            locale = (
                member.locale
                if member is not None
                else locale_for_language_code(
                    user.language_code if user else None, self._i18n.default_locale
                )
            )
            data["session"] = session
            data["member"] = member
            data["locale"] = locale
            with i18n_context(self._i18n, locale):
                return await handler(event, data)
