"""Per-update context: one database session, the member, their locale."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import i18n_context, locale_for_language_code
from storage.db import close_session
from storage.member_cache import MEMBER_BY_TELEGRAM_ID, cache_of, detached_member
from storage.models import Member
from storage.sqlite_direct import fetch_first

log = logging.getLogger(__name__)


class RequestContextMiddleware(BaseMiddleware):
    """Opens the update's session and puts `session`, `member` and `locale` in its data.

    A member who had blocked the bot (inactive) is active again on their next message.
    The member comes from the session factory's member cache, or is read in one statement
    (direct on SQLite), as a fresh detached instance: a handler that changes it adds it to
    its session first (`session.add`), which then flushes the change like any other.
    Attaching it to every update's session cost more than most updates' own work.
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
        session = self._sessions()
        member: Member | None = None
        try:
            member = await self._member(session, user.id) if user is not None else None
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
        finally:
            await close_session(session)
            if member is not None:
                _report_unsaved(member)

    @staticmethod
    async def _member(session: AsyncSession, telegram_id: int) -> Member | None:
        cache = cache_of(session.sync_session)
        if cache is not None:
            member = cache.get(telegram_id)
            if member is not None:
                return member
        epoch = cache.epoch if cache is not None else 0
        row = await fetch_first(session, MEMBER_BY_TELEGRAM_ID, {"telegram_id": telegram_id})
        if row is None:
            return None
        member = detached_member(row._asdict())
        if not member.active:
            session.add(member)
            member.active = True
            await session.commit()  # its flush invalidates the epoch: not cached this time
        if cache is not None:
            cache.put(member, epoch)
        return member


def _report_unsaved(member: Member) -> None:
    """A handler changed the detached member without adding it to a session: say so, as
    the change is lost (`session.add(member)` before the commit saves it)."""
    state = inspect(member)
    if state.detached and state.modified:
        log.error("member %s was changed but not added to a session: not saved", member.id)
